"""Per-post metrics on crafted data: each formula, the curve features, and missing-is-missing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from bot.metrics import CATALOGUE, post_metrics
from bot.model import COUNTERS

PUB = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def posts(*specs: tuple[str, float]) -> pd.DataFrame:
    """(post id, hours after PUB it was published)."""
    return pd.DataFrame(
        {
            "id": [p for p, _ in specs],
            "account": "acme",
            "published_at": [pd.Timestamp(PUB + timedelta(hours=h)) for _, h in specs],
            "url": None,
            "format": "text",
            "title": "t",
        }
    )


def snaps(rows: list[dict]) -> pd.DataFrame:
    """Rows of {post, hour (after PUB), counters...}; absent counters are not reported."""
    frame = pd.DataFrame(
        [
            {
                "post": r["post"],
                "observed_at": pd.Timestamp(PUB + timedelta(hours=r["hour"])),
                **{c: float(r[c]) if c in r else np.nan for c in COUNTERS},
            }
            for r in rows
        ]
    )
    return frame


def followers(count: float = 1000.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"account": ["acme"], "observed_at": [pd.Timestamp(PUB)], "followers": [count]}
    )


def at(hours: float) -> datetime:
    return PUB + timedelta(hours=hours)


def one(frame: pd.DataFrame, post: str = "a") -> pd.Series:
    return frame.loc[post]


def test_ratios_from_the_latest_snapshot():
    s = snaps(
        [
            {
                "post": "a",
                "hour": 1,
                "impressions": 100,
                "members_reached": 50,
                "reactions": 1,
                "comments": 0,
                "reposts": 0,
            },
            {
                "post": "a",
                "hour": 100,
                "impressions": 2000,
                "members_reached": 400,
                "reactions": 50,
                "comments": 10,
                "reposts": 6,
                "saves": 3,
                "sends": 1,
                "clicks": 20,
                "profile_views": 8,
                "comment_replies": 5,
            },
        ]
    )
    m = one(post_metrics(posts(("a", 0)), s, followers(800), at(120)))
    assert m["impressions"] == 2000
    assert m["impressions_per_member_reached"] == 5.0
    assert m["interactions"] == 70  # 50 + 10 + 6 + 3 + 1
    assert m["engagement_rate"] == pytest.approx(0.035)
    assert m["saves_shares"] == 10  # 6 reposts + 3 saves + 1 send
    assert m["saves_shares_per_1k"] == pytest.approx(5.0)
    assert m["impressions_per_follower"] == pytest.approx(2.5)
    assert m["click_through_rate"] == pytest.approx(0.01)
    assert m["replies_per_comment"] == pytest.approx(0.5)
    assert m["profile_views_per_1k"] == pytest.approx(4.0)
    assert m["post_age_hours"] == 120
    assert m["hours_observed"] == 100


def test_missing_inputs_give_missing_metrics_never_zero():
    s = snaps([{"post": "a", "hour": 100, "impressions": 2000}])
    m = one(post_metrics(posts(("a", 0)), s, followers().iloc[0:0], at(120)))
    for name in [
        "members_reached",
        "impressions_per_member_reached",
        "interactions",
        "engagement_rate",
        "saves_shares_per_1k",
        "impressions_per_follower",
        "click_through_rate",
        "replies_per_comment",
        "followers",
        "reach_growth_48h",
    ]:
        assert math.isnan(m[name]), name


def test_a_post_without_snapshots_has_only_its_age_and_followers():
    m = one(
        post_metrics(
            posts(("a", 0)),
            snaps([{"post": "b", "hour": 1, "impressions": 1}]).iloc[0:0],
            followers(),
            at(5),
        )
    )
    assert m["post_age_hours"] == 5
    assert m["followers"] == 1000
    assert all(math.isnan(m[n]) for n in CATALOGUE if n not in {"post_age_hours", "followers"})


def test_sums_count_the_parts_that_were_reported():
    s = snaps([{"post": "a", "hour": 80, "impressions": 1000, "reactions": 20, "comments": 5}])
    m = one(post_metrics(posts(("a", 0)), s, followers(), at(80)))
    assert m["interactions"] == 25
    assert math.isnan(m["saves_shares"])  # none of reposts, saves, sends reported


def test_zero_denominators_are_missing_not_infinite():
    s = snaps(
        [
            {
                "post": "a",
                "hour": 80,
                "impressions": 0,
                "members_reached": 0,
                "reactions": 0,
                "comments": 0,
                "reposts": 0,
            }
        ]
    )
    m = one(post_metrics(posts(("a", 0)), s, followers(0), at(80)))
    for name in [
        "impressions_per_member_reached",
        "engagement_rate",
        "impressions_per_follower",
        "replies_per_comment",
    ]:
        assert math.isnan(m[name]), name


def test_snapshots_after_the_evaluation_moment_are_ignored():
    s = snaps(
        [
            {"post": "a", "hour": 10, "impressions": 100},
            {"post": "a", "hour": 50, "impressions": 900},
        ]
    )
    frame = post_metrics(posts(("a", 0), ("b", 40)), s, followers(), at(30))
    assert list(frame.index) == ["a"]  # b is not published yet
    assert frame.loc["a", "impressions"] == 100


def test_posts_are_ordered_newest_first():
    s = snaps([{"post": p, "hour": 100, "impressions": 10} for p in "abc"])
    frame = post_metrics(posts(("a", 0), ("c", 20), ("b", 10)), s, followers(), at(100))
    assert list(frame.index) == ["c", "b", "a"]
    # Posts published at the same moment: the greater id first, whatever order they came in.
    for given in (["a", "b", "c"], ["c", "b", "a"], ["b", "c", "a"], ["c", "a", "b"]):
        frame = post_metrics(posts(*((p, 5) for p in given)), s, followers(), at(100))
        assert list(frame.index) == ["c", "b", "a"], given


def linear(
    post: str, hours: range, per_hour: float, reach_per_hour: float | None = None
) -> list[dict]:
    rows = []
    for h in hours:
        row = {"post": post, "hour": h, "impressions": per_hour * h}
        if reach_per_hour is not None:
            row["members_reached"] = reach_per_hour * h
        rows.append(row)
    return rows


def test_48h_growth_is_relative_between_hour_24_and_hour_72():
    # Impressions 10/h throughout; reach 5/h until 24 h, then 1/h.
    rows = []
    for h in range(1, 81):
        reach = 5 * h if h <= 24 else 120 + (h - 24)
        rows.append({"post": "a", "hour": h, "impressions": 10 * h, "members_reached": reach})
    m = one(post_metrics(posts(("a", 0)), snaps(rows), followers(), at(80)))
    assert m["impressions_growth_48h"] == pytest.approx((720 - 240) / 240)  # +200 %
    assert m["reach_growth_48h"] == pytest.approx((168 - 120) / 120)  # +40 %


def test_growth_is_interpolated_between_sparse_snapshots():
    # Only two observations: 12 h and 96 h; values at 24 h and 72 h are interpolated.
    s = snaps(
        [
            {"post": "a", "hour": 12, "impressions": 120},
            {"post": "a", "hour": 96, "impressions": 960},
        ]
    )
    m = one(post_metrics(posts(("a", 0)), s, followers(), at(100)))
    assert m["impressions_growth_48h"] == pytest.approx((720 - 240) / 240)
    assert m["snapshot_gap_hours"] == 84


def test_curve_metrics_wait_until_the_72_hour_window_is_observed():
    m = one(
        post_metrics(posts(("a", 0)), snaps(linear("a", range(1, 50), 10)), followers(), at(49))
    )
    for name in [
        "impressions_growth_48h",
        "peak_hour",
        "share_first_24h",
        "share_48_72h",
    ]:
        assert math.isnan(m[name]), name
    assert m["impressions"] == 490  # the counters themselves are known
    assert m["snapshot_gap_hours"] == 1  # the first day, where peaks happen, is covered


def test_snapshot_gap_waits_for_the_first_day():
    m = one(
        post_metrics(posts(("a", 0)), snaps(linear("a", range(1, 20), 10)), followers(), at(20))
    )
    assert math.isnan(m["snapshot_gap_hours"])


def test_peak_hour_and_shares_of_the_curve():
    # A spike in hour 6 on top of a steady 10/h.
    rows, total = [], 0.0
    for h in range(1, 73):
        total += 10 + (500 if h == 6 else 0)
        rows.append({"post": "a", "hour": h, "impressions": total})
    m = one(post_metrics(posts(("a", 0)), snaps(rows), followers(), at(72)))
    assert m["peak_hour"] == 6
    assert m["share_first_24h"] == pytest.approx((240 + 500) / (720 + 500))
    assert m["share_48_72h"] == pytest.approx(240 / (720 + 500))
    assert m["snapshot_gap_hours"] == 1


def test_early_window_counts_the_first_90_minutes():
    s = snaps(
        [
            {
                "post": "a",
                "hour": 1,
                "impressions": 100,
                "reactions": 4,
                "comments": 2,
                "reposts": 0,
            },
            {
                "post": "a",
                "hour": 2,
                "impressions": 300,
                "reactions": 8,
                "comments": 2,
                "reposts": 2,
            },
        ]
    )
    m = one(post_metrics(posts(("a", 0)), s, followers(), at(2)))
    assert m["early_interactions"] == pytest.approx(9.0)  # halfway between 6 and 12
    assert m["early_engagement_rate"] == pytest.approx(9.0 / 200.0)


def test_early_window_is_missing_until_observed():
    s = snaps(
        [{"post": "a", "hour": 1, "impressions": 100, "reactions": 4, "comments": 2, "reposts": 0}]
    )
    m = one(post_metrics(posts(("a", 0)), s, followers(), at(1)))
    assert math.isnan(m["early_interactions"])


def test_followers_are_taken_as_of_the_moment_asked_as_the_header_gives_them():
    f = pd.DataFrame(
        {
            "account": ["acme"] * 3,
            "observed_at": [
                pd.Timestamp(PUB - timedelta(days=10)),
                pd.Timestamp(PUB - timedelta(hours=2)),
                pd.Timestamp(PUB + timedelta(days=5)),
            ],
            "followers": [700.0, 800.0, 900.0],
        }
    )
    s = snaps([{"post": "a", "hour": 80, "impressions": 1800}])
    m = one(post_metrics(posts(("a", 0)), s, f, at(200)))
    assert m["followers"] == 900
    assert m["impressions_per_follower"] == 2.0
    # Before the count of day 5, the one of two hours before publishing holds.
    assert one(post_metrics(posts(("a", 0)), s, f, at(100)))["followers"] == 800


def test_account_baselines_use_mature_posts_only():
    rows = []
    for post, imp in [("a", 1000), ("b", 2000), ("c", 3000)]:
        rows.append({"post": post, "hour": 100, "impressions": imp})
    rows.append({"post": "young", "hour": 110, "impressions": 50})
    frame = post_metrics(
        posts(("a", 0), ("b", 1), ("c", 2), ("young", 100)), snaps(rows), followers(), at(110)
    )
    assert frame.loc["c", "impressions_vs_account"] == pytest.approx(1.5)  # median 2000
    assert frame.loc["young", "impressions_vs_account"] == pytest.approx(0.025)


def test_account_baselines_need_three_mature_posts():
    rows = [{"post": p, "hour": 100, "impressions": 10} for p in "ab"]
    frame = post_metrics(posts(("a", 0), ("b", 1)), snaps(rows), followers(), at(110))
    assert frame["impressions_vs_account"].isna().all()


def test_the_frame_has_every_catalogue_metric_and_nothing_is_computed_in_place():
    s = snaps(linear("a", range(1, 80), 10, 5))
    p, f = posts(("a", 0)), followers()
    before = (p.copy(), s.copy(), f.copy())
    frame = post_metrics(p, s, f, at(80))
    assert [c for c in frame.columns if c in CATALOGUE] == list(CATALOGUE)
    pd.testing.assert_frame_equal(p, before[0])
    pd.testing.assert_frame_equal(s, before[1])
    pd.testing.assert_frame_equal(f, before[2])


def _read(
    post: str, points: list[tuple[float, float]], reach: list[float] | None = None
) -> list[dict]:
    rows = []
    for i, (hour, impressions) in enumerate(points):
        row = {"post": post, "hour": hour, "impressions": impressions}
        if reach is not None:
            row["members_reached"] = reach[i]
        rows.append(row)
    return rows


def test_the_peak_is_one_hour_where_no_long_stretch_could_hide_a_bigger_one():
    # Hourly for six hours (best: hour 2, 400), then twice a day gaining little.
    points = [(1, 300), (2, 700), (3, 900), (4, 950), (5, 970), (6, 980), (13, 1001)]
    points += [(25, 1035), (49, 1059), (61, 1071), (73, 1083)]
    m = one(post_metrics(posts(("a", 0)), snaps(_read("a", points)), followers(), at(100)))
    assert (m["peak_hour"], m["peak_hour_from"], m["peak_hour_to"]) == (2, 2, 2)
    assert np.isnan(m["peak_gap_from"])
    assert np.isnan(m["peak_gap_to"])


def test_a_peak_between_coarse_readings_is_a_range_of_hours():
    points = [(1, 100), (3, 1000), (6, 1150), (13, 1180), (25, 1200), (49, 1215), (73, 1226)]
    m = one(post_metrics(posts(("a", 0)), snaps(_read("a", points)), followers(), at(100)))
    assert np.isnan(m["peak_hour"])
    assert (m["peak_hour_from"], m["peak_hour_to"]) == (2, 3)
    assert (m["peak_gap_from"], m["peak_gap_to"]) == (1, 3)


def test_a_stretch_that_may_hide_the_peak_widens_the_range_and_names_the_reading():
    # Hour 2 gained 60; 600 between hour 3 and 12 may hold one bigger hour anywhere in it.
    points = [(1, 50), (2, 110), (3, 150), (12, 750), (25, 800), (49, 820), (73, 830)]
    m = one(post_metrics(posts(("a", 0)), snaps(_read("a", points)), followers(), at(100)))
    assert (m["peak_hour_from"], m["peak_hour_to"]) == (4, 12)
    assert (m["peak_gap_from"], m["peak_gap_to"]) == (3, 12)


def test_shares_are_bounded_by_the_readings_either_side_of_each_hour():
    points = [(25, 260), (49, 760), (61, 1240), (73, 1720)]
    m = one(post_metrics(posts(("a", 0)), snaps(_read("a", points)), followers(), at(100)))
    # Hour 24 lies between publishing (0) and hour 25 (260), hour 48 between hour 25
    # (260) and hour 49 (760), hour 72 between hour 61 (1,240) and hour 73 (1,720).
    assert m["share_first_24h_low"] == 0
    assert m["share_first_24h_high"] == pytest.approx(260 / 1240)
    assert m["share_48_72h_low"] == pytest.approx(1 - 760 / 1240)
    assert m["share_48_72h_high"] == pytest.approx(1 - 260 / 1720)
    assert m["share_48_72h_low"] <= m["share_48_72h"] <= m["share_48_72h_high"]


def test_shares_are_missing_until_hour_72_is_read():
    m = one(
        post_metrics(
            posts(("a", 0)), snaps(_read("a", [(25, 260), (61, 900)])), followers(), at(70)
        )
    )
    for name in ("share_first_24h_low", "share_first_24h_high", "share_48_72h_low"):
        assert np.isnan(m[name]), name


def test_recycling_is_judged_on_the_48_hour_window_where_impressions_most_outgrew_reach():
    points = [(1, 100), (2, 200), (3, 280), (4, 350), (5, 410), (6, 460), (13, 600)]
    points += [(25, 750), (50, 1000)]
    reach = [80, 150, 170, 180, 185, 190, 195, 200, 210]
    m = one(post_metrics(posts(("a", 0)), snaps(_read("a", points, reach)), followers(), at(50)))
    assert m["growth_from_hour"] == 2
    assert m["impressions_growth_48h"] == pytest.approx(4.0)
    assert m["reach_growth_48h"] == pytest.approx(0.4)


def test_recycling_waits_for_a_whole_48_hour_window():
    points = [(1, 100), (13, 600), (48, 900)]
    m = one(
        post_metrics(
            posts(("a", 0)), snaps(_read("a", points, [80, 195, 200])), followers(), at(48)
        )
    )
    assert np.isnan(m["impressions_growth_48h"])
    assert np.isnan(m["growth_from_hour"])
