"""The clock's ledger: one row per (job, period), claimed before a job runs.

The row is the exactly-once guard. It is inserted in a write transaction that
takes SQLite's lock as it begins (BEGIN IMMEDIATE), so of two clock processes
only one inserts it; the other reads it and moves on. A claim carries a lease:
a process that died holding one leaves it to be taken over once the lease has
run out, and the job is then told it is recovering (so it can look for what the
dead process may already have done before doing it again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.model import parse_moment, to_utc_text
from bot.store.connection import Connection

Claimed = Literal["new", "recovering", "skipped", "busy", "finished"]


@dataclass(frozen=True)
class Claim:
    """What `claim_run` decided: run it (`new`, `recovering`), or leave it."""

    outcome: Claimed
    attempts: int
    claimed_at: datetime | None


@dataclass(frozen=True)
class RunRow:
    job: str
    period: str
    due_at: str
    status: str
    attempts: int
    result: str | None
    finished_at: str | None


class ClockLedger(Connection):
    """`clock_runs`: claim, finish, release and list the clock's runs."""

    @contextmanager
    def immediate(self) -> Iterator[None]:
        """A write transaction holding SQLite's write lock from its first statement,
        so a read inside it cannot be overtaken by another process's write."""
        if self.conn.in_transaction:
            self.conn.commit()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def claim_run(
        self,
        job: str,
        period: str,
        due: datetime,
        now: datetime,
        *,
        worker: str,
        lease: timedelta,
        late: bool,
        note: str = "",
    ) -> Claim:
        """Claim (job, period) for `worker` until now + lease. A late run that nobody
        claimed is recorded as skipped instead (`note` says why) and not run."""
        with self.immediate():
            row = self.conn.execute(
                "SELECT status, lease_until, attempts, claimed_at FROM clock_runs "
                "WHERE job = ? AND period = ?",
                (job, period),
            ).fetchone()
            if row is None:
                status = "skipped" if late else "claimed"
                self.conn.execute(
                    "INSERT INTO clock_runs (job, period, due_at, status, claimed_by, "
                    "claimed_at, lease_until, attempts, finished_at, result) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                    (
                        job,
                        period,
                        to_utc_text(due),
                        status,
                        worker,
                        to_utc_text(now),
                        to_utc_text(now + lease),
                        to_utc_text(now) if late else None,
                        note if late else None,
                    ),
                )
                return Claim("skipped" if late else "new", 1, now)
            status, lease_until, attempts, claimed_at = row
            if status != "claimed":
                return Claim("finished", attempts, parse_moment(claimed_at))
            if parse_moment(lease_until) > now:
                return Claim("busy", attempts, parse_moment(claimed_at))
            if late:
                self.conn.execute(
                    "UPDATE clock_runs SET status = 'skipped', finished_at = ?, result = ? "
                    "WHERE job = ? AND period = ?",
                    (to_utc_text(now), note, job, period),
                )
                return Claim("skipped", attempts, parse_moment(claimed_at))
            # The process that claimed it died (or gave up): take it over.
            self.conn.execute(
                "UPDATE clock_runs SET claimed_by = ?, lease_until = ?, attempts = attempts + 1 "
                "WHERE job = ? AND period = ?",
                (worker, to_utc_text(now + lease), job, period),
            )
            return Claim("recovering", attempts + 1, parse_moment(claimed_at))

    def finish_run(
        self,
        job: str,
        period: str,
        *,
        worker: str,
        at: datetime,
        result: str | None,
        status: str = "done",
        also: Callable[[], object] | None = None,
    ) -> bool:
        """Mark a claimed run finished, with `also` (more writes) in the same
        transaction; False if the claim was no longer this worker's."""
        with self.immediate():
            cursor = self.conn.execute(
                "UPDATE clock_runs SET status = ?, finished_at = ?, result = ? "
                "WHERE job = ? AND period = ? AND status = 'claimed' AND claimed_by = ?",
                (status, to_utc_text(at), result, job, period, worker),
            )
            if cursor.rowcount != 1:
                return False
            if also is not None:
                also()
            return True

    def release_run(self, job: str, period: str, *, worker: str, at: datetime, note: str) -> None:
        """Give a claim up at once (the outcome is unknown): the next tick takes it over
        as a recovery."""
        with self.immediate():
            self.conn.execute(
                "UPDATE clock_runs SET lease_until = ?, result = ? "
                "WHERE job = ? AND period = ? AND status = 'claimed' AND claimed_by = ?",
                (to_utc_text(at), note, job, period, worker),
            )

    def runs(self, job_prefix: str = "", limit: int = 100) -> list[RunRow]:
        """The latest runs whose job starts with `job_prefix`, newest due first."""
        rows = self.conn.execute(
            "SELECT job, period, due_at, status, attempts, result, finished_at FROM clock_runs "
            "WHERE substr(job, 1, ?) = ? ORDER BY due_at DESC, job LIMIT ?",
            (len(job_prefix), job_prefix, limit),
        )
        return [RunRow(*row) for row in rows]

    def forget_runs(self, job: str, before: datetime) -> int:
        """Drop the finished runs of `job` due before `before`: for a job run every few
        minutes (the check-in scan), whose rows guard nothing once its period is over."""
        with self.immediate():
            cursor = self.conn.execute(
                "DELETE FROM clock_runs WHERE job = ? AND status != 'claimed' AND due_at < ?",
                (job, to_utc_text(before)),
            )
            return cursor.rowcount
