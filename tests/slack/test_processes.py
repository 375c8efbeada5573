"""Replies computed in reply processes (`narrator serve --processes N`): the same
words as threads, the HTTP process's pack even when the files are broken or
reloaded many times, a dead process replaced with no queued job lost, signals left
to the HTTP process, and no orphan left behind."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from bot.commands import handle
from bot.demo import DEMO_NOW
from bot.slack import processes
from bot.slack.blocks import render
from bot.store import Store
from tests.slack import jobs
from tests.slack.conftest import Running, start
from tests.slack.fakes import FakeSlack
from tests.slack.test_http import all_text, ask


@pytest.fixture
def pooled(tmp_path: Path, root: Path, fake_slack: FakeSlack, demo_db: Path) -> Iterator[Running]:
    running = start(tmp_path, root, fake_slack, demo_db, processes=2)
    yield running
    running.server.stop()
    running.bot.services.close()


def test_reply_processes_say_exactly_what_threads_say(pooled: Running, pack):
    executor = pooled.bot.services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    message = ask(pooled, "last10 demo-creator")
    with Store(pooled.db) as store:
        reply = handle("last10 demo-creator", store=store, pack=pack, at=DEMO_NOW)
    (expected,) = render(reply, pack.narrator)
    assert message["blocks"] == list(expected.blocks)
    assert message["text"] == expected.text


def test_reply_processes_serve_the_pack_the_http_process_serves(pooled: Running, root: Path):
    rules, partials = pooled.root / "rules", pooled.root / "narratives" / "en" / "partials"
    # Break the files on disk: the serving pack is the copy loaded at start.
    good = (rules / "distribution.yaml").read_text()
    (rules / "distribution.yaml").write_text("rules: [")
    shutil.rmtree(partials)
    message = ask(pooled, "last10 demo-creator", hook="broken")
    assert message["blocks"][0]["text"]["text"] == "Demo Creator: the last 10 posts"
    assert pooled.bot.holder.reload().last_attempt_ok is False
    assert "with max_ratio 5\n" in all_text(ask(pooled, "rules", hook="old"))

    # A good edit, once the HTTP process has loaded it, is what every reply uses.
    shutil.copytree(root / "narratives" / "en" / "partials", partials)
    (rules / "distribution.yaml").write_text(good.replace("max_ratio: 5", "max_ratio: 7"))
    assert pooled.bot.holder.reload().last_attempt_ok is True
    for n in range(4):  # whichever process takes it
        assert "with max_ratio 7\n" in all_text(ask(pooled, "rules", hook=f"new{n}"))


def test_a_dead_reply_process_is_replaced(pooled: Running):
    executor = pooled.bot.services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    for pid in list(executor._processes):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while not executor._broken:  # the pool notices within milliseconds
        assert time.monotonic() < deadline, "the pool did not notice its processes died"
        time.sleep(0.05)
    message = ask(pooled, "last10 demo-creator", hook="after")
    assert message["blocks"][0]["text"]["text"] == "Demo Creator: the last 10 posts"
    assert pooled.bot.services.executor is not executor


def wait_until(condition, timeout: float = 20, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_jobs_queued_behind_a_dead_process_are_sent_again(pooled: Running, tmp_path: Path):
    services = pooled.bot.services
    executor = services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    marks = [tmp_path / f"job{n}" for n in range(6)]
    futures = [services.submit(jobs.sleep_then_write, str(mark), 0.5) for mark in marks]
    time.sleep(0.2)  # two jobs running, four queued
    for pid in list(executor._processes):
        os.kill(pid, signal.SIGKILL)
    for future in futures:
        assert future.result(timeout=60) is None
    assert all(mark.is_file() for mark in marks)  # every job ran, on the new processes
    assert services.executor is not executor


def test_a_job_that_keeps_killing_its_process_gets_the_user_an_apology(
    pooled: Running, caplog: pytest.LogCaptureFixture
):
    services = pooled.bot.services
    request = {"response_url": pooled.slack.hook("doomed")}
    with caplog.at_level(logging.WARNING):
        assert services.submit(jobs.die, request).result(timeout=90) is None
    (message,) = pooled.slack.wait_for_posts("doomed")
    text = all_text(message)
    assert text.startswith("Sorry, something went wrong on my side")
    ref = text.split("`")[1]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)
    # And the bot goes on answering.
    answer = ask(pooled, "last10 demo-creator", hook="after")
    assert answer["blocks"][0]["text"]["text"] == "Demo Creator: the last 10 posts"


def test_a_queued_job_keeps_its_pack_through_any_number_of_reloads(pooled: Running, tmp_path: Path):
    services = pooled.bot.services
    busy = [services.submit(jobs.sleep_then_write, str(tmp_path / f"busy{n}"), 1.0) for n in (1, 2)]
    path = pooled.root / "rules" / "distribution.yaml"
    good = path.read_text()
    # A pack no reply process has loaded yet: the queued job must read it from its copy.
    path.write_text(good.replace("max_ratio: 5", "max_ratio: 4"))
    assert pooled.bot.holder.reload().last_attempt_ok is True
    mark = tmp_path / "param"
    queued = services.submit(jobs.write_param, str(mark), "narrow-audience", "max_ratio")
    for ratio in (6, 7, 8, 9):  # each reload retires the copy before it
        path.write_text(good.replace("max_ratio: 5", f"max_ratio: {ratio}"))
        assert pooled.bot.holder.reload().last_attempt_ok is True
    for future in (*busy, queued):
        assert future.result(timeout=30) is None
    assert mark.read_text() == "4"  # the pack served when the job was taken
    fresh = services.submit(jobs.write_param, str(mark), "narrow-audience", "max_ratio")
    assert fresh.result(timeout=30) is None
    assert mark.read_text() == "9"
    # Once no job holds them, the old copies are gone: only the serving one is left.
    copies = pooled.bot.holder.source().rules.parent.parent.parent
    wait_until(lambda: len(list(copies.iterdir())) == 1, what="old copies to be removed")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_reply_processes_finish_their_jobs_when_signalled(
    pooled: Running, tmp_path: Path, signum: int
):
    """Ctrl-C or `kill` reaches the whole process group; the HTTP process drains the
    reply processes itself, so the signal must not cut a job off half-way."""
    services = pooled.bot.services
    executor = services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    marks = [tmp_path / f"job{n}" for n in range(2)]
    futures = [services.submit(jobs.sleep_then_write, str(mark), 0.5) for mark in marks]
    time.sleep(0.2)
    pids = set(executor._processes)
    for pid in pids:
        os.kill(pid, signum)
    for future in futures:
        assert future.exception(timeout=30) is None
    assert {int(mark.read_text()) for mark in marks} <= pids  # the same processes did them
    assert services.executor is executor


ORPHAN = """
import multiprocessing, os, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.slack.processes import Config, _init

