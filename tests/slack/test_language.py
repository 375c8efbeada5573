"""A channel speaks the language an admin chose, a DM the user's Slack locale: over
real HTTP with signed requests, and through the clock for digests."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock.loop import tick
from bot.commands import handle
from bot.demo import DEMO_NOW
from bot.digest.send import DigestJobs
from bot.pack import load_pack
from bot.slack.delivery import Poster, clock_client
from bot.slack.services import FixedClock
from bot.store import Store
from tests.conftest import check_golden
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, DM, EMPTY_CHANNEL, MEMBER, Running
from tests.slack.fakes import BOT_TOKEN
from tests.slack.test_digest_delivery import CHANNEL, DUE, digests, setup  # noqa: F401
from tests.slack.test_http import all_text, ask


def test_only_admins_choose_a_channels_language(running: Running):
    refused = all_text(ask(running, "language fr", hook="a"))
    assert refused == (
        f"Only admins can change the language this channel is answered in. Ask <@{ADMIN}>."
    )
    with Store(running.db) as store:
        assert store.language(CREATOR_CHANNEL) is None
    chosen = all_text(ask(running, "language fr", user=ADMIN, hook="b"))
    assert chosen.startswith("Désormais, je réponds en français dans ce canal")
    again = all_text(ask(running, "language fr", user=ADMIN, hook="c"))
    assert again.startswith("Je réponds déjà en français dans ce canal")
    with Store(running.db) as store:
        assert store.language(CREATOR_CHANNEL) == "fr"
    back = all_text(ask(running, "language en", user=ADMIN, hook="d"))
    assert back.startswith("From now on I answer in English in this channel")


def test_a_language_without_narratives_is_named_with_the_choices(running: Running):
    text = all_text(ask(running, "language de", user=ADMIN, hook="a"))
    assert text == "I have no words in `de` yet. Choose one of: `en` (English), `fr` (French)."
    usage = all_text(ask(running, "language", user=ADMIN, hook="b"))
    assert usage == "That command takes this shape: `language en|fr`."


def test_a_french_channel_gets_last10_in_french_with_french_numbers(running: Running):
    ask(running, "language fr", user=ADMIN, hook="set")
    message = ask(running, "last10 demo-creator", hook="r")
    assert message["blocks"][0]["text"]["text"] == "Demo Creator : les 10 derniers posts"
    with Store(running.db) as store:
        pack = running.bot.services.holder.current().speaking("fr")
        terminal = handle("last10 demo-creator", store=store, pack=pack, at=DEMO_NOW)
    f = pack.narrator.env.filters
    table = next(
        b["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("```")
    )
    lines = table.strip("`\n").split("\n")[1:]
    for line, post in zip(lines, terminal.data["posts"], strict=True):
        for shown in (
            f["compact"](post["impressions"]),
            f["ratio"](post["impressions_per_member_reached"]),
            f["pct"](post["engagement_rate"]),
        ):
            assert f" {shown}" in line
    assert "\u202f" in table
    assert "\xa0%" in table
    text = all_text(message)
    assert "Masquer narrow-audience ici" in text
    assert "Pourquoi ?" in text
    assert "Mute" not in text
    assert "Why?" not in text
    assert message["text"].startswith("Demo Creator : ")
    assert "constats" in message["text"]
    check_golden(
        "last10-demo-creator-fr.slack.json",
        json.dumps(message, indent=1, ensure_ascii=False) + "\n",
    )
    # The channel next door still speaks the default language.
    other = all_text(ask(running, "help", channel=EMPTY_CHANNEL, hook="o"))
    assert other.startswith("*Insight Narrator* reads your LinkedIn post analytics")


def test_help_and_errors_come_in_the_channels_language_with_the_same_command_words(
    running: Running,
):
    ask(running, "language fr", user=ADMIN, hook="set")
    help_text = all_text(ask(running, "help", hook="h"))
    assert help_text.startswith("*Insight Narrator* lit les statistiques de vos posts LinkedIn")
    for words in ("`/linkedin last10 [ACCOUNT]`", "`/linkedin digest weekly DAY HH:MM"):
        assert words in help_text
    error = all_text(ask(running, "lats10", hook="e"))
    assert error.startswith("Je ne connais pas `lats10`. Vouliez-vous dire `last10` ?")
    refused = all_text(ask(running, "link demo-page", hook="l"))
    assert (
        refused
        == f"Seuls les admins peuvent modifier les comptes que voit ce canal. Demandez à <@{ADMIN}>."
    )


def test_a_dm_follows_the_users_slack_locale_when_slack_gives_it(running: Running):
    english = all_text(ask(running, "help", channel=DM, hook="a"))
    assert english.startswith("*Insight Narrator* reads")
    running.slack.user_locales[MEMBER] = "fr-FR"
    french = all_text(ask(running, "help", channel=DM, hook="b"))
    assert french.startswith("*Insight Narrator* lit")
    calls = running.slack.method_calls("users.info")
    assert calls
    assert all(c.body.get("include_locale") in ("true", "1", True) for c in calls)
    # A locale the narratives do not hold keeps the bot's language.
    running.slack.user_locales[MEMBER] = "de-DE"
    assert all_text(ask(running, "help", channel=DM, hook="c")).startswith(
        "*Insight Narrator* reads"
    )


def test_the_clock_sends_a_french_channels_digest_in_french(setup, root):  # noqa: F811
    db, fake = setup
    pack = load_pack(root / "rules", root / "narratives", "en")
    poster = Poster(clock_client(fake.api_url, BOT_TOKEN), interval=0)
    work = DigestJobs(pack=lambda: pack, poster=poster, grace=timedelta(hours=6), charts=False)
    with Store(db) as store:
        store.set_language(CHANNEL, "fr", by=ADMIN, at=DEMO_NOW)
        tick(store, [work.jobs], FixedClock(DUE), "w1")
    (digest,) = digests(fake)
    assert (
        digest["text"]
        == "*Récapitulatif de la semaine : du 16 nov. au 22 nov. 2026* (Europe/Paris)"
    )


def test_a_french_channels_first_hour_checkin_is_in_french(demo_db, root):
    from bot.checkin.send import CheckinJobs
    from tests.slack.fakes import FakeSlack
    from tests.slack.test_checkin_delivery import CHANNEL as CHECKIN_CHANNEL
    from tests.slack.test_checkin_delivery import PUBLISHED

    fake = FakeSlack()
    try:
        pack = load_pack(root / "rules", root / "narratives", "en")
        poster = Poster(clock_client(fake.api_url, BOT_TOKEN), interval=0)
        work = CheckinJobs(pack=lambda: pack, poster=poster)
        with Store(demo_db) as store:
            before = PUBLISHED - timedelta(days=1)
            store.link(CHECKIN_CHANNEL, "demo-creator", by=ADMIN, at=before)
            store.checkin_on(CHECKIN_CHANNEL, by=ADMIN, at=before)
            store.set_language(CHECKIN_CHANNEL, "fr", by=ADMIN, at=before)
            tick(store, [work.jobs], FixedClock(PUBLISHED + timedelta(hours=2)), "w1")
        (message,) = fake.messages(CHECKIN_CHANNEL, "checkin:")
        assert message["text"].startswith(":stopwatch: *Point de première heure :")
    finally:
        fake.close()


def test_an_apology_comes_in_the_channels_language(running: Running, monkeypatch):
    """Errors speak the channel's language too: the apology came in the bot's default."""
    import bot.slack.listeners.command as command

    ask(running, "language fr", user=ADMIN, hook="set")

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(command, "handle", explode)
    text = all_text(ask(running, "last10 demo-creator", hook="boom"))
    assert text.startswith("Désolé, quelque chose s'est mal passé de mon côté")
    assert "secret internals" not in text
    # An English channel still gets the English words.
    english = all_text(ask(running, "last10 demo-creator", channel=EMPTY_CHANNEL, hook="en"))
    assert english.startswith("Sorry, something went wrong on my side")
