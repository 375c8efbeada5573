"""The SQLite store: the only module that knows SQL.

Times are stored as UTC text (`2026-11-23T09:00:00Z`), which sorts as time does.
Counters are cumulative; NULL means "not reported", never zero.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from bot.errors import StoreError
from bot.model import COUNTERS, ImportBatch, to_utc_text
from bot.store import series
from bot.store.migrations import MIGRATIONS

_SECONDS = series.SECONDS


@dataclass(frozen=True)
class TableChange:
    new: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class WriteSummary:
    accounts: TableChange
    posts: TableChange
    snapshots: TableChange
    follower_counts: TableChange

    @property
    def nothing_changed(self) -> bool:
        return all(
            t.new == 0 and t.changed == 0
            for t in (self.accounts, self.posts, self.snapshots, self.follower_counts)
        )


@dataclass(frozen=True)
class AccountRow:
    id: str
    kind: str | None
    name: str | None
    followers: int | None
    posts: int
    last_published_at: str | None
    last_observed_at: str | None


@dataclass(frozen=True)
class History:
    """An account's recent posts as of a moment, as frames for the metrics stage."""

    account: AccountRow
    posts: pd.DataFrame
    snapshots: pd.DataFrame
    followers: pd.DataFrame


# The latest observation of an account is the latest of its posts' latest ones; each of
# those is one seek in the (post, observed_at) primary key. Everything is as of :at.
_ACCOUNT_ROW_SQL = """
    SELECT a.id, a.kind, a.name,
           (SELECT followers FROM follower_counts f WHERE f.account = a.id
            AND f.observed_at <= :at ORDER BY observed_at DESC LIMIT 1),
           (SELECT count(*) FROM posts p WHERE p.account = a.id AND p.published_at <= :at),
           (SELECT max(published_at) FROM posts p WHERE p.account = a.id
            AND p.published_at <= :at),
           (SELECT max((SELECT max(s.observed_at) FROM snapshots s WHERE s.post = p.id
                        AND s.observed_at <= :at))
            FROM posts p WHERE p.account = a.id AND p.published_at <= :at)
    FROM accounts a"""

#: Later than any time the store writes (they are compared as text).
_END_OF_TIME = "9999-12-31T23:59:59Z"