if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    config = Config(Path(":memory:"), frozenset(), "en", None, None, None, 20)
    pool = ProcessPoolExecutor(
        1, mp_context=context, initializer=_init, initargs=(config, context.Barrier(1))
    )
    print(pool.submit(os.getpid).result(), flush=True)
    time.sleep(600)
"""


def test_a_reply_process_exits_when_the_http_process_is_killed_outright(tmp_path: Path):
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as parent:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        parent.kill()  # SIGKILL: no chance to shut the pool down
    try:
        wait_until(lambda: not _alive(worker), timeout=10, what="the orphan to exit")
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """True if `pid` runs (a zombie waiting to be reaped has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def test_a_job_running_beside_a_dead_process_runs_once(pooled: Running, tmp_path: Path):
    """The pool stops the survivors of a broken pool with SIGTERM, which reply
    processes ignore: the job one of them runs is sent again, so it must be stopped."""
    services = pooled.bot.services
    mark = tmp_path / "ran"
    slow = services.submit(jobs.append_pid_after, str(mark), 2.0)
    time.sleep(0.5)  # running on one process
    doomed = services.submit(jobs.die, {})
    assert slow.result(timeout=60) is None
    assert doomed.result(timeout=60) is None
    time.sleep(2.5)  # long enough for a surviving copy of the job to finish too
    assert len(mark.read_text().split()) == 1


def test_a_process_dying_while_the_bot_shuts_down_starts_no_new_ones(
    pooled: Running, tmp_path: Path
):
    services = pooled.bot.services
    executor = services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    futures = [
        services.submit(jobs.sleep_then_write, str(tmp_path / f"j{n}"), 1.0) for n in range(4)
    ]
    time.sleep(0.2)
    closer = threading.Thread(target=services.close)
    closer.start()
    time.sleep(0.2)
    for pid in list(executor._processes):
        os.kill(pid, signal.SIGKILL)
    closer.join(60)
    assert not closer.is_alive()
    for future in futures:
        assert future.result(timeout=30) is None  # answered with an apology, not lost
    assert services.executor is executor


def test_a_job_sent_again_keeps_the_pack_it_was_taken_under(pooled: Running, tmp_path: Path):
    services = pooled.bot.services
    executor = services.executor
    assert isinstance(executor, ProcessPoolExecutor)
    busy = [services.submit(jobs.sleep_then_write, str(tmp_path / f"b{n}"), 1.5) for n in (1, 2)]
    mark = tmp_path / "param"
    queued = services.submit(jobs.write_param, str(mark), "narrow-audience", "max_ratio")
    path = pooled.root / "rules" / "distribution.yaml"
    path.write_text(path.read_text().replace("max_ratio: 5", "max_ratio: 9"))
    assert pooled.bot.holder.reload().last_attempt_ok is True
    time.sleep(0.3)
    for pid in list(executor._processes):
        os.kill(pid, signal.SIGKILL)
    for future in (*busy, queued):
        assert future.result(timeout=60) is None
    assert mark.read_text() == "5"


def test_a_pool_that_breaks_as_a_job_is_queued_gets_it_sent_again(
    pooled: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The pool may break between the check for a broken pool and the submit."""
    services = pooled.bot.services
    real = processes._executor
    broken: list[ProcessPoolExecutor] = []

    def breaking_after_the_check(services):
        executor = real(services)
        if not broken:
            executor._broken = "a reply process died just now"
            broken.append(executor)
        return executor

    monkeypatch.setattr(processes, "_executor", breaking_after_the_check)
    mark = tmp_path / "ran"
    try:
        assert services.submit(jobs.sleep_then_write, str(mark), 0.0).result(timeout=60) is None
    finally:
        broken[0]._broken = False  # so the fixture's shutdown is a clean one
    assert mark.is_file()
