"""Tables: the metrics stage's frames, and the local midnights cut without pandas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from bot.metrics.table import Table
from bot.metrics.zones import local_midnight, wall_time


def test_a_pandas_frame_goes_through_a_table_and_back_unchanged():
    frame = pd.DataFrame(
        {
            "account": ["acme", "globex"],
            "published_at": pd.to_datetime(["2026-03-01T09:00Z", "2026-03-02T10:30Z"]),
            "impressions": [1200.0, np.nan],
        },
        index=pd.Index(["p1", "p2"], name="post"),
    )
    back = Table.of(frame).to_pandas()
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["published_at"].dt.tz is not None  # UTC again, not a naive time


def test_rows_are_picked_by_label_mask_or_position():
    table = Table.build({"x": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]}, index=["p", "q", "p"])
    assert table.position("p") == 0  # the first of a repeated label
    assert table.row("q") == {"x": 2.0, "name": "b"}
    assert not table.has("zz")
    with pytest.raises(KeyError):
        table.position("zz")
    picked = table.take(np.array([False, True, True]))
    assert picked.index.tolist() == ["q", "p"]
    assert picked.position("p") == 1  # its own labels, not the table's it came from
    assert table.head(2)["name"].tolist() == ["a", "b"]
    assert table.with_columns(kind="member")["kind"].tolist() == ["member"] * 3


def test_a_column_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="'x' has 2 rows, not 3"):
        Table.build({"x": [1, 2]}, index=["a", "b", "c"])


def test_floats_read_numbers_and_leave_the_rest_missing():
    table = Table.build({"mixed": np.array([3, None, "7.5", "n/a"], dtype=object)})
    values = table.floats("mixed")
    assert values[0] == 3.0
    assert values[2] == 7.5
    assert np.isnan(values[[1, 3]]).all()
    assert np.isnan(table.floats("absent")).all()  # never given: not reported


def _pandas_midnight(day: date, zone: str) -> datetime:
    """What the metrics cut weeks at before they left pandas."""
    stamp = pd.Timestamp(day).tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert("UTC").to_pydatetime()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Paris", date(2026, 3, 29)),  # clocks change at 02:00: midnight is plain
        ("America/Santiago", date(2026, 9, 6)),  # midnight never happens: clocks jump to 01:00
        ("America/Havana", date(2026, 11, 1)),  # midnight happens twice
        ("Atlantic/Azores", date(2026, 10, 25)),  # twice, at UTC's own midnight
        ("Asia/Beirut", date(2026, 3, 29)),  # skipped
        ("Asia/Tokyo", date(2026, 6, 1)),
    ],
)
def test_local_midnight_is_where_pandas_put_it_across_clock_changes(zone: str, day: date):
    assert wall_time(day, ZoneInfo(zone)) == _pandas_midnight(day, zone)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(zone))
    assert local_midnight(noon, zone) == _pandas_midnight(day, zone)
    assert local_midnight(noon, zone, 7) == _pandas_midnight(day - timedelta(days=7), zone)


def test_a_skipped_midnight_is_the_moment_the_clocks_jumped():
    # Santiago, 6 Sep 2026: at 00:00 (-04:00) the clocks jump to 01:00 (-03:00).
    jumped = wall_time(date(2026, 9, 6), ZoneInfo("America/Santiago"))
    assert jumped == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert jumped.astimezone(ZoneInfo("America/Santiago")).hour == 1