def _upsert_sql(table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
    """An upsert that keeps stored values where the new row has none, and only
    touches a row when a reported value differs (so re-imports change nothing)."""
    all_cols = [*keys, *columns]
    placeholders = ", ".join("?" for _ in all_cols)
    sets = ", ".join(f"{c} = coalesce(excluded.{c}, {table}.{c})" for c in columns)
    differs = " OR ".join(
        f"(excluded.{c} IS NOT NULL AND excluded.{c} IS NOT {table}.{c})" for c in columns
    )
    return (
        f"INSERT INTO {table} ({', '.join(all_cols)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets} WHERE {differs}"
    )


_ACCOUNT_SQL = _upsert_sql("accounts", ["id"], ["kind", "name"])
_FOLLOWER_SQL = _upsert_sql("follower_counts", ["account", "observed_at"], ["followers"])
_POST_SQL = _upsert_sql("posts", ["id"], ["account", "published_at", "url", "format", "title"])
_SNAPSHOT_SQL = _upsert_sql("snapshots", ["post", "observed_at"], list(COUNTERS))


#: How much of the database file SQLite may map into memory (address space, not RAM).
MMAP_BYTES = 1 << 30


class Store:
    """Open (and migrate) the SQLite database at `path`; `:memory:` works too."""

    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self.path = str(path)
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        conn.execute("PRAGMA foreign_keys = ON")
        # Read pages through a memory map instead of a read() call each: a request
        # reads a few hundred scattered pages of snapshots.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        if migrate:
            self.migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        if not self.db["schema_migrations"].exists():
            return 0
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> list[int]:
        """Apply pending migrations in one transaction each; return their versions."""
        current = self.schema_version()
        latest = MIGRATIONS[-1].version
        if current > latest:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this program knows "
                f"({latest}): upgrade Insight Narrator, or point NARRATOR_DB at another file"
            )
        applied = []
        for step in MIGRATIONS:
            if step.version <= current:
                continue
            with self.db.atomic():
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
                )
                for statement in step.sql.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                if step.then is not None:
                    step.then(self.conn)
                self.conn.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
                    (step.version, step.description),
                )
            applied.append(step.version)
        return applied

    # -- writing ------------------------------------------------------------

    def write(self, batch: ImportBatch) -> WriteSummary:
        """Write a validated batch in one transaction: all of it, or none of it."""
        plan = (
            ("accounts", _ACCOUNT_SQL, [(a.id, a.kind, a.name) for a in batch.accounts]),
            (
                "follower_counts",
                _FOLLOWER_SQL,
                [(f.account, f.observed_at, f.followers) for f in batch.follower_counts],
            ),
            (
                "posts",
                _POST_SQL,
                [(p.id, p.account, p.published_at, p.url, p.format, p.title) for p in batch.posts],
            ),
            (
                "snapshots",
                _SNAPSHOT_SQL,
                [(s.post, s.observed_at, *s.counters) for s in batch.snapshots],
            ),
        )
        stored = self._stored_posts(p.id for p in batch.posts)
        self._refuse_moved_posts(batch, stored)
        changes: dict[str, TableChange] = {}
        try:
            with self.db.atomic():
                for table, sql, rows in plan:
                    before = self._count(table)
                    touched_before = self.conn.total_changes
                    if rows:
                        self.conn.executemany(sql, rows)
                    touched = self.conn.total_changes - touched_before
                    new = self._count(table) - before
                    changes[table] = TableChange(
                        new=new, changed=touched - new, unchanged=len(rows) - touched
                    )
                self._refuse_contradictions(batch, stored)
                series.rebuild(self.conn, (s.post for s in batch.snapshots))
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"{batch.source}: the data contradicts itself or the store ({exc}); "
                "nothing was written"
            ) from None
        return WriteSummary(**changes)

    def _stored_posts(self, post_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(account, published_at) of each of these posts that the store holds."""
        found: dict[str, tuple[str, str]] = {}
        for chunk, marks in series.id_chunks(post_ids):
            for post_id, account, published in self.conn.execute(
                f"SELECT id, account, published_at FROM posts WHERE id IN ({marks})", chunk
            ):
                found[post_id] = (account, published)
        return found

    def _refuse_contradictions(
        self, batch: ImportBatch, stored: dict[str, tuple[str, str]]
    ) -> None:
        """After merging (inside the write's transaction): the file may agree with itself
        and still contradict what the store held, as a row that leaves members reached
        empty over a stored reach above its new impressions, or a publishing time moved
        after stored snapshots. Only what this file wrote is judged (a store that already
        held such rows is not the file's fault); refuse, and the transaction writes
        nothing."""
        rows = {(s.post, s.observed_at) for s in batch.snapshots}
        moved = [p.id for p in batch.posts if p.id in stored and stored[p.id][1] != p.published_at]
        problems: list[str] = []
        for chunk, marks in series.id_chunks(post for post, _ in rows):
            for post, observed, reached, impressions in self.conn.execute(
                "SELECT post, observed_at, members_reached, impressions FROM snapshots "
                f"WHERE post IN ({marks}) AND members_reached > impressions "
                "ORDER BY post, observed_at",
                chunk,
            ):
                if (post, observed) in rows:
                    problems.append(
                        f"post {post} at {observed}: {reached} members reached is more than "
                        f"its {impressions} impressions once merged with the store (a cell left "
                        "empty keeps the stored value): give both columns in the same row"
                    )
        for chunk, marks in series.id_chunks(moved):
            for post, published, observed in self.conn.execute(
                "SELECT p.id, p.published_at, min(s.observed_at) FROM posts p "
                f"JOIN snapshots s ON s.post = p.id WHERE p.id IN ({marks}) "
                "GROUP BY p.id HAVING min(s.observed_at) < p.published_at ORDER BY p.id",
                chunk,
            ):
                problems.append(
                    f"post {post} is published at {published}, but the store has a snapshot "
                    f"of it from {observed}: check its published_at"
                )
        if problems:
            shown = problems[:20]
            if len(problems) > len(shown):
                shown.append(f"... and {len(problems) - len(shown)} more")
            raise StoreError(
                "\n".join([f"{batch.source}: {p}" for p in shown] + ["Nothing was written."])
            )

    def _refuse_moved_posts(self, batch: ImportBatch, stored: dict[str, tuple[str, str]]) -> None:
        """A post belongs to one account for good; moving it is a mistake in the file."""
        owners = {p.id: p.account for p in batch.posts}
        problems = [
            f"post {post_id} belongs to account {stored[post_id][0]} in the store, "
            f"but {batch.source} gives it to {account}"
            for post_id, account in sorted(owners.items())
            if post_id in stored and stored[post_id][0] != account
        ]
        if problems:
            raise StoreError("\n".join([*problems, "Nothing was written."]))

    def delete_accounts(self, account_ids: Iterable[str]) -> None:
        """Remove accounts and everything about them, in one transaction."""
        ids = list(account_ids)
        marks = ", ".join("?" for _ in ids)
        with self.db.atomic():
            # Links reference the account: left in place they fail the delete.
            self.conn.execute(f"DELETE FROM slack_links WHERE account IN ({marks})", ids)
            self.conn.execute(
                "DELETE FROM snapshot_series WHERE post IN "
                f"(SELECT id FROM posts WHERE account IN ({marks}))",
                ids,
            )
            self.conn.execute(
                "DELETE FROM snapshots WHERE post IN "
                f"(SELECT id FROM posts WHERE account IN ({marks}))",
                ids,
            )
            self.conn.execute(f"DELETE FROM posts WHERE account IN ({marks})", ids)
            self.conn.execute(f"DELETE FROM follower_counts WHERE account IN ({marks})", ids)
            self.conn.execute(f"DELETE FROM accounts WHERE id IN ({marks})", ids)

    def _count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- reading ------------------------------------------------------------

    def accounts(self, at: datetime | None = None) -> list[AccountRow]:
        """Every account with its latest follower count and post count (as of `at`,
        if given), by id."""
        rows = self.conn.execute(_ACCOUNT_ROW_SQL + " ORDER BY a.id", _as_of(at)).fetchall()
        return [AccountRow(*row) for row in rows]

    def account_ids(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT id FROM accounts ORDER BY id")]

    def account(self, account_id: str, at: datetime | None = None) -> AccountRow | None:
        row = self.conn.execute(
            _ACCOUNT_ROW_SQL + " WHERE a.id = :id", {**_as_of(at), "id": account_id}
        ).fetchone()
        return AccountRow(*row) if row else None

    def history(self, account_id: str, at: datetime, posts: int) -> History:
        """The account's `posts` most recent posts published by `at`, with the
        snapshots and follower counts observed by `at`.

        The account row is as of `at` too: its latest follower count observed by
        then, its posts published by then, and the latest observation of the posts
        loaded here (the data the history holds, however old `at` is)."""
        found = self.conn.execute(
            "SELECT id, kind, name, (SELECT count(*) FROM posts p "
            "WHERE p.account = a.id AND p.published_at <= ?) FROM accounts a WHERE id = ?",
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
        account_id, kind, name, published = found
        account = AccountRow(
            id=account_id,
            kind=kind,
            name=name,
            followers=None if not counts or pd.isna(counts[-1]) else int(counts[-1]),
            posts=published,
            last_published_at=_latest_text(post_frame["published_at"]),
            last_observed_at=_latest_text(snapshots["observed_at"]),
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

    def rebuild_series(self) -> int:
        """Rewrite every post's packed series from `snapshots` (after writing snapshots
        with SQL of your own, as the benchmark does); returns how many were written."""
        with self.db.atomic():
            return series.rebuild(self.conn)

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

    # -- Slack: who sees what, muted rules, events already handled -------------

    def link(self, target: str, account_id: str, by: str, at: datetime) -> bool:
        """Link an account to a channel or a user; False if it was already linked."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO slack_links (target, account, linked_by, linked_at) "
            "VALUES (?, ?, ?, ?)",
            (target, account_id, by, to_utc_text(at)),
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def unlink(self, target: str, account_id: str) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM slack_links WHERE target = ? AND account = ?", (target, account_id)
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def linked_accounts(self, target: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT account FROM slack_links WHERE target = ? ORDER BY account", (target,)
        )
        return [r[0] for r in rows]

    def links(self) -> list[tuple[str, str]]:
        """Every (target, account) link."""
        return list(self.conn.execute("SELECT target, account FROM slack_links ORDER BY 1, 2"))

    def mute(self, channel: str, rule: str, by: str, at: datetime) -> bool:
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO slack_mutes (channel, rule, muted_by, muted_at) "
            "VALUES (?, ?, ?, ?)",
            (channel, rule, by, to_utc_text(at)),
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def unmute(self, channel: str, rule: str) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM slack_mutes WHERE channel = ? AND rule = ?", (channel, rule)
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def mutes(self, channel: str) -> list[tuple[str, str, str]]:
        """(rule, muted_by, muted_at) of every rule muted in the channel."""
        return list(
            self.conn.execute(
                "SELECT rule, muted_by, muted_at FROM slack_mutes WHERE channel = ? ORDER BY rule",
                (channel,),
            )
        )

    def first_sight(self, event_id: str, at: datetime) -> bool:
        """Record an event id; True only the first time it is seen (Slack retries).
        Ids older than EVENT_MEMORY are forgotten on the way, so the table stays small."""
        _forget_events(self.conn, at - EVENT_MEMORY)
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO slack_events (event_id, received_at) VALUES (?, ?)",
            (event_id, to_utc_text(at)),
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def clear_account_data(self, account_ids: Iterable[str]) -> None:
        """Remove the posts, snapshots and follower counts of accounts, keeping the
        accounts and who they are linked to (`narrator demo` rebuilds its accounts
        this way; deleting them would break, or silently drop, their Slack links)."""
        with self.db.atomic():
            _clear_account_data(self.conn, account_ids)


#: How long a handled Slack event id is remembered. Slack retries a delivery at most
#: 3 times, the last about 5 minutes after the first; an hour is well past that.
EVENT_MEMORY = timedelta(hours=1)


def _forget_events(conn: sqlite3.Connection, before: datetime) -> None:
    """Drop event ids received before `before` (the caller commits)."""
    conn.execute("DELETE FROM slack_events WHERE received_at < ?", (to_utc_text(before),))


def _clear_account_data(conn: sqlite3.Connection, ids: Iterable[str]) -> None:
    """Delete everything recorded about accounts except the account rows and their
    links (the caller holds the transaction)."""
    for chunk, marks in series.id_chunks(ids):
        posts = f"SELECT id FROM posts WHERE account IN ({marks})"
        conn.execute(f"DELETE FROM snapshot_series WHERE post IN ({posts})", chunk)
        conn.execute(f"DELETE FROM snapshots WHERE post IN ({posts})", chunk)
        conn.execute(f"DELETE FROM posts WHERE account IN ({marks})", chunk)
        conn.execute(f"DELETE FROM follower_counts WHERE account IN ({marks})", chunk)


_UTC_MICROSECONDS = pd.DatetimeTZDtype("us", "UTC")


def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Epoch seconds as UTC times, as `pd.to_datetime(seconds, unit="s", utc=True)`
    gives them, for a third of its cost."""
    return pd.DatetimeIndex((seconds * 1_000_000).astype("datetime64[us]"), dtype=_UTC_MICROSECONDS)


def _latest_text(times: pd.Series) -> str | None:
    """The latest of some UTC times as the store writes them; None if there are none."""
    return to_utc_text(times.max().to_pydatetime()) if len(times) else None


def _as_of(at: datetime | None) -> dict[str, str]:
    return {"at": to_utc_text(at) if at is not None else _END_OF_TIME}
