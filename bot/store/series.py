"""Each post's snapshots packed into one row of `snapshot_series`, so a request reads
30 rows instead of thousands: observation times as little-endian int64 seconds since
1970, counters as little-endian float64 (NaN where not reported), one row of
COUNTERS per observation, in time order.

`snapshots` stays the source of truth; every write to it rebuilds the touched posts'
series in the same transaction (`rebuild`), and tests check that reading either
gives the same frame.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator

import numpy as np

from bot.errors import StoreError
from bot.model import COUNTERS

TIMES = np.dtype("<i8")
VALUES = np.dtype("<f8")

#: Stored UTC text to whole seconds since 1970, in SQL: far cheaper than parsing in Python.
SECONDS = "CAST(strftime('%s', {0}) AS INTEGER)"

_SELECT = (
    "SELECT post, "
    + SECONDS.format("observed_at")
    + ", "
    + ", ".join(COUNTERS)
    + " FROM snapshots{where} ORDER BY post, observed_at"
)
UPSERT = "INSERT OR REPLACE INTO snapshot_series (post, observed, counters) VALUES (?, ?, ?)"
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def pack(rows: list[tuple[object, ...]]) -> tuple[bytes, bytes]:
    """(observed, counters) blobs for one post's rows of (post, seconds, *counters)."""
    times = np.array([row[1] for row in rows], dtype=TIMES)
    values = np.array(
        [[np.nan if cell is None else cell for cell in row[2:]] for row in rows], dtype=VALUES
    )
    return times.tobytes(), values.tobytes()


def unpack(observed: bytes, counters: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Times (n,) and counters (n, len(COUNTERS)) of one post."""
    times = np.frombuffer(observed, dtype=TIMES)
    values = np.frombuffer(counters, dtype=VALUES)
    if values.size != times.size * len(COUNTERS):
        raise ValueError("a snapshot series does not match this program's counters")
    return times, values.reshape(times.size, len(COUNTERS))


def id_chunks(ids: Iterable[str]) -> Iterator[tuple[list[str], str]]:
    """The distinct ids, sorted, in lists short enough for one `IN (...)`, each with
    its `?, ?, ...` placeholders."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        yield chunk, ", ".join("?" for _ in chunk)


def rebuild(conn: sqlite3.Connection, posts: Iterable[str] | None = None) -> int:
    """Rewrite the series of `posts` (every post when None) from `snapshots`; a post
    left without snapshots loses its series. Returns the number of series written."""
    if posts is None:
        conn.execute("DELETE FROM snapshot_series")
        return _write(conn, conn.execute(_SELECT.format(where="")))
    written = 0
    for chunk, marks in id_chunks(posts):
        conn.execute(f"DELETE FROM snapshot_series WHERE post IN ({marks})", chunk)
        cursor = conn.execute(_SELECT.format(where=f" WHERE post IN ({marks})"), chunk)
        written += _write(conn, cursor)
    return written


def _write(conn: sqlite3.Connection, rows: Iterator[tuple[object, ...]]) -> int:
    written = 0
    for post, group in itertools.groupby(rows, key=lambda row: row[0]):
        snapshots = list(group)
        if any(row[1] is None for row in snapshots):
            _refuse_unreadable_time(conn, post)
        conn.execute(UPSERT, (post, *pack(snapshots)))
        written += 1
    return written


def _refuse_unreadable_time(conn: sqlite3.Connection, post: object) -> None:
    (text,) = conn.execute(
        "SELECT observed_at FROM snapshots WHERE post = ? "
        "AND strftime('%s', observed_at) IS NULL LIMIT 1",
        (post,),
    ).fetchone()
    raise StoreError(
        f"a snapshot of post {post} is observed at {text!r}, which is not a time; "
        "times are stored as 2026-11-23T09:00:00Z: correct or delete that row "
        "(it was written by hand: imports never write such a time)"
    )
