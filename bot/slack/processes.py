"""Reply processes: `narrator serve --processes N`.

The process that answers HTTP (or holds the Socket Mode connection) verifies,
acknowledges and queues; N processes of their own do the work that follows
(SQLite, pandas, templates, delivery to response_url). One queue feeds them, so
whichever process is free takes the next job and the cores share the load
evenly; the acknowledging process never waits for the GIL behind pandas.

Each job carries the pack the HTTP process served when it took the request, as
its `PackSource` (an unchanging copy of the files) and status: a reply process
loads that copy once and answers with exactly the same rules, even while the
files on disk are being edited or are broken.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.pack import Pack, load_pack
from bot.reload import PackHolder, PackSource, ReloadStatus
from bot.slack.services import Job, Services, Serving

log = logging.getLogger("narrator.slack")

#: Seconds to wait for the reply processes to start and load the pack.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Config:
    """What a reply process needs to build its own services (sent once, at start)."""

    db: Path
    admins: frozenset[str]
    locale: str
    clock: Callable[[], datetime]
    api_url: str | None
    bot_token: str | None
    log_level: int


# -- in the HTTP process ------------------------------------------------------

_restart = threading.Lock()


def start(services: Services, count: int, wait: bool = True) -> ProcessPoolExecutor:
    """Start `count` reply processes and load the serving pack in each (waiting for
    that unless `wait` is false: jobs queue behind it meanwhile)."""
    holder = services.holder
    assert isinstance(holder, PackHolder), "reply processes are started by the HTTP process"
    config = Config(
        db=services.db,
        admins=services.admins,
        locale=holder.locale,
        clock=services.clock,
        api_url=services.api_url,
        bot_token=services._bot_token,
        log_level=logging.getLogger().getEffectiveLevel(),
    )
    # spawn, not fork: this process already runs threads (the rule watcher, the server).
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    executor = ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_init, initargs=(config, barrier)
    )
    # One warm-up job per process (the barrier holds each until all have started),
    # so no request waits for a process to import pandas or load the pack.
    source, status = holder.source(), holder.status()
    warmups = [executor.submit(_warm, source, status) for _ in range(count)]
    if wait:
        pids = [future.result(timeout=START_TIMEOUT) for future in warmups]
        log.info("%d reply processes ready (pids %s)", count, ", ".join(map(str, sorted(pids))))
    return executor


def submit(services: Services, job: Job, args: tuple[Any, ...]) -> Future[None]:
    """Queue `job(services, *args)` for whichever reply process is free first."""
    holder = services.holder
    assert isinstance(holder, PackHolder)
    source, status = holder.source(), holder.status()
    executor = services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    try:
        return executor.submit(_run, job, args, source, status)
    except BrokenProcessPool:
        # A reply process died (killed for memory, say): start a new set once.
        with _restart:
            if services.executor is executor:
                log.error("a reply process died; starting %d new ones", services.processes)
                executor.shutdown(wait=False, cancel_futures=True)
                services.executor = start(services, services.processes, wait=False)
        replacement = services.executor
        assert isinstance(replacement, ProcessPoolExecutor)
        return replacement.submit(_run, job, args, source, status)


# -- in a reply process -------------------------------------------------------

_config: Config | None = None
_barrier: Any = None
_services: Services | None = None
_packs: dict[PackSource, Pack] = {}


def _init(config: Config, barrier: Any) -> None:
    global _config, _barrier
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    _config, _barrier = config, barrier


def _serve(source: PackSource, status: ReloadStatus) -> Services:
    """This process's services, serving the pack loaded from `source`."""
    global _services
    assert _config is not None, "not a reply process"
    pack = _packs.get(source)
    if pack is None:
        # The copy was checked when the HTTP process loaded it: this cannot fail
        # unless the copy was removed, and then the job fails and is logged.
        pack = load_pack(source.rules, source.narratives, _config.locale)
        _packs.clear()  # one pack at a time: the newest
        _packs[source] = pack
    serving = Serving(pack, status)
    if _services is None:
        _services = Services(
            _config.db,
            serving,
            _config.admins,
            _config.clock,
            api_url=_config.api_url,
            bot_token=_config.bot_token,
            threads=0,
        )
    _services.holder = serving
    return _services


def _warm(source: PackSource, status: ReloadStatus) -> int:
    services = _serve(source, status)
    services.store()
    _barrier.wait(timeout=START_TIMEOUT)
    return os.getpid()


def _run(job: Job, args: tuple[Any, ...], source: PackSource, status: ReloadStatus) -> None:
    job(_serve(source, status), *args)
