"""Writing snapshots: only new and changed rows are written, counted as the upsert
counts them, and the series packed straight from a batch are the ones SQL rebuilds."""

from __future__ import annotations

import pytest

from bot.ingest.csvfile import parse_csv
from bot.model import SnapshotTable
from bot.store import ImportTotals, Store

HEADER = "account,post,published_at,observed_at,impressions,members_reached,saves"
ROWS = [
    "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,900,500,4",
    "acme,p1,2026-03-01T09:00:00Z,2026-03-01T10:00:00Z,100,80,",  # out of time order
    "acme,p2,2026-03-03T09:00:00Z,2026-03-03T10:00:00Z,50,40,0",
    "zed,p3,0999-01-01T00:00:00Z,1000-01-01T00:00:00Z,7,,",  # years numpy and SQL must agree on
]


def csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def series_rows(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT * FROM snapshot_series ORDER BY post").fetchall()


@pytest.mark.parametrize("per_pack", [1, 2, 5000])
def test_series_packed_from_the_batch_equal_those_sql_rebuilds(
    store: Store, monkeypatch: pytest.MonkeyPatch, per_pack: int
):
    monkeypatch.setattr("bot.store.snapshot_writes._POSTS_PER_PACK", per_pack)
    batch = parse_csv(csv(*ROWS))
    assert isinstance(batch.snapshots, SnapshotTable)
    store.write(batch)
    packed = series_rows(store)
    assert len(packed) == 3
    assert store.rebuild_series() == 3
    assert series_rows(store) == packed


def test_an_unchanged_reimport_writes_nothing_at_all(store: Store):
    """It used to rewrite every touched post's series, and was slower than the first import."""
    store.write(parse_csv(csv(*ROWS)))
    before = store.conn.total_changes
    summary = store.write(parse_csv(csv(*ROWS)))
    assert summary.nothing_changed
    assert (summary.snapshots.new, summary.snapshots.changed, summary.snapshots.unchanged) == (
        0,
        0,
        4,
    )
    assert store.conn.total_changes == before


def test_new_changed_and_unchanged_rows_are_counted_as_the_upsert_counts_them(store: Store):
    store.write(parse_csv(csv(*ROWS)))
    again = [
        ROWS[0].replace(",4", ","),  # an empty cell keeps the stored 4: unchanged
        ROWS[1].replace("100,80,", "120,80,"),  # changed
        ROWS[2],  # unchanged
        "acme,p2,2026-03-03T09:00:00Z,2026-03-04T09:00:00Z,70,50,1",  # new
    ]
    summary = store.write(parse_csv(csv(*again)))
    assert (summary.snapshots.new, summary.snapshots.changed, summary.snapshots.unchanged) == (
        1,
        1,
        2,
    )
    stored = store.conn.execute(
        "SELECT post, observed_at, impressions, saves FROM snapshots ORDER BY post, observed_at"
    ).fetchall()
    assert stored == [
        ("p1", "2026-03-01T10:00:00Z", 120, None),
        ("p1", "2026-03-02T09:00:00Z", 900, 4),
        ("p2", "2026-03-03T10:00:00Z", 50, 0),
        ("p2", "2026-03-04T09:00:00Z", 70, 1),
        ("p3", "1000-01-01T00:00:00Z", 7, None),
    ]
    packed = series_rows(store)
    store.rebuild_series()
    assert series_rows(store) == packed


def test_counts_past_float_precision_are_compared_exactly(store: Store):
    big = "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,9007199254740993,,"
    store.write(parse_csv(csv(big)))
    assert store.write(parse_csv(csv(big))).nothing_changed
    lower = big.replace("9007199254740993", "9007199254740992")
    assert store.write(parse_csv(csv(lower))).snapshots.changed == 1


def test_an_import_is_known_until_any_data_is_written(store: Store):
    batch = parse_csv(csv(*ROWS))
    store.write(batch, digest="first")
    assert store.imported_before("first") == ImportTotals.of(batch)
    assert store.imported_before("other") is None
    store.write(parse_csv(csv(*ROWS)))  # changes nothing: still known
    assert store.imported_before("first") == ImportTotals.of(batch)
    store.clear_account_data(["zed"])
    assert store.imported_before("first") is None


def test_new_posts_and_new_readings_of_stored_posts_in_one_batch(store: Store):
    """New posts are packed from the batch, stored ones rebuilt from SQL, side by side."""
    store.write(parse_csv(csv(*ROWS)))
    summary = store.write(
        parse_csv(
            csv(
                "acme,p9,2026-03-05T09:00:00Z,2026-03-06T09:00:00Z,300,200,",
                "acme,p1,2026-03-01T09:00:00Z,2026-03-03T09:00:00Z,950,510,5",
                "acme,p9,2026-03-05T09:00:00Z,2026-03-05T10:00:00Z,30,20,",
            )
        )
    )
    assert (summary.snapshots.new, summary.posts.new) == (3, 1)
    packed = series_rows(store)
    assert len(packed) == 4
    store.rebuild_series()
    assert series_rows(store) == packed
