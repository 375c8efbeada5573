"""The words LinkedIn's exports use for their sheets and labels, in the languages read.

Labels are matched after `cells.label` (lower case, no accents, no trailing colon),
so `Membres touchés :` matches `membres touches`. English is LinkedIn's; French
because the product speaks it; Portuguese and Spanish because real exports in those
UIs are known to exist. A label not listed here is simply not recognised: add it.
"""

from __future__ import annotations

# -- sheet names --

DISCOVERY = {"discovery", "decouverte", "descoberta", "descubrimiento", "entdeckung"}
ENGAGEMENT = {"engagement", "engagements", "interactions", "engajamento", "interacciones"}
TOP_POSTS = {
    "top posts",
    "meilleurs posts",
    "posts les plus performants",
    "principales publications",
    "principais publicacoes",
    "publicaciones principales",
    "top publicaciones",
}
FOLLOWERS = {"followers", "abonnes", "seguidores", "follower"}
DEMOGRAPHICS = {
    "demographics",
    "top demographics",
    "audience demographics",
    "donnees demographiques",
    "principales donnees demographiques",
    "demographie",
    "dados demograficos",
    "datos demograficos",
}
PERFORMANCE = {"performance", "performances", "desempenho", "rendimiento"}
PAGE_METRICS = {
    "metrics",
    "indicateurs",
    "statistiques",
    "metricas",
    "update metrics (aggregated)",
}
PAGE_POSTS = {
    "all posts",
    "tous les posts",
    "toutes les publications",
    "todas as publicacoes",
    "todas las publicaciones",
    "update engagement",
}

# -- labels inside sheets --

WINDOW = {
    "overall performance",
    "performance globale",
    "performances globales",
    "desempenho geral",
    "rendimiento general",
}
IMPRESSIONS = {"impressions", "impressoes", "impresiones"}
MEMBERS_REACHED = {
    "members reached",
    "unique views",
    "membres touches",
    "vues uniques",
    "membros alcancados",
    "visualizacoes unicas",
    "miembros alcanzados",
    "visualizaciones unicas",
}
DATE = {"date", "data", "fecha"}
ENGAGEMENTS = {"engagements", "interactions", "engajamentos", "interacciones", "engagement"}
POST_URL = {
    "post url",
    "url du post",
    "url de la publication",
    "url da publicacao",
    "url de la publicacion",
    "post link",
    "lien du post",
    "update link",
}
PUBLISH_DATE = {
    "post publish date",
    "date de publication du post",
    "date de publication",
    "data de publicacao",
    "fecha de publicacion",
}
NEW_FOLLOWERS = {"new followers", "nouveaux abonnes", "novos seguidores", "nuevos seguidores"}
TOTAL_FOLLOWERS = (
    "total followers on",
    "nombre total d'abonnes au",
    "total des abonnes au",
    "total de seguidores em",
    "total de seguidores el",
)
DEMOGRAPHIC_HEADER = {"top demographics", "category", "categorie", "categoria"}
PERCENTAGE = {"percentage", "pourcentage", "porcentagem", "porcentaje", "%"}

#: The single-post PERFORMANCE sheet: label -> what it is (a counter, or a field).
PERFORMANCE_LABELS: dict[str, str] = {
    "post url": "url",
    "url du post": "url",
    "post date": "date",
    "date du post": "date",
    "post publish date": "date",
    "post publish time": "time",
    "heure de publication du post": "time",
    "heure de publication": "time",
    "impressions": "impressions",
    "members reached": "members_reached",
    "membres touches": "members_reached",
    "unique views": "members_reached",
    "profile viewers from this post": "profile_views",
    "vues du profil grace a ce post": "profile_views",
    "followers gained from this post": "followers_gained",
    "abonnes gagnes grace a ce post": "followers_gained",
    "social engagements": "engagements",
    "interactions sociales": "engagements",
    "reactions": "reactions",
    "comments": "comments",
    "commentaires": "comments",
    "reposts": "reposts",
    "republications": "reposts",
    "saves": "saves",
    "enregistrements": "saves",
    "sends on linkedin": "sends",
    "envois sur linkedin": "sends",
    "link engagements": "clicks",
    "clics sur le lien": "clicks",
}

#: The Page export's daily metrics: header -> daily counter. Organic and total both
#: exist; the total is kept (what the Page's audience saw), organic where it is all
#: there is (unique impressions are organic only).
PAGE_DAILY_COLUMNS: dict[str, str] = {
    "impressions (total)": "impressions",
    "impressions": "impressions",
    "impressions (totales)": "impressions",
    "unique impressions (organic)": "members_reached",
    "unique impressions": "members_reached",
    "impressions uniques (organiques)": "members_reached",
    "clicks (total)": "clicks",
    "clicks": "clicks",
    "clics (total)": "clicks",
    "reactions (total)": "reactions",
    "reactions": "reactions",
    "comments (total)": "comments",
    "comments": "comments",
    "commentaires (total)": "comments",
    "reposts (total)": "reposts",
    "shares (total)": "reposts",
    "republications (total)": "reposts",
    "engagements": "engagements",
}

#: The Page export's posts: header -> post field or counter.
PAGE_POST_COLUMNS: dict[str, str] = {
    "post title": "title",
    "update title": "title",
    "titre du post": "title",
    "post link": "url",
    "post url": "url",
    "update link": "url",
    "lien du post": "url",
    "post type": "type",
    "update type": "type",
    "type de post": "type",
    "campaign name": "campaign",
    "created date": "date",
    "date": "date",
    "date de creation": "date",
    "impressions": "impressions",
    "clicks": "clicks",
    "clics": "clicks",
    "likes": "reactions",
    "reactions": "reactions",
    "comments": "comments",
    "commentaires": "comments",
    "reposts": "reposts",
    "shares": "reposts",
    "republications": "reposts",
    "follows": "followers_gained",
    "abonnements": "followers_gained",
    "engagements": "engagements",
    "content type": "format",
    "type de contenu": "format",
}

#: LinkedIn's content types -> the store's formats.
CONTENT_TYPES: dict[str, str] = {
    "text": "text",
    "texte": "text",
    "image": "image",
    "images": "image",
    "photo": "image",
    "video": "video",
    "document": "document",
    "poll": "poll",
    "sondage": "poll",
    "article": "article",
    "link": "link",
    "lien": "link",
    "event": "event",
    "evenement": "event",
    "newsletter": "newsletter",
}
