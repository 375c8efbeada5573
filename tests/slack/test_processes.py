"""Replies computed in reply processes (`narrator serve --processes N`): the same
words as threads, the HTTP process's pack even when the files are broken, and a
dead process replaced."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from bot.commands import handle
from bot.demo import DEMO_NOW
from bot.slack.blocks import render
from bot.store import Store
from tests.slack.conftest import Running, start
from tests.slack.fakes import FakeSlack
from tests.slack.test_http import all_text, ask


@pytest.fixture
def pooled(tmp_path: Path, root: Path, fake_slack: FakeSlack) -> Iterator[Running]:
    running = start(tmp_path, root, fake_slack, processes=2)
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
