"""Account metrics on crafted data: week over week, best posts, the posting-time audit."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from bot.metrics import account_metrics, post_metrics, posting_slots
from bot.model import COUNTERS

AT = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)  # a midnight: weeks are cut at midnight
ACCOUNTS = pd.DataFrame({"id": ["acme"], "kind": ["member"]})


def build(
    posts: list[tuple[str, datetime]],
    rows: list[dict],
    followers: list[tuple[datetime, int]] = (),
    *,
    at: datetime = AT,
    zone: str | None = None,
):
    post_frame = pd.DataFrame(
        {
            "id": [p for p, _ in posts],
            "account": "acme",
            "published_at": [pd.Timestamp(t) for _, t in posts],
            "url": None,
            "format": None,
            "title": None,
        }
    )
    snaps = pd.DataFrame(
        [
            {
                "post": r["post"],
                "observed_at": pd.Timestamp(r["at"]),
                **{c: float(r[c]) if c in r else np.nan for c in COUNTERS},
            }
            for r in rows
        ],
        columns=["post", "observed_at", *COUNTERS],
    )
    snaps["observed_at"] = pd.to_datetime(snaps["observed_at"], utc=True)
    fol = pd.DataFrame(
        {
            "account": "acme",
            "observed_at": pd.to_datetime([t for t, _ in followers], utc=True),
            "followers": [float(n) for _, n in followers],
        }
    )
    metrics = post_metrics(post_frame, snaps, fol, at)
    accounts = ACCOUNTS if zone is None else ACCOUNTS.assign(timezone=[zone])
    return account_metrics(accounts, post_frame, snaps, fol, metrics, at).loc["acme"], metrics


def test_week_over_week_counts_what_each_week_gained():
    old = AT - timedelta(days=12)
    new = AT - timedelta(days=5)
    row, _ = build(
        [("old", old), ("new", new)],
        [
            # old: 1,000 impressions by the end of last week, 1,100 by now
            {
                "post": "old",
                "at": AT - timedelta(days=7),
                "impressions": 1000,
                "members_reached": 500,
                "reactions": 40,
                "comments": 0,
                "reposts": 0,
            },
            {
                "post": "old",
                "at": AT,
                "impressions": 1100,
                "members_reached": 520,
                "reactions": 42,
                "comments": 0,
                "reposts": 0,
            },
            # new: published this week
            {
                "post": "new",
                "at": AT,
                "impressions": 2000,
                "members_reached": 1000,
                "reactions": 20,
                "comments": 0,
                "reposts": 0,
            },
        ],
        followers=[(AT - timedelta(days=20), 700), (AT - timedelta(days=1), 800)],
    )
    assert row["impressions_prev_week"] == 1000
    assert row["impressions_week"] == 2100
    assert row["impressions_change"] == pytest.approx(1.1)
    assert row["reach_week"] == 1020
    assert row["reach_change"] == pytest.approx(1020 / 500 - 1)
    assert row["engagement_rate_prev_week"] == pytest.approx(0.04)
    assert row["engagement_rate_week"] == pytest.approx(22 / 2100)
    assert row["posts_week"] == 1
    assert row["posts_prev_week"] == 1
    assert row["followers"] == 800
    assert row["hours_since_observed"] == 0
    assert row["account_kind"] == "member"


def test_week_boundaries_are_interpolated_between_snapshots():
    start = AT - timedelta(days=10)
    row, _ = build(
        [("p", start)],
        [
            {"post": "p", "at": start + timedelta(days=1), "impressions": 100},
            # 7 days before AT falls halfway between these two snapshots
            {"post": "p", "at": AT - timedelta(days=8), "impressions": 100},
            {"post": "p", "at": AT - timedelta(days=6), "impressions": 300},
        ],
    )
    assert row["impressions_prev_week"] == pytest.approx(200)  # 0 -> 200 (interpolated)
    assert row["impressions_week"] == pytest.approx(100)  # 200 -> 300, held to the end
    assert row["hours_since_observed"] == 6 * 24


def test_an_account_without_data_has_missing_metrics():
    row, _ = build([("p", AT - timedelta(days=1))], [{"post": "q", "at": AT, "impressions": 1}][:0])
    assert row["posts_week"] == 1
    for name in (
        "impressions_week",
        "impressions_change",
        "engagement_rate_week",
        "hours_since_observed",
        "followers",
        "best_posts_peak_hour",
    ):
        assert math.isnan(row[name]), name


def hourly(
    post: str, published: datetime, peak_hour: int, total: float, early_rate: float
) -> list[dict]:
    """A post whose impressions arrive mostly in `peak_hour`, with `early_rate` engagement early."""
    rows, cumulative = [], 0.0
    for hour in range(1, 74):
        cumulative += total * (0.6 if hour == peak_hour else 0.4 / 72)
        rows.append(
            {
                "post": post,
                "at": published + timedelta(hours=hour),
                "impressions": cumulative,
                "reactions": cumulative * early_rate if hour <= 2 else cumulative * 0.03,
                "comments": 0,
                "reposts": 0,
            }
        )
    return rows


def test_best_posts_are_the_top_quarter_and_their_median_peak_is_kept():
    posts, rows = [], []
    for i in range(8):
        published = AT - timedelta(days=5 + 4 * i)
        big = i % 2 == 0
        posts.append((f"p{i}", published))
        rows += hourly(
            f"p{i}",
            published,
            peak_hour=9 if big else 2,
            total=5000 + 100 * i if big else 1000,
            early_rate=0.05,
        )
    row, _ = build(posts, rows)
    assert row["mature_posts"] == 8
    assert row["best_posts"] == 2  # the top quarter of 8
    assert row["best_posts_peak_hour"] == 9


def test_posting_slots_rank_weekday_and_hour_by_early_engagement():
    posts, rows = [], []
    monday_9 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    for week in range(3):
        for offset, rate in ((0, 0.08), (1, 0.02)):  # Mondays 09:00 good, Tuesdays 09:00 slow
            published = monday_9 + timedelta(days=7 * week + offset)
            name = f"p{week}{offset}"
            posts.append((name, published))
            rows += hourly(name, published, 2, 1000, rate)
    posts.append(("once", monday_9 + timedelta(days=2, hours=5)))  # a one-off Wednesday 14:00
    rows += hourly("once", monday_9 + timedelta(days=2, hours=5), 2, 1000, 0.2)
    _, metrics = build(posts, rows)
    slots = posting_slots(metrics, "acme")
    assert [(s["day_name"], s["hour"], s["posts"]) for s in slots] == [
        ("Monday", 9, 3),
        ("Tuesday", 9, 3),
    ]
    assert slots[0]["early_engagement_rate"] > slots[1]["early_engagement_rate"]
    # Against the median of all seven posts' rates: the three good Mondays set it.
    overall = slots[0]["early_engagement_rate"]
    assert slots[1]["vs_overall"] == pytest.approx(slots[1]["early_engagement_rate"] / overall)
    assert slots[0]["vs_overall"] == 1.0
    assert all(type(s["hour"]) is int and type(s["vs_overall"]) is float for s in slots)
    assert posting_slots(metrics, "acme", limit=1) == slots[:1]
    assert posting_slots(metrics, "someone-else") == []
    # A post without a publishing time has no slot, but still counts overall.
    undated = metrics.copy()
    undated.loc[undated.index[0], "published_at"] = pd.NaT
    slots = posting_slots(undated, "acme")
    assert {(s["day_name"], s["posts"]) for s in slots} in (
        {("Monday", 2), ("Tuesday", 3)},
        {("Monday", 3), ("Tuesday", 2)},
    )


# -- the account's own time zone --

PARIS = "Europe/Paris"


def _slots_of(published: list[datetime], at: datetime, zone: str) -> list[tuple[str, int, int]]:
    posts, rows = [], []
    for i, when in enumerate(published):
        posts.append((f"p{i}", when))
        rows += hourly(f"p{i}", when, 2, 1000, 0.05)
    _, metrics = build(posts, rows, at=at)
    return [
        (s["day_name"], s["hour"], s["posts"]) for s in posting_slots(metrics, "acme", zone=zone)
    ]


@pytest.mark.parametrize(
    ("published", "at"),
    [
        # Tuesdays at 09:00 in Paris around the last Sunday of March (29 Mar 2026):
        # 08:00 UTC in winter time, 07:00 UTC in summer time.
        (
            ["2026-03-17T08:00Z", "2026-03-24T08:00Z", "2026-03-31T07:00Z", "2026-04-07T07:00Z"],
            "2026-04-20T00:00Z",
        ),
        # ... and around the last Sunday of October (25 Oct 2026), the other way.
        (
            ["2026-10-13T07:00Z", "2026-10-20T07:00Z", "2026-10-27T08:00Z", "2026-11-03T08:00Z"],
            "2026-11-20T00:00Z",
        ),
    ],
)
def test_the_posting_time_audit_speaks_of_paris_hours_across_a_clock_change(published, at):
    moments = [pd.Timestamp(p).to_pydatetime() for p in published]
    at = pd.Timestamp(at).to_pydatetime()
    # One slot in Paris, where the team posts at 09:00 every Tuesday...
    assert _slots_of(moments, at, PARIS) == [("Tuesday", 9, 4)]
    # ... which UTC would split in two hours, neither the one the team knows.
    assert sorted(_slots_of(moments, at, "UTC")) == [("Tuesday", 7, 2), ("Tuesday", 8, 2)]


def test_a_post_late_on_monday_in_utc_is_a_tuesday_post_in_paris():
    late = [datetime(2026, 2, d, 23, 30, tzinfo=UTC) for d in (2, 9)]  # Mondays, UTC
    at = datetime(2026, 3, 1, tzinfo=UTC)
    assert _slots_of(late, at, PARIS) == [("Tuesday", 0, 2)]
    assert _slots_of(late, at, "UTC") == [("Monday", 23, 2)]


def _counted(published: list[datetime], at: datetime, zone: str | None) -> tuple[float, float]:
    posts = [(f"p{i}", when) for i, when in enumerate(published)]
    row, _ = build(posts, [], at=at, zone=zone)
    return row["posts_prev_week"], row["posts_week"]


def test_weeks_are_cut_at_midnight_in_the_accounts_zone():
    at = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # Sunday noon
    posts = [
        datetime(2026, 3, 7, 23, 30, tzinfo=UTC),  # Sun 8 Mar 00:30 in Paris, Sat 7 in UTC
        datetime(2026, 3, 14, 23, 30, tzinfo=UTC),  # Sun 15 Mar 00:30 in Paris: today there
    ]
    # In Paris this week is 8-14 March (from 7 Mar 23:00 UTC to 14 Mar 23:00 UTC).
    assert _counted(posts, at, PARIS) == (0, 1)
    # In UTC it is 8-14 March by UTC days: the first post falls in the week before.
    assert _counted(posts, at, "UTC") == (1, 1)
    assert _counted(posts, at, None) == (1, 1)  # no zone given: UTC


def test_a_week_across_the_spring_change_lasts_167_hours_in_paris():
    from bot.metrics.zones import week_bounds

    at = pd.Timestamp("2026-04-01T12:00Z")
    before, start, end = week_bounds(at, PARIS)
    assert start == pd.Timestamp("2026-03-24T23:00Z")  # 25 Mar 00:00, winter time
    assert end == pd.Timestamp("2026-03-31T22:00Z")  # 1 Apr 00:00, summer time
    assert end - start == pd.Timedelta(hours=167)
    assert start - before == pd.Timedelta(hours=168)
    posts = [
        datetime(2026, 3, 31, 21, 30, tzinfo=UTC),  # 23:30 on 31 Mar in Paris: this week
        datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 on 1 Apr in Paris: today
    ]
    assert _counted(posts, at.to_pydatetime(), PARIS) == (0, 1)
