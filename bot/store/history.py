"""As-of reads for the metrics stage: an account's recent posts with their snapshots
and follower counts as DataFrames, and finding a post by id or URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from bot.errors import StoreError
from bot.model import COUNTERS, to_utc_text
from bot.store import series
from bot.store.accounts import AccountRow
from bot.store.connection import Connection

_SECONDS = series.SECONDS


@dataclass(frozen=True)
class History:
    """An account's recent posts as of a moment, as frames for the metrics stage."""

    account: AccountRow
    posts: pd.DataFrame
    snapshots: pd.DataFrame
    followers: pd.DataFrame


class HistoryReads(Connection):
    """Posts, snapshots and follower counts as of a moment, read as DataFrames."""

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
        snapshots = self._snapshots(post_frame["id"].tolist(), moment)
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
            followers=None if not counts or pd.isna(counts[-1]) else int(counts[-1]),
            posts=published,
            last_published_at=_latest_text(post_frame["published_at"]),
            last_observed_at=_latest_text(snapshots["observed_at"]),
            timezone=zone,
        )
        return History(account=account, posts=post_frame, snapshots=snapshots, followers=followers)

    def _snapshots(self, post_ids: list[str], moment: str) -> pd.DataFrame:
        """The posts' snapshots observed by `moment`, by post and time, from the packed
        series (one row per post): post, observed_at (UTC) and the counters as float64."""
        limit = int(pd.Timestamp(moment).timestamp())
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
        # The counters go in as one float block; post and time are put in front.
        frame = pd.DataFrame(matrix, columns=list(COUNTERS))
        frame.insert(0, "observed_at", _utc(seconds))
        frame.insert(0, "post", np.repeat(np.array(posts, dtype=object), counts))
        return frame

    def _frame(
        self, sql: str, params: Sequence[Any], columns: list[str], floats: Iterable[str] = ()
    ) -> pd.DataFrame:
        """A query's rows as a DataFrame: columns named *_at hold UTC times (the query
        gives epoch seconds), `floats` are float64 with NaN where SQL has NULL.

        Built column by column with numpy: pandas' record inference costs more than
        the query itself on the few thousand rows a request reads."""
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
                data[column] = list(cells) if cells else np.array([], dtype=object)
        return pd.DataFrame(data, columns=columns)

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


_UTC_MICROSECONDS = pd.DatetimeTZDtype("us", "UTC")


def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Epoch seconds as UTC times, as `pd.to_datetime(seconds, unit="s", utc=True)`
    gives them, for a third of its cost."""
    return pd.DatetimeIndex((seconds * 1_000_000).astype("datetime64[us]"), dtype=_UTC_MICROSECONDS)


def _latest_text(times: pd.Series) -> str | None:
    """The latest of some UTC times as the store writes them; None if there are none."""
    return to_utc_text(times.max().to_pydatetime()) if len(times) else None
