"""Run the jobs that are due: claim each (job, period) in the ledger, run it, record it.

The runner decides *whether* a job runs (the ledger), never *how*: a job is a
key, a schedule and a function. Digests and check-ins bring their own jobs; the
LinkedIn sync will bring its polling the same way. The moment is passed in, so
`narrator clock --once --at ISO` and the tests drive it with any time they like.

Only the newest due period of a job is considered: a clock that was down for
three weeks sends one digest when it comes back (if within the grace window),
not three.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock.schedule import Schedule
from bot.model import to_utc_text
from bot.store import Store

log = logging.getLogger("narrator.clock")

#: How long a claim holds before another process may take it over. Longer than
#: one job ever takes (a digest is built and posted in seconds).
LEASE = timedelta(minutes=5)
#: A job that fails with an internal error this many times is given up for the period.
MAX_ATTEMPTS = 3


class RunUnsure(Exception):
    """The job may or may not have had its effect (a timeout after a post was sent):
    the claim is released at once and the next tick recovers it."""


class RunFailed(Exception):
    """The job cannot succeed as things are (the bot is not in the channel): recorded
    as failed, with this message, and not tried again for this period."""


@dataclass(frozen=True)
class Run:
    """One due run of a job, as the job sees it."""

    job: str
    period: str
    due: datetime
    now: datetime
    #: A claim taken over from a process that died: what it did may have happened.
    recovering: bool
    attempt: int
    worker: str
    #: When the run was first claimed (a recovery looks for its traces from there).
    first_claimed: datetime | None = None


@dataclass(frozen=True)
class Job:
    key: str
    schedule: Schedule
    #: Runs the job; returns a short result for the ledger (a message ts). It may
    #: finish the run itself (store.finish_run) to record more in that transaction.
    run: Callable[[Store, Run], str | None]
    grace: timedelta
    #: Due moments before this are not the job's (a subscription made later): a
    #: late one is left unrecorded instead of logged as skipped.
    since: datetime | None = None


@dataclass(frozen=True)
class Ran:
    """What happened to one job in a tick."""

    job: str
    period: str
    due: datetime
    outcome: str  # done, recovered, skipped, busy, finished, unsure, failed, error
    result: str | None = None


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_due(
    store: Store,
    jobs: Iterable[Job],
    clock: Callable[[], datetime],
    *,
    worker: str | None = None,
    lease: timedelta = LEASE,
) -> list[Ran]:
    """Run every job whose newest period is due at `clock()` and not yet run; the
    clock is read again before each job, since sending paced digests takes time."""
    me = worker or worker_id()
    report = []
    for job in jobs:
        now = clock()
        due = job.schedule.latest(now)
        period = job.schedule.period(due)
        late = now - due > job.grace
        if late and job.since is not None and due < job.since:
            continue
        claim = store.claim_run(
            job.key,
            period,
            due,
            now,
            worker=me,
            lease=lease,
            late=late,
            note=f"late: due {to_utc_text(due)}, clock ran {to_utc_text(now)}",
        )
        if claim.outcome == "skipped":
            log.warning(
                "%s %s was due %s and the clock only ran at %s, past the %s grace: skipped",
                job.key,
                period,
                to_utc_text(due),
                to_utc_text(now),
                job.grace,
            )
        if claim.outcome not in ("new", "recovering"):
            report.append(Ran(job.key, period, due, claim.outcome))
            continue
        run = Run(
            job.key,
            period,
            due,
            now,
            recovering=claim.outcome == "recovering",
            attempt=claim.attempts,
            worker=me,
            first_claimed=claim.claimed_at,
        )
        report.append(_run_one(store, job, run))
    return report


def _run_one(store: Store, job: Job, run: Run) -> Ran:
    outcome = "recovered" if run.recovering else "done"
    try:
        result = job.run(store, run)
    except RunUnsure as exc:
        log.warning("%s %s: outcome unknown (%s); will check and retry", job.key, run.period, exc)
        store.release_run(job.key, run.period, worker=run.worker, at=run.now, note=str(exc))
        return Ran(job.key, run.period, run.due, "unsure", str(exc))
    except RunFailed as exc:
        log.error("%s %s failed: %s", job.key, run.period, exc)
        store.finish_run(
            job.key, run.period, worker=run.worker, at=run.now, result=str(exc), status="failed"
        )
        return Ran(job.key, run.period, run.due, "failed", str(exc))
    except Exception as exc:
        ref = uuid.uuid4().hex[:8]
        log.exception("%s %s: internal error (ref %s)", job.key, run.period, ref)
        if run.attempt >= MAX_ATTEMPTS:
            store.finish_run(
                job.key,
                run.period,
                worker=run.worker,
                at=run.now,
                result=f"gave up after {run.attempt} attempts: error ref {ref}",
                status="failed",
            )
            return Ran(job.key, run.period, run.due, "failed", ref)
        # Released, so the next tick tries again (as a recovery, which checks first).
        store.release_run(
            job.key, run.period, worker=run.worker, at=run.now, note=f"error ref {ref}: {exc}"
        )
        return Ran(job.key, run.period, run.due, "error", ref)
    store.finish_run(job.key, run.period, worker=run.worker, at=run.now, result=result)
    return Ran(job.key, run.period, run.due, outcome, result)
