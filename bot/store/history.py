"""As-of reads for the metrics stage: an account's recent posts with their snapshots
and follower counts as Tables, and finding a post by id or URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from bot.errors import StoreError
from bot.metrics.table import Table, to_datetime
from bot.model import COUNTERS, to_utc_text
from bot.store import series
from bot.store.accounts import AccountRow
from bot.store.connection import Connection

_SECONDS = series.SECONDS


@dataclass(frozen=True)
class History:
    """An account's recent posts as of a moment, as tables for the metrics stage."""

    account: AccountRow
    posts: Table
    snapshots: Table
    followers: Table


class HistoryReads(Connection):
    """Posts, snapshots and follower counts as of a moment, read as Tables."""

    def history(self, account_id: str, at: datetime, posts: int) -> History:
        """The account's `posts` most recent posts published by `at`, with the
        snapshots and follower counts observed by `at`.

        The account row is as of `at` too: its latest follower count observed by
        then, its posts published by then, and the latest observation of the posts
        loaded here (the data the history holds, however old `at` is)."""
        found = self.conn.execute(
            "SELECT id, kind, name, (SELECT count(*) FROM posts p "
            "WHERE p.account = a.id AND p.published_at <= ?), coalesce(timezone, 'UTC') "
            "FROM accounts a WHERE id = ?",
            (to_utc_text(at), account_id),
        ).fetchone()
        if found is None:
            raise StoreError(f"no account '{account_id}' in {self.path}")
        moment = to_utc_text(at)
        post_frame = self._frame(
            "SELECT id, account, " + _SECONDS.format("published_at") + ", url, format, title "
            "FROM posts WHERE account = ? AND published_at <= ? "
            "ORDER BY published_at DESC, id DESC LIMIT ?",
            (account_id, moment, posts),
            ["id", "account", "published_at", "url", "format", "title"],
        )
        snapshots = self._snapshots(post_frame["id"].tolist(), int(at.timestamp()))
        followers = self._frame(
            "SELECT " + _SECONDS.format("observed_at") + ", followers FROM follower_counts "
            "WHERE account = ? AND observed_at <= ? ORDER BY observed_at",
            (account_id, moment),
            ["observed_at", "followers"],
        )
        counts = followers["followers"].tolist()
        account_id, kind, name, published, zone = found
        account = AccountRow(
            id=account_id,
            kind=kind,
            name=name,
            followers=None if not counts or counts[-1] is None else int(counts[-1]),
            posts=published,
            last_published_at=_latest_text(post_frame["published_at"]),
            last_observed_at=_latest_text(snapshots["observed_at"]),
            timezone=zone,
        )
        return History(account=account, posts=post_frame, snapshots=snapshots, followers=followers)

    def _snapshots(self, post_ids: list[str], limit: int) -> Table:
        """The posts' snapshots observed by `limit` (epoch seconds), by post and time,
        from the packed series (one row per post): post, observed_at (UTC) and the
        counters as float64."""
        posts: list[str] = []
        times: list[np.ndarray] = []
        values: list[np.ndarray] = []
        if post_ids:
            marks = ", ".join("?" for _ in post_ids)
            rows = self.conn.execute(
                "SELECT post, observed, counters FROM snapshot_series "
                f"WHERE post IN ({marks}) ORDER BY post",
                post_ids,
            ).fetchall()
            for post, observed, counters in rows:
                post_times, post_values = series.unpack(observed, counters)
                keep = post_times <= limit
                if keep.any():
                    posts.append(post)
                    times.append(post_times[keep])
                    values.append(post_values[keep])
        counts = [len(t) for t in times]
        matrix = np.concatenate(values) if values else np.empty((0, len(COUNTERS)))
        seconds = np.concatenate(times) if times else np.empty(0, dtype="int64")
        return Table.build(
            {
                "post": np.repeat(np.array(posts, dtype=object), counts),
                "observed_at": _utc(seconds),
                **{name: matrix[:, i] for i, name in enumerate(COUNTERS)},
            }
        )

    def _frame(
        self, sql: str, params: Sequence[Any], columns: list[str], floats: Iterable[str] = ()
    ) -> Table:
        """A query's rows as a Table: columns named *_at hold UTC times (the query
        gives epoch seconds), `floats` are float64 with NaN where SQL has NULL."""
        rows = self.conn.execute(sql, params).fetchall()
        values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        as_float = set(floats)
        data: dict[str, Any] = {}
        for column, cells in zip(columns, values, strict=True):
            if column.endswith("_at"):
                seconds = np.array(cells, dtype="int64")
                data[column] = _utc(seconds)
            elif column in as_float:
                data[column] = np.array(cells, dtype="float64")
            else:
                data[column] = np.array(cells, dtype=object) if cells else np.empty(0, object)
        return Table.build(data)

    def find_post(self, reference: str) -> tuple[str, str] | None:
        """Find a post by id or URL, or by the long number inside a LinkedIn URL
        (`.../feed/update/urn:li:activity:7395...`, `.../posts/x-activity-7395...-ab`);
        return (post id, account id)."""
        row = self.conn.execute(
            "SELECT id, account FROM posts WHERE id = ? OR url = ? ORDER BY id LIMIT 1",
            (reference, reference),
        ).fetchone()
        if row is None:
            number = re.search(r"\d{12,20}", reference)
            if number:
                pattern = f"%{number.group(0)}%"
                rows = self.conn.execute(
                    "SELECT id, account FROM posts WHERE id LIKE ? OR url LIKE ? "
                    "ORDER BY id LIMIT 2",
                    (pattern, pattern),
                ).fetchall()
                row = rows[0] if len(rows) == 1 else None
        return (row[0], row[1]) if row else None

    def newer_posts(self, post_id: str, at: datetime) -> int:
        """How many posts of the same account come before `post_id` in last10's order
        (newest first, ties by id, descending), among those published by `at`."""
        row = self.conn.execute(
            "SELECT count(*) FROM posts p JOIN posts q ON q.account = p.account "
            "WHERE p.id = ? AND (q.published_at > p.published_at "
            "OR (q.published_at = p.published_at AND q.id > p.id)) AND q.published_at <= ?",
            (post_id, to_utc_text(at)),
        ).fetchone()
        return int(row[0])


def _utc(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as a Table's UTC times."""
    return (np.asarray(seconds, dtype="int64") * 1_000_000).astype("datetime64[us]")


def _latest_text(times: np.ndarray) -> str | None:
    """The latest of some UTC times as the store writes them; None if there are none."""
    latest = to_datetime(times.max()) if len(times) else None
    return to_utc_text(latest) if latest is not None else None
