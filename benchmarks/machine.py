"""How fast this machine is running, for reading the other benchmarks.

The machine these benchmarks were written on is a shared virtual machine whose
speed swings within a minute, whatever else runs on it: on one day (2026-12-03) the
test suite took from 2 min 3 s to 3 min 50 s for the same code, and a fresh
`python -c "import pandas"` from 0.35 s to 0.97 s of processor time. An empty
loop is a poor gauge of that (it took 0.73 s during a slow run as well as during a
fast one): what slows down is work that touches much memory, such as starting a
process and importing its libraries. So the gauge is exactly that.

`Speed` samples it every few seconds while a benchmark runs and prints the median
with the benchmark's table: the processor time (user + system) of a fresh Python
process that imports pandas and numpy, the first thing every `narrator` process
and every test worker does.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

PROBE = [sys.executable, "-c", "import pandas"]


def run_timed(args: list[str], **popen: Any) -> tuple[int, str, float, float]:
    """Run `args` to the end: (exit status, the end of its stderr, wall seconds,
    processor seconds of that process alone). Its own usage, read as it is reaped,
    not the difference of all children's: the sampler below runs children too."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr, **popen)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        said = stderr.read()[-2000:].decode(errors="replace")
    return child.returncode, said, wall, usage.ru_utime + usage.ru_stime


def probe_seconds() -> float:
    """Processor seconds (user + system) a fresh `python -c "import pandas"` takes."""
    return run_timed(PROBE)[3]


class Speed:
    """Samples `probe_seconds` every `every` seconds while the `with` block runs."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Speed:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            self.samples.append(probe_seconds())
            if self._stop.wait(self.every):
                return

    def summary(self) -> str:
        if not self.samples:
            return "machine speed: not sampled"
        return (
            'machine speed: a fresh `python -c "import pandas"` took '
            f"{statistics.median(self.samples):.2f} s of processor time (median of "
            f"{len(self.samples)} samples taken during the run; "
            f"{min(self.samples):.2f}-{max(self.samples):.2f})"
        )
