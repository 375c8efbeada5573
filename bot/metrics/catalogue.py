"""The metric catalogue: every metric a rule may read, with its unit and meaning.

docs/metrics.md holds one line per entry; a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The curve window: hourly shape, 48-hour growth and maturity are judged on a
#: post's first 72 hours, so posts of different ages compare like for like.
CURVE_HOURS = 72
#: The 48-hour growth window runs from this hour to CURVE_HOURS.
GROWTH_FROM_HOUR = 24
#: The early window in which first interactions are counted.
EARLY_WINDOW_MINUTES = 90
#: The article's comparison of two posts is made among an account's newest posts,
#: as many as `last10` shows.
COMPARED_POSTS = 10
#: An account baseline (the *_vs_account metrics) needs this many mature posts.
MIN_BASELINE_POSTS = 3


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    meaning: str
    scope: str = "post"


UNITS = ("count", "hours", "ratio", "share", "per_1k", "multiple", "hour", "flag")

POST_METRICS: tuple[Metric, ...] = (
    Metric("post_age_hours", "hours", "hours from publishing to the evaluation moment"),
    Metric("hours_observed", "hours", "hours from publishing to the latest snapshot used"),
    Metric(
        "followers",
        "count",
        "the author's followers as of the moment asked (the latest count by then, as the "
        "reply's header gives it)",
    ),
    Metric("impressions", "count", "times the post was shown on a screen (not deduplicated)"),
    Metric("members_reached", "count", "distinct members the post was shown to (reach)"),
    Metric("reactions", "count", "reactions on the post"),
    Metric("comments", "count", "comments on the post"),
    Metric("reposts", "count", "reposts (shares) of the post"),
    Metric("saves", "count", "times the post was saved"),
    Metric("sends", "count", "times the post was sent in a LinkedIn message"),
    Metric("clicks", "count", "clicks on the post's links"),
    Metric("profile_views", "count", "profile views that came from the post"),
    Metric("followers_gained", "count", "followers gained from the post"),
    Metric("comment_replies", "count", "replies drawn by the post's comments"),
    Metric(
        "engagements",
        "count",
        "LinkedIn's own engagement total, where a file gives only that (creator export)",
    ),
    Metric(
        "interactions",
        "count",
        "reactions + comments + reposts, plus saves and sends where reported; "
        "LinkedIn's engagement total where no part is",
    ),
    Metric(
        "impressions_per_member_reached",
        "ratio",
        "impressions / members reached: how often each person saw it (written 1:N)",
    ),
    Metric("engagement_rate", "share", "interactions / impressions"),
    Metric("saves_shares", "count", "reposts + saves + sends (those reported)"),
    Metric("saves_shares_per_1k", "per_1k", "saves + shares per 1,000 impressions"),
    Metric(
        "impressions_per_follower",
        "ratio",
        "impressions / followers",
    ),
    Metric(
        "impressions_growth_48h",
        "share",
        "relative growth of impressions over the 48-hour window in the first 72 hours "
        "(starting at hour 1 to 24) where it most outgrew reach, among windows observed "
        "and growing 10 % or more (1.5 = +150 %)",
    ),
    Metric(
        "reach_growth_48h",
        "share",
        "relative growth of members reached over the same window",
    ),
    Metric(
        "growth_from_hour",
        "hour",
        "the hour that window starts (it ends 48 hours later)",
    ),
    Metric("early_interactions", "count", "interactions in the first 90 minutes"),
    Metric(
        "early_engagement_rate",
        "share",
        "interactions / impressions in the first 90 minutes",
    ),
    Metric(
        "peak_hour",
        "hour",
        "the hour (1-72) in which the post gained most impressions; missing unless the "
        "readings prove it is one hour (peak_hour_from = peak_hour_to)",
    ),
    Metric(
        "peak_hour_from",
        "hour",
        "the first hour the peak can be in: a stretch of more than an hour between two "
        "readings may hold it if its whole gain reaches the best hour proven",
    ),
    Metric("peak_hour_to", "hour", "the last hour the peak can be in"),
    Metric(
        "peak_gap_from",
        "hour",
        "where peak_hour_from < peak_hour_to: start of the widest stretch between "
        "readings that may hold the peak (one more reading inside it decides most)",
    ),
    Metric("peak_gap_to", "hour", "the end of that stretch"),
    Metric(
        "share_first_24h",
        "share",
        "share of the first 72 hours' impressions gained in the first 24 (interpolated)",
    ),
    Metric(
        "share_first_24h_low",
        "share",
        "the least share_first_24h can be, whatever happened between readings: the "
        "last reading by hour 24 against the first reading from hour 72",
    ),
    Metric(
        "share_first_24h_high",
        "share",
        "the most share_first_24h can be: the first reading from hour 24 against the "
        "last reading by hour 72",
    ),
    Metric(
        "share_48_72h",
        "share",
        "share of the first 72 hours' impressions gained in hours 48-72 (interpolated)",
    ),
    Metric(
        "share_48_72h_low",
        "share",
        "the least share_48_72h can be, from the readings either side of hours 48 and 72",
    ),
    Metric(
        "share_48_72h_high",
        "share",
        "the most share_48_72h can be, from the readings either side of hours 48 and 72",
    ),
    Metric(
        "snapshot_gap_hours",
        "hours",
        "largest gap between snapshots in the first 24 hours (how sharp the curve is)",
    ),
    Metric(
        "beats_bigger",
        "flag",
        "1 for the post with the most saves + shares per 1,000 impressions among the "
        "account's 10 newest posts observed 72 hours, when another of them drew more "
        "impressions; 0 for every other post with impressions",
    ),
    Metric(
        "bigger_post",
        "count",
        "where beats_bigger is 1: the place (1 = newest) of the post with the most "
        "impressions among those 10",
    ),
    Metric("bigger_impressions", "count", "that post's impressions"),
    Metric("bigger_saves_shares", "count", "that post's saves + shares"),
    Metric(
        "bigger_saves_shares_per_1k", "per_1k", "that post's saves + shares per 1,000 impressions"
    ),
    Metric("click_through_rate", "share", "clicks / impressions"),
    Metric("replies_per_comment", "ratio", "comment replies / comments"),
    Metric("profile_views_per_1k", "per_1k", "profile views per 1,000 impressions"),
    Metric(
        "impressions_vs_account",
        "multiple",
        "impressions / the median of the account's mature posts (1.0 = typical)",
    ),
    Metric(
        "engagement_rate_vs_account",
        "multiple",
        "engagement rate / the median of the account's mature posts",
    ),
    Metric(
        "saves_shares_per_1k_vs_account",
        "multiple",
        "saves + shares per 1,000 / the median of the account's mature posts",
    ),
)

#: A week, for the account scope's "this week against last week".
PERIOD_DAYS = 7
#: "Best posts" are mature posts at or above this quantile of the account's impressions.
BEST_POSTS_QUANTILE = 0.75

ACCOUNT_METRICS: tuple[Metric, ...] = tuple(
    Metric(name, unit, meaning, scope="account")
    for name, unit, meaning in (
        (
            "followers",
            "count",
            "the account's followers as of the moment asked (the latest count by then)",
        ),
        ("hours_since_observed", "hours", "hours from the account's latest snapshot to the moment"),
        ("posts_week", "count", "posts published in the last 7 days"),
        ("posts_prev_week", "count", "posts published in the 7 days before"),
        (
            "impressions_week",
            "count",
            "impressions gained in the last 7 days: the account's daily figures where an "
            "export covers both weeks, else summed over its posts",
        ),
        ("impressions_prev_week", "count", "impressions gained in the 7 days before"),
        (
            "reach_week",
            "count",
            "members reached in the last 7 days: the account's unique count where an "
            "export for that week gives it, else summed over posts (an upper bound)",
        ),
        ("reach_prev_week", "count", "members reached gained in the 7 days before"),
        ("interactions_week", "count", "interactions gained in the last 7 days"),
        ("interactions_prev_week", "count", "interactions gained in the 7 days before"),
        ("engagement_rate_week", "share", "interactions / impressions gained in the last 7 days"),
        ("engagement_rate_prev_week", "share", "the same for the 7 days before"),
        ("impressions_change", "share", "impressions this week against last week (0.2 = +20 %)"),
        ("reach_change", "share", "members reached this week against last week"),
        (
            "reach_is_unique",
            "flag",
            "1 when both weeks' reach are the account's unique counts, 0 when summed over posts",
        ),
        ("engagement_rate_change", "share", "engagement rate this week against last week"),
        ("mature_posts", "count", "posts observed for at least 72 hours, among those loaded"),
        ("best_posts", "count", "mature posts in the top quarter of the account's impressions"),
        (
            "best_posts_peak_hour",
            "hour",
            "the median peak hour of the best posts; missing unless the readings prove it "
            "(best_posts_peak_hour_from = best_posts_peak_hour_to)",
        ),
        (
            "best_posts_peak_hour_from",
            "hour",
            "the median of the best posts' peak_hour_from: the true median is no earlier",
        ),
        (
            "best_posts_peak_hour_to",
            "hour",
            "the median of the best posts' peak_hour_to: the true median is no later",
        ),
    )
)

CATALOGUE: dict[str, Metric] = {m.name: m for m in POST_METRICS}
ACCOUNT_CATALOGUE: dict[str, Metric] = {m.name: m for m in ACCOUNT_METRICS}
SCOPES: dict[str, dict[str, Metric]] = {"post": CATALOGUE, "account": ACCOUNT_CATALOGUE}


def metric_names(scope: str = "post") -> list[str]:
    return list(SCOPES[scope])
