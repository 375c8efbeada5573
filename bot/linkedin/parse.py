"""LinkedIn's documented response shapes, read into plain values.

Shapes vary by version: `metricType` is a one-key object before 202605 and a plain
string since; unique impressions are spelt `uniqueImpressionsCount` and
`uniqueImpressionsCounts`. An empty `elements` means "no data", never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

#: memberCreatorPostAnalytics metrics -> the store's counters.
MEMBER_METRICS: dict[str, str] = {
    "IMPRESSION": "impressions",
    "MEMBERS_REACHED": "members_reached",
    "REACTION": "reactions",
    "COMMENT": "comments",
    "RESHARE": "reposts",
    "POST_SAVE": "saves",
    "POST_SEND": "sends",
    "LINK_CLICKS": "clicks",
    "PROFILE_VIEW_FROM_CONTENT": "profile_views",
    "FOLLOWER_GAINED_FROM_CONTENT": "followers_gained",
}


def metric_type(element: dict[str, Any]) -> str | None:
    """'IMPRESSION' from `"metricType": "IMPRESSION"` or from
    `"metricType": {"com.linkedin...CreatorPostAnalyticsMetricTypeV1": "IMPRESSION"}`."""
    value = element.get("metricType")
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (inner,) = value.values()
        return inner if isinstance(inner, str) else None
    return None


def _day(value: Any) -> date | None:
    if not isinstance(value, dict):
        return None
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class MetricValue:
    metric: str  # LinkedIn's name, e.g. IMPRESSION
    count: int
    start: date | None = None  # DAILY: the day the count is for
    end: date | None = None


def post_analytics(body: dict[str, Any]) -> list[MetricValue]:
    """The elements of a memberCreatorPostAnalytics answer (TOTAL: one; DAILY: a day each)."""
    out = []
    for element in body.get("elements") or []:
        if not isinstance(element, dict):
            continue
        metric, count = metric_type(element), element.get("count")
        if metric is None or not isinstance(count, int | float) or isinstance(count, bool):
            continue
        span = element.get("dateRange") or {}
        out.append(MetricValue(metric, int(count), _day(span.get("start")), _day(span.get("end"))))
    return out


def member_followers(body: dict[str, Any]) -> int | None:
    for element in body.get("elements") or []:
        value = element.get("memberFollowersCount") if isinstance(element, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


#: ShareStatisticsData -> the store's counters.
SHARE_FIELDS: dict[str, str] = {
    "impressionCount": "impressions",
    "uniqueImpressionsCount": "members_reached",
    "uniqueImpressionsCounts": "members_reached",
    "clickCount": "clicks",
    "likeCount": "reactions",
    "commentCount": "comments",
    "shareCount": "reposts",
}


@dataclass(frozen=True)
class ShareStatistics:
    post: str | None  # the share or ugcPost URN; None for the organization's total
    counts: dict[str, int]
    start: datetime | None = None  # time-bound buckets
    end: datetime | None = None


def share_statistics(body: dict[str, Any]) -> list[ShareStatistics]:
    out = []
    for element in body.get("elements") or []:
        if not isinstance(element, dict):
            continue
        stats = element.get("totalShareStatistics") or {}
        counts = {}
        for name, counter in SHARE_FIELDS.items():
            value = stats.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                counts.setdefault(counter, int(value))
        post = element.get("share") or element.get("ugcPost")
        span = element.get("timeRange") or {}
        out.append(
            ShareStatistics(
                post if isinstance(post, str) else None,
                counts,
                _millis(span.get("start")),
                _millis(span.get("end")),
            )
        )
    return out


def _millis(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return None


@dataclass(frozen=True)
class PostInfo:
    urn: str
    published_at: datetime | None
    text: str | None


def posts(elements: list[dict[str, Any]]) -> list[PostInfo]:
    """/rest/posts?q=author elements: published posts only."""
    out = []
    for element in elements:
        if not isinstance(element, dict) or not isinstance(element.get("id"), str):
            continue
        if element.get("lifecycleState", "PUBLISHED") != "PUBLISHED":
            continue
        when = _millis(element.get("publishedAt")) or _millis(element.get("createdAt"))
        text = element.get("commentary")
        out.append(PostInfo(element["id"], when, text if isinstance(text, str) else None))
    return out


def comment_counts(elements: list[dict[str, Any]], author: str) -> tuple[int, int]:
    """(comments, the author's own replies among them) from socialActions comments."""
    comments = replies = 0
    for element in elements:
        if not isinstance(element, dict):
            continue
        comments += 1
        actor = element.get("actor") or (element.get("created") or {}).get("actor")
        if actor == author:
            replies += 1
    return comments, replies


@dataclass(frozen=True)
class FollowerGain:
    start: datetime
    gained: int  # organic and paid together, as the time-bound statistics give them


def follower_gains(body: dict[str, Any]) -> list[FollowerGain]:
    """organizationalEntityFollowerStatistics with timeIntervals: one element a bucket,
    `followerGains` {organicFollowerGain, paidFollowerGain}; a bucket without a start
    or without either gain is left out."""
    out = []
    for element in body.get("elements") or []:
        if not isinstance(element, dict):
            continue
        start = _millis((element.get("timeRange") or {}).get("start"))
        gains = element.get("followerGains") or {}
        values = [
            gains.get(name)
            for name in ("organicFollowerGain", "paidFollowerGain")
            if isinstance(gains.get(name), int) and not isinstance(gains.get(name), bool)
        ]
        if start is not None and values:
            out.append(FollowerGain(start, sum(values)))
    return out
