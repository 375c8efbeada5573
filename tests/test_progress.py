"""The import's progress bar: on a terminal once work runs long, never in a pipe."""

from __future__ import annotations

import io
import os
import pty
import threading

import pytest

from bot import progress


def test_a_pipe_never_gets_a_bar():
    out = io.StringIO()
    with progress.steps(3, out) as bar:
        bar.step("Reading a.csv")
        bar.advance()
    assert out.getvalue() == ""


def test_a_terminal_gets_the_bar_once_work_runs_long(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    master, slave = pty.openpty()
    shown = threading.Event()
    with open(slave, "w", encoding="utf-8", closefd=True) as terminal:
        assert terminal.isatty()
        bar = progress.Steps(2, terminal, enabled=True)
        bar.step("Reading posts.csv")
        # The bar starts on its timer's thread; wait for it rather than for time.
        for _ in range(200):
            if bar._bar is not None and bar._bar.live.is_started:
                shown.set()
                break
            threading.Event().wait(0.01)
        bar.advance()
        bar.close()
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    assert shown.is_set()
    assert b"Reading posts.csv" in drawn
