"""A progress bar for long terminal work, shown only when it is worth it.

An import of a few files finishes before a bar could be read, so the bar appears
only on a terminal (never in a pipe or a log) and only once the work has run for
about a second; it is drawn on stderr and removed when done, so stdout keeps the
summaries alone.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: How long work runs before the bar appears.
DELAY_SECONDS = 1.0


class Steps:
    """What the bar shows: one unit per file, a word for the step in hand."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self._lock = threading.Lock()
        self._bar = None
        self._task = None
        self._timer: threading.Timer | None = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=stream),
                transient=True,
            )
            self._task = self._bar.add_task("Starting", total=total)
            if DELAY_SECONDS <= 0:
                self._show()
            else:
                self._timer = threading.Timer(DELAY_SECONDS, self._show)
                self._timer.daemon = True
                self._timer.start()

    def _show(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.start()

    def step(self, text: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=text)

    def advance(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None


@contextmanager
def steps(total: int, stream: TextIO | None = None) -> Iterator[Steps]:
    out = stream if stream is not None else sys.stderr
    progress = Steps(total, out, enabled=out.isatty())
    try:
        yield progress
    finally:
        progress.close()
