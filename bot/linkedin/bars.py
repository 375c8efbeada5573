"""A progress bar per account while `narrator sync` runs, on a terminal only.

Drawn with rich on stderr (stdout keeps the summary), one bar per account: its calls
made against the calls its plan holds, with the account's name. In a pipe, a log or
the clock nothing is drawn (`watch_sync` gives None and the sync draws nothing).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class SyncBars:
    """What the sync tells the bars: an account begins, its plan's size once known, each
    call, its end."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("calls"),
            console=Console(file=stream, force_terminal=True),
            transient=False,
        )
        self._tasks: dict[str, int] = {}
        self._bar.start()

    def begin(self, account: str) -> None:
        self._tasks[account] = self._bar.add_task(account, total=None)

    def planned(self, account: str, total: int) -> None:
        task = self._tasks.get(account)
        if task is not None:
            done = self._bar.tasks[task].completed
            self._bar.update(task, total=max(total, done))

    def call(self, account: str) -> None:
        task = self._tasks.get(account)
        if task is not None:
            self._bar.advance(task)
            current = self._bar.tasks[task]
            if current.total is not None and current.completed > current.total:
                self._bar.update(task, total=current.completed)

    def end(self, account: str, note: str = "") -> None:
        task = self._tasks.get(account)
        if task is not None:
            done = self._bar.tasks[task].completed
            self._bar.update(task, total=done, description=f"{account}{note}")

    def close(self) -> None:
        self._bar.stop()


@contextmanager
def watch_sync(stream: TextIO | None = None) -> Iterator[SyncBars | None]:
    """Bars on `stream` (stderr) when it is a terminal, else None."""
    out = stream if stream is not None else sys.stderr
    if not out.isatty():
        yield None
        return
    bars = SyncBars(out)
    try:
        yield bars
    finally:
        bars.close()
