"""What was known at a moment: the shared first step of post and account metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from bot.commands.loading import measure
from bot.demo import DEMO_NOW
from bot.metrics import account_metrics, observe, post_metrics
from bot.metrics.observed import as_text, locate, until
from bot.metrics.table import Table
from bot.store import Store, _utc


def test_locate_finds_each_value_in_runs_or_scattered():
    ids = np.array(["c", "a", "b"], dtype=object)
    wanted = np.array(["a", "a", "b", "zz", "zz", "c", "a", "b"], dtype=object)
    assert locate(ids, wanted).tolist() == [1, 1, 2, -1, -1, 0, 1, 2]


def test_locate_takes_the_first_of_repeated_ids_and_handles_nothing():
    ids = np.array(["x", "y", "x"], dtype=object)
    assert locate(ids, np.array(["x", "y", "x"], dtype=object)).tolist() == [0, 1, 0]
    assert locate(ids, np.array([], dtype=object)).tolist() == []
    assert locate(np.array([], dtype=object), np.array(["x"], dtype=object)).tolist() == [-1]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_until_is_exact_whatever_the_unit(unit):
    base = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
    naive = np.datetime64("2026-03-15T09:00:00", unit)
    times = np.array([naive - np.timedelta64(1, "s"), naive, naive + np.timedelta64(1, "s")])
    assert until(times, base).tolist() == [True, True, False]
    # A moment between two units: the time at `base` is before it, the next is after.
    assert until(times, base + timedelta(microseconds=1)).tolist() == [True, True, False]
    assert until(times, base - timedelta(microseconds=1)).tolist() == [True, False, False]
    # A moment given in another zone is the same moment.
    paris = base.astimezone(ZoneInfo("Europe/Paris"))
    assert until(times, paris).tolist() == [True, True, False]


def test_a_pandas_column_of_time_objects_becomes_utc_times():
    times = pd.Series(
        [pd.Timestamp("2026-01-01T01:00:00+01:00"), pd.Timestamp("2027-01-01T00:00:00Z"), None]
    ).astype(object)
    table = Table.of(pd.DataFrame({"published_at": times}))
    assert table["published_at"].dtype == np.dtype("datetime64[us]")
    assert until(table["published_at"], datetime(2026, 6, 1, tzinfo=UTC)).tolist() == [
        True,
        False,
        False,  # a missing time is never before a moment
    ]
    assert table.record(0)["published_at"] == datetime(2026, 1, 1, tzinfo=UTC)


def test_observe_keeps_only_what_was_known_and_points_each_snapshot_at_its_post():
    at = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
    posts = pd.DataFrame(
        {
            "id": ["old", "new", "future"],
            "account": "acme",
            "published_at": pd.to_datetime(
                [at - timedelta(days=3), at - timedelta(hours=5), at + timedelta(hours=1)], utc=True
            ),
        }
    )
    snaps = pd.DataFrame(
        {
            "post": ["new", "old", "other", "old", "future", "new"],
            "observed_at": pd.to_datetime(
                [
                    at - timedelta(hours=1),
                    at - timedelta(days=1),
                    at,
                    at,
                    at,
                    at + timedelta(seconds=1),
                ],
                utc=True,
            ),
            "impressions": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        }
    )
    seen = observe(posts, snaps, at, newest_first=True)
    assert seen.ids.tolist() == ["new", "old"]  # newest first, the future post left out
    assert seen.snaps["impressions"].tolist() == [10.0, 20.0, 40.0]
    assert seen.ids[seen.pos].tolist() == ["new", "old", "old"]
    assert seen.counter("impressions").tolist() == [10.0, 20.0, 40.0]
    assert np.isnan(seen.counter("clicks")).all()  # not in the frame: not reported


def test_utc_times_equal_pandas_own_conversion():
    seconds = np.array([0, 1_763_888_400, -30_610_224_000, 253_402_300_799], dtype="int64")
    expected = pd.to_datetime(seconds, unit="s", utc=True)
    assert (_utc(seconds) == expected.tz_convert(None).to_numpy("datetime64[us]")).all()
    assert _utc(seconds).dtype == np.dtype("datetime64[us]")
    assert _utc(np.empty(0, dtype="int64")).dtype == np.dtype("datetime64[us]")
    assert Table.build({"t": _utc(seconds)}).to_pandas()["t"].equals(pd.Series(expected))


@pytest.mark.parametrize("hours_back", [0, 30, 24 * 20])
def test_measure_shares_one_pass_and_equals_the_separate_metrics(demo_store: Store, hours_back):
    """measure() observes once for both frames; it must say exactly what
    post_metrics and account_metrics say on their own."""
    at = DEMO_NOW - timedelta(hours=hours_back)
    measured = measure(demo_store, "demo-creator", at)
    history = measured.history
    followers = history.followers.to_pandas().assign(account="demo-creator")
    frame = history.posts.to_pandas().assign(account_kind=history.account.kind)
    snapshots = history.snapshots.to_pandas()
    posts = post_metrics(frame, snapshots, followers, at)
    accounts = pd.DataFrame({"id": ["demo-creator"], "kind": [history.account.kind]})
    account = account_metrics(accounts, frame, snapshots, followers, posts, at)
    pd.testing.assert_frame_equal(measured.posts.to_pandas(), posts, check_exact=True)
    pd.testing.assert_frame_equal(measured.account_metrics.to_pandas(), account, check_exact=True)
    assert len(posts)
    assert posts["impressions"].notna().any()


def test_as_text_gives_what_str_gives():
    values = np.array(["acme", 7, None, 2.5, "ünï"], dtype=object)
    assert as_text(values).tolist() == ["acme", "7", "None", "2.5", "ünï"]
    assert as_text(np.array(["a", "b"], dtype=object)).tolist() == ["a", "b"]
    assert as_text(np.array(["a", "b"], dtype=object)).dtype == object


def test_until_holds_for_moments_beyond_the_columns_range():
    times = np.array(["2026-03-01T00:00:00"], dtype="datetime64[ns]")
    assert until(times, datetime(2300, 1, 1, tzinfo=UTC)).tolist() == [True]
    assert until(times, datetime(999, 1, 1, tzinfo=UTC)).tolist() == [False]


def test_locate_copes_with_missing_ids_that_cannot_be_compared():
    wanted = pd.array(["a", None, "b", "b"], dtype="string").to_numpy(dtype=object)
    assert locate(np.array(["b", "a"], dtype=object), wanted).tolist() == [1, -1, 0, 0]


def test_as_text_writes_values_that_are_not_strings_as_str_does():
    values = np.array([b"acme", np.float32(0.1), 3], dtype=object)
    assert as_text(values).tolist() == [str(b"acme"), str(np.float32(0.1)), "3"]


def test_account_metrics_do_not_depend_on_the_order_posts_come_in():
    """Week sums add posts in one order whatever order they come in, so the
    standalone call and measure() (which sorts) give the same last digits."""
    at = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
    ids = [f"p{i}" for i in range(6)]
    published = [at - timedelta(days=1, hours=i) for i in range(6)]
    posts = pd.DataFrame(
        {"id": ids, "account": "acme", "published_at": pd.to_datetime(published, utc=True)}
    )
    snaps = pd.DataFrame(
        {
            "post": ids,
            "observed_at": pd.to_datetime([at - timedelta(minutes=5)] * 6, utc=True),
            "impressions": [0.1, 0.2, 0.3, 1e16, 1.0, -1e16],
        }
    )
    followers = pd.DataFrame(
        {"account": ["acme"], "observed_at": pd.to_datetime([at], utc=True), "followers": [9.0]}
    )
    accounts = pd.DataFrame({"id": ["acme"], "kind": ["member"]})

    def weekly(order: list[int]) -> float:
        shuffled = posts.iloc[order].reset_index(drop=True)
        frame = post_metrics(shuffled, snaps, followers, at)
        return account_metrics(accounts, shuffled, snaps, followers, frame, at).loc[
            "acme", "impressions_week"
        ]

    assert weekly([0, 1, 2, 3, 4, 5]) == weekly([5, 4, 3, 2, 1, 0]) == weekly([3, 0, 5, 1, 4, 2])
