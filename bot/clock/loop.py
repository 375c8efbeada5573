"""The clock process: a tick every few seconds until told to stop.

Each tick asks every job source for its jobs (they are read from the store each
time, so a new subscription needs no restart) and runs what is due. SIGTERM stops
the loop between jobs: a job in progress finishes and is recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from bot.clock.runner import Job, Ran, run_due, worker_id
from bot.store import Store

log = logging.getLogger("narrator.clock")

#: Seconds between ticks: a digest goes out within this of its minute.
TICK = 20.0

Source = Callable[[Store], Iterable[Job]]


def tick(
    store: Store, sources: Sequence[Source], clock: Callable[[], datetime], worker: str
) -> list[Ran]:
    jobs = [job for source in sources for job in source(store)]
    return run_due(store, jobs, clock, worker=worker)


def run_forever(
    db: Path,
    sources: Sequence[Source],
    clock: Callable[[], datetime],
    stop: threading.Event,
    interval: float = TICK,
) -> None:
    """Tick until `stop` is set; an error in one tick is logged and the next one runs."""
    worker = worker_id()
    log.info("clock %s started: a tick every %.0f s", worker, interval)
    with Store(db) as store:
        while not stop.is_set():
            try:
                for ran in tick(store, sources, clock, worker):
                    if ran.outcome not in ("finished", "busy"):
                        log.info("%s %s: %s %s", ran.job, ran.period, ran.outcome, ran.result or "")
            except Exception:
                log.exception("a clock tick failed; trying again in %.0f s", interval)
            stop.wait(interval)
    log.info("clock %s stopped", worker)
