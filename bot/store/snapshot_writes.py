"""Writing an import's snapshots: only the rows that add or change something.

An export is imported again and again (every export repeats the posts of the last
ones), so most of its rows are already stored. The stored rows of the posts a batch
touches are read first and compared with the batch as arrays; only new and changed
rows are written, and only posts that got one have their series rebuilt. A post the
store had no snapshot of has its series packed straight from the batch, without
reading back what was just written. The counts (new, changed, unchanged) are those
the upsert would give: a stored value is kept where the new row has none, and a row
changes only where a value it gives differs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bot.model import COUNTERS, SnapshotTable
from bot.store import series

#: Rows per executemany: Python objects for them exist one batch at a time.
_ROWS_PER_CALL = 50_000
#: Posts whose series are packed at a time.
_POSTS_PER_PACK = 5_000


@dataclass(frozen=True)
class SnapshotWrite:
    new: int
    changed: int
    unchanged: int
    #: Posts with a row written, which had snapshots stored before (series rebuilt from SQL).
    merged_posts: tuple[str, ...]
    #: Posts with a row written and none stored before (series packed from the batch).
    fresh_posts: tuple[str, ...]
    #: (post, observed_at) of every row written.
    written: SnapshotTable


def write_snapshots(conn: sqlite3.Connection, sql: str, table: SnapshotTable) -> SnapshotWrite:
    """Upsert the rows of `table` that are new or differ from the store (with `sql`,
    the snapshots upsert), and rebuild the series of the posts they belong to."""
    n = len(table)
    every_post = pd.unique(table.posts)
    stored = _stored(conn, every_post)
    if stored.empty:
        new = np.ones(n, dtype=bool)
        changed = np.zeros(n, dtype=bool)
    else:
        batch = pd.DataFrame({"post": table.posts, "observed_at": table.observed})
        stored["_at"] = np.arange(len(stored))
        found = batch.merge(
            stored[["post", "observed_at", "_at"]], on=["post", "observed_at"], how="left"
        )
        at = found["_at"].to_numpy(dtype=np.float64, na_value=np.nan)
        new = np.isnan(at)
        at = np.where(new, 0, at).astype(np.int64)
        differs = np.zeros(n, dtype=bool)
        for name, column in zip(COUNTERS, table.counters, strict=True):
            if column is not None:
                # int64 on both sides (-1 for NULL): exact past 2**53.
                differs |= (column >= 0) & (column != stored[name].to_numpy()[at])
        changed = ~new & differs
    write = new | changed
    rows = table if write.all() else _take(table, np.flatnonzero(write))
    for start in range(0, len(rows), _ROWS_PER_CALL):
        conn.executemany(sql, rows.rows(start, start + _ROWS_PER_CALL))

    touched = every_post if rows is table else pd.unique(rows.posts)
    had = set(stored["post"].unique()) if not stored.empty else set()
    fresh = tuple(p for p in touched if p not in had)
    merged = tuple(p for p in touched if p in had)
    if merged:
        series.rebuild(conn, merged)
    if fresh:
        _pack_fresh(conn, rows, set(fresh), every=len(fresh) == len(touched))
    return SnapshotWrite(
        new=int(new.sum()),
        changed=int(changed.sum()),
        unchanged=int(n - write.sum()),
        merged_posts=merged,
        fresh_posts=fresh,
        written=rows,
    )


def _stored(conn: sqlite3.Connection, posts: Sequence[str]) -> pd.DataFrame:
    """The stored snapshots of these posts, counters as int64 (-1 for NULL)."""
    names = ["post", "observed_at", *COUNTERS]
    select = ", ".join(["post", "observed_at", *(f"coalesce({c}, -1)" for c in COUNTERS)])
    parts = []
    for chunk, marks in series.id_chunks(posts):
        rows = conn.execute(
            f"SELECT {select} FROM snapshots WHERE post IN ({marks})", chunk
        ).fetchall()
        if rows:
            parts.append(pd.DataFrame.from_records(rows, columns=names))
    if not parts:
        return pd.DataFrame(columns=names)
    return pd.concat(parts, ignore_index=True)


def _take(table: SnapshotTable, index: np.ndarray) -> SnapshotTable:
    if len(index) == len(table):
        return table
    return SnapshotTable(
        table.posts[index],
        table.observed[index],
        [None if c is None else c[index] for c in table.counters],
    )


def _pack_fresh(
    conn: sqlite3.Connection, rows: SnapshotTable, fresh: set[str], *, every: bool
) -> None:
    """Write the series of posts whose every snapshot is in `rows` (none was stored),
    packed as series.pack packs them, in (post, observed_at) order as SQL sorts them."""
    # Sorted as SQL sorts them, by integer codes: sorting 2,000,000 texts would need
    # several times the memory. Canonical UTC text sorts as time does.
    if every:  # every post of `rows` is fresh: no copy of its columns
        posts_in, observed_in = rows.posts, rows.observed
    else:
        keep = np.flatnonzero(np.fromiter((p in fresh for p in rows.posts), bool, len(rows)))
        posts_in, observed_in = rows.posts[keep], rows.observed[keep]
    post_codes, post_names = pd.factorize(posts_in, sort=True)
    moment_codes, moments = pd.factorize(observed_in, sort=True)
    del posts_in, observed_in
    index = np.lexsort((moment_codes, post_codes))
    post_codes, moment_codes = post_codes[index], moment_codes[index]
    if not every:
        index = keep[index]
    # Stored times are canonical UTC text (2026-03-01T09:00:00Z): numpy reads them
    # for years 1 to 9999, where pandas' nanoseconds stop at 2262.
    seconds = np.array([m.removesuffix("Z") for m in moments], dtype="datetime64[s]")
    times = seconds.astype(series.TIMES)[moment_codes]
    posts = post_names[post_codes]
    starts = np.flatnonzero(np.r_[True, post_codes[1:] != post_codes[:-1]])
    ends = np.r_[starts[1:], len(posts)]
    # A slice of posts at a time: the float matrix of 2,000,000 rows would be 190 MB.
    for first in range(0, len(starts), _POSTS_PER_PACK):
        a, b = starts[first], ends[min(first + _POSTS_PER_PACK, len(starts)) - 1]
        values = np.full((b - a, len(COUNTERS)), np.nan, dtype=series.VALUES)
        for i, column in enumerate(rows.counters):
            if column is not None:
                part = column[index[a:b]]
                values[:, i] = np.where(part >= 0, part, np.nan)
        conn.executemany(
            series.UPSERT,
            (
                (posts[s], times[s:e].tobytes(), values[s - a : e - a].tobytes())
                for s, e in zip(
                    starts[first : first + _POSTS_PER_PACK].tolist(),
                    ends[first : first + _POSTS_PER_PACK].tolist(),
                    strict=True,
                )
            ),
        )
