"""Reply processes: `narrator serve --processes N`.

The process that answers HTTP (or holds the Socket Mode connection) verifies,
acknowledges and queues; N processes of their own do the work that follows
(SQLite, the metrics, templates, delivery to response_url). One queue feeds them,
so whichever process is free takes the next job and the cores share the load
evenly; the acknowledging process never waits for the GIL behind a reply's work.

Each job carries the pack the HTTP process served when it took the request, as
its `PackSource` (an unchanging copy of the files, leased until the job is done)
and status: a reply process loads that copy once and answers with exactly the
same rules, even while the files on disk are being edited or are broken.

A reply process that dies (killed for memory, say) breaks the pool: a new set of
processes is started and every job that was queued is sent to it once more; a job
that fails again gets the user an apology with a reference, never silence.
Reply processes ignore SIGINT and SIGTERM (the HTTP process drains them on
shutdown) and exit on their own if the HTTP process is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.pack import Pack, load_pack
from bot.packcheck import preload, process_context
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
    bot_token: str | None = field(repr=False)
    log_level: int


#: The code a reply process runs: this module, and the jobs the listeners queue.
REPLY_CODE = (
    "bot.slack.processes",
    "bot.slack.listeners.command",
    "bot.slack.listeners.actions",
    "bot.slack.listeners.home",
)

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
    # Not a plain fork: this process already runs threads (the rule watcher, the
    # server). Forked from the rule checker's fork server, which runs none and has
    # imported the pack code already: a process starts (or replaces a dead one) in a
    # fraction of the second a fresh interpreter takes. The server imports what every
    # reply process runs, once, when this is the first child it forks.
    preload(*REPLY_CODE)
    context = process_context()
    barrier = context.Barrier(count)
    executor = ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_init, initargs=(config, barrier)
    )
    # One warm-up job per process (the barrier holds each until all have started),
    # so no request waits for a process to import the bot or load the pack.
    warmups = []
    for _ in range(count):
        source, status = holder.lease()
        warmup = executor.submit(_warm, source, status)
        warmup.add_done_callback(lambda _, source=source: holder.release(source))
        warmups.append(warmup)
    if wait:
        pids = [future.result(timeout=START_TIMEOUT) for future in warmups]
        log.info("%d reply processes ready (pids %s)", count, ", ".join(map(str, sorted(pids))))
    return executor


#: How many times a job is sent again after its reply process died.
RETRIES = 1


def submit(services: Services, job: Job, args: tuple[Any, ...]) -> Future[None]:
    """Queue `job(services, *args)` for whichever reply process is free first. The
    future is done when the job is, or when the user has been told it failed."""
    holder = services.holder
    assert isinstance(holder, PackHolder), "jobs are queued by the HTTP process"
    # The pack serving now is the job's, through any retry; its copy stays until then.
    source, status = holder.lease()
    outcome: Future[None] = Future()
    outcome.set_running_or_notify_cancel()
    outcome.add_done_callback(lambda _: holder.release(source))
    _dispatch(services, (job, args, source, status), outcome, RETRIES)
    return outcome


Work = tuple[Job, tuple[Any, ...], PackSource, ReloadStatus]


def _dispatch(services: Services, work: Work, outcome: Future[None], retries: int) -> None:
    args = work[1]
    try:
        future = _executor(services).submit(_run, *work)
    except BrokenProcessPool as exc:  # it broke between the check and the submit
        if retries > 0:
            _dispatch(services, work, outcome, retries - 1)
        else:
            _failed(services, args, outcome, exc)
        return
    except Exception as exc:  # shutting down, or the new processes cannot start
        _failed(services, args, outcome, exc)
        return

    def done(future: Future[None]) -> None:
        exc = CancelledError() if future.cancelled() else future.exception()
        if isinstance(exc, BrokenProcessPool | CancelledError) and retries > 0:
            log.warning("a reply process died with this job queued; sending it again")
            _dispatch(services, work, outcome, retries - 1)
        elif exc is not None:
            _failed(services, args, outcome, exc)
        else:
            outcome.set_result(None)

    future.add_done_callback(done)


def _executor(services: Services) -> ProcessPoolExecutor:
    """The reply pool; a broken one (a process died) is replaced by a new set once,
    unless the services are closing."""
    executor = services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    if not executor._broken:
        return executor
    with _restart:
        if services.executor is executor:
            if services.closing:
                raise RuntimeError("a reply process died while the bot was shutting down")
            log.error("a reply process died; starting %d new ones", services.processes)
            # The survivors ignore SIGTERM, which is how a broken pool stops them: stop
            # them outright, or a job they run would run again on the new set.
            for process in list((executor._processes or {}).values()):
                process.kill()
            # Queued jobs are cancelled here and sent again by their callbacks.
            executor.shutdown(wait=False, cancel_futures=True)
            services.executor = start(services, services.processes, wait=False)
    replacement = services.executor
    assert isinstance(replacement, ProcessPoolExecutor)
    return replacement


def _failed(
    services: Services, args: tuple[Any, ...], outcome: Future[None], exc: BaseException
) -> None:
    """Tell the user (when the job has a response_url) and log the trace."""
    payload = next((arg for arg in args if isinstance(arg, dict) and "response_url" in arg), None)
    response_url = payload["response_url"] if payload else None
    services.apologise(response_url, "running a reply job", exc, payload=payload)
    outcome.set_result(None)


# -- in a reply process -------------------------------------------------------

_config: Config | None = None
_barrier: Any = None
_services: Services | None = None
_packs: dict[PackSource, Pack] = {}


def _init(config: Config, barrier: Any) -> None:
    global _config, _barrier
    # Ctrl-C and `kill` are for the HTTP process: it stops taking requests and lets
    # these finish the jobs already queued before it shuts them down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    _config, _barrier = config, barrier


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """Exit if the HTTP process is gone (killed outright): never linger as an orphan."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def _serve(source: PackSource, status: ReloadStatus) -> Services:
    """This process's services, serving the pack loaded from `source`."""
    global _services
    assert _config is not None, "not a reply process"
    pack = _packs.get(source)
    if pack is None:
        # The copy was checked when the HTTP process loaded it, and it is leased
        # until this job is done; should loading fail anyway, the user is told.
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
