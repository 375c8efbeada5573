"""Writing an import: posts, snapshots, accounts and follower counts, all or nothing,
checked against what the store holds."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import StoreBusy, StoreError
from bot.model import COUNTERS, ImportBatch, SnapshotTable
from bot.store import series
from bot.store.connection import Connection
from bot.store.exports import export_plan

if TYPE_CHECKING:
    from bot.store.snapshot_writes import SnapshotWrite


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
    account_days: TableChange = TableChange(0, 0, 0)
    account_periods: TableChange = TableChange(0, 0, 0)
    demographics: TableChange = TableChange(0, 0, 0)

    @property
    def nothing_changed(self) -> bool:
        return all(
            t.new == 0 and t.changed == 0
            for t in (
                self.accounts,
                self.posts,
                self.snapshots,
                self.follower_counts,
                self.account_days,
                self.account_periods,
                self.demographics,
            )
        )


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


@dataclass(frozen=True)
class ImportTotals:
    """What an import's summary says of its file, kept so that the same file imported
    again into a store unchanged since is answered without reading it."""

    kind: str
    notes: tuple[str, ...]
    accounts: int
    posts: int
    snapshots: int
    days: int
    periods: int
    demographics: int

    @classmethod
    def of(cls, batch: ImportBatch) -> ImportTotals:
        return cls(
            batch.kind,
            tuple(batch.notes),
            len(batch.accounts),
            len(batch.posts),
            len(batch.snapshots),
            len(batch.days),
            len(batch.periods),
            len(batch.demographics),
        )

    def unchanged(self) -> WriteSummary:
        """The summary of writing this file again over itself: every row unchanged."""
        return WriteSummary(
            accounts=TableChange(0, 0, self.accounts),
            posts=TableChange(0, 0, self.posts),
            snapshots=TableChange(0, 0, self.snapshots),
            follower_counts=TableChange(0, 0, 0),
            account_days=TableChange(0, 0, self.days),
            account_periods=TableChange(0, 0, self.periods),
            demographics=TableChange(0, 0, self.demographics),
        )


class PostWrites(Connection):
    """Imports: every write is one transaction, checked before it commits."""

    def write(
        self,
        batch: ImportBatch,
        *,
        waiting: Callable[[], object] | None = None,
        digest: str | None = None,
        timezone: str | None = None,
        default_zone: str | None = None,
    ) -> WriteSummary:
        """Write a validated batch in one transaction: all of it, or none of it.

        `waiting` is called if another program is writing and this write must wait
        for it (the terminal says so, instead of seeming to hang). `digest` names the
        file's content (and the options it was read with): it is recorded, so that
        `imported_before` knows it while nothing else is written."""
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
            *export_plan(batch),
        )
        snapshots = SnapshotTable.of(batch.snapshots)
        changes: dict[str, TableChange] = {}
        try:
            with self.writing(waiting):
                # Read what is stored with the lock held: another import may have
                # written these posts while this one waited for its turn.
                stored = self._stored_posts(p.id for p in batch.posts)
                self._refuse_moved_posts(batch, stored)
                for table, sql, rows in plan:
                    before = self._count(table)
                    # Rows inserted or updated, as the data tables' triggers count them
                    # (total_changes would count the triggers' own updates too).
                    touched_before = self._generation()
                    if rows:
                        self.conn.executemany(sql, rows)
                    touched = self._generation() - touched_before
                    new = self._count(table) - before
                    changes[table] = TableChange(
                        new=new, changed=touched - new, unchanged=len(rows) - touched
                    )
                # Loaded here: it needs pandas, which a store that only reads never does.
                from bot.store.snapshot_writes import write_snapshots

                wrote = write_snapshots(self.conn, _SNAPSHOT_SQL, snapshots)
                changes["snapshots"] = TableChange(wrote.new, wrote.changed, wrote.unchanged)
                self._refuse_contradictions(batch, stored, wrote)
                self._set_zones([a.id for a in batch.accounts], timezone, default_zone)
                if digest is not None:
                    self._record_import(digest, ImportTotals.of(batch))
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"{batch.source}: the data contradicts itself or the store ({exc}); "
                "nothing was written"
            ) from None
        except StoreBusy as exc:
            raise StoreBusy(f"{batch.source}: {exc}") from None
        return WriteSummary(**changes)

    def _generation(self) -> int:
        return int(self.conn.execute("SELECT generation FROM data_generation").fetchone()[0])

    def imported_before(self, digest: str) -> ImportTotals | None:
        """The totals of the file with this digest, if it was imported and no data
        was written since (by any import, deletion or hand; triggers count them):
        importing it again would change nothing."""
        row = self.conn.execute(
            "SELECT f.totals FROM imported_files f JOIN data_generation g "
            "ON f.generation = g.generation WHERE f.digest = ?",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        totals = json.loads(row[0])
        return ImportTotals(**{**totals, "notes": tuple(totals["notes"])})

    def _record_import(self, digest: str, totals: ImportTotals) -> None:
        generation = self._generation()
        # Older records can never match again: the generation only grows.
        self.conn.execute("DELETE FROM imported_files WHERE generation < ?", (generation,))
        self.conn.execute(
            "INSERT OR REPLACE INTO imported_files (digest, generation, totals) VALUES (?, ?, ?)",
            (digest, generation, json.dumps(dataclasses.asdict(totals))),
        )

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
        self, batch: ImportBatch, stored: dict[str, tuple[str, str]], wrote: SnapshotWrite
    ) -> None:
        """After merging (inside the write's transaction): the file may agree with itself
        and still contradict what the store held, as a row that leaves members reached
        empty over a stored reach above its new impressions, or a publishing time moved
        after stored snapshots. Only what this file wrote is judged (a store that already
        held such rows is not the file's fault; a row left unchanged wrote nothing);
        refuse, and the transaction writes nothing."""
        written = wrote.written
        judged = set(wrote.merged_posts)
        reached, impressions = written.counters[1], written.counters[0]
        if reached is not None and impressions is not None:
            # A post new to the store is judged only if one of its own rows is wrong.
            over = (reached > impressions) & (impressions >= 0)
            judged.update(written.posts[over].tolist())
        moved = [p.id for p in batch.posts if p.id in stored and stored[p.id][1] != p.published_at]
        problems: list[str] = []
        rows: set[tuple[str, str]] | None = None
        for chunk, marks in series.id_chunks(judged):
            for post, observed, reached, impressions in self.conn.execute(
                "SELECT post, observed_at, members_reached, impressions FROM snapshots "
                f"WHERE post IN ({marks}) AND members_reached > impressions "
                "ORDER BY post, observed_at",
                chunk,
            ):
                if rows is None:
                    rows = set(zip(written.posts.tolist(), written.observed.tolist(), strict=True))
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
        """A post belongs to one account for good; moving it is a mistake in the file.
        Checked inside the write's transaction, against what the store holds then."""
        owners = {p.id: p.account for p in batch.posts}
        problems = [
            f"post {post_id} belongs to account {stored[post_id][0]} in the store, "
            f"but {batch.source} gives it to {account}"
            for post_id, account in sorted(owners.items())
            if post_id in stored and stored[post_id][0] != account
        ]
        if problems:
            raise StoreError("\n".join([*problems, "Nothing was written."]))

    def _set_zones(self, ids: list[str], zone: str | None, default: str | None) -> None:
        """The batch's accounts get `zone` (import --tz); those without one, `default`
        (NARRATOR_TIMEZONE). Zones are checked names (bot.clock.schedule.parse_zone)."""
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            if zone is not None:
                self.conn.execute(
                    f"UPDATE accounts SET timezone = ? WHERE id IN ({marks}) AND timezone IS NOT ?",
                    (zone, *chunk, zone),
                )
            if default is not None:
                self.conn.execute(
                    f"UPDATE accounts SET timezone = ? WHERE id IN ({marks}) AND timezone IS NULL",
                    (default, *chunk),
                )

    def delete_accounts(self, account_ids: Iterable[str]) -> None:
        """Remove accounts and everything about them, in one transaction."""
        ids = list(account_ids)
        with self.writing():
            _clear_account_data(self.conn, ids)
            for chunk, marks in series.id_chunks(ids):
                # Links reference the account: left in place they fail the delete.
                self.conn.execute(f"DELETE FROM slack_links WHERE account IN ({marks})", chunk)
                self.conn.execute(f"DELETE FROM accounts WHERE id IN ({marks})", chunk)

    def clear_account_data(self, account_ids: Iterable[str]) -> None:
        """Remove everything recorded about accounts, keeping the accounts and who they
        are linked to (`narrator demo` rebuilds its accounts this way; deleting them
        would break, or silently drop, their Slack links)."""
        with self.writing():
            _clear_account_data(self.conn, account_ids)

    def rebuild_series(self) -> int:
        """Rewrite every post's packed series from `snapshots` (after writing snapshots
        with SQL of your own, as the benchmark does); returns how many were written."""
        with self.writing():
            return series.rebuild(self.conn)


def _clear_account_data(conn: sqlite3.Connection, ids: Iterable[str]) -> None:
    """Delete everything recorded about accounts except the account rows and their
    links (the caller holds the transaction)."""
    for chunk, marks in series.id_chunks(ids):
        posts = f"SELECT id FROM posts WHERE account IN ({marks})"
        conn.execute(f"DELETE FROM snapshot_series WHERE post IN ({posts})", chunk)
        conn.execute(f"DELETE FROM snapshots WHERE post IN ({posts})", chunk)
        conn.execute(f"DELETE FROM posts WHERE account IN ({marks})", chunk)
        for table in ("follower_counts", "account_days", "account_periods", "demographics"):
            conn.execute(f"DELETE FROM {table} WHERE account IN ({marks})", chunk)
