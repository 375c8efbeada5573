"""How fast this machine runs Python, for reading the other benchmarks.

The machine these benchmarks were written on is a shared virtual machine whose
speed swings by 2x within a minute, whatever else runs on it: the same pure-Python
loop took from 0.80 s to 2.06 s on one day (2026-12-03), the machine otherwise idle. A timing
printed without the speed it was taken at cannot be compared with another, so the
benchmarks that time whole commands sample the speed all along their run (`Speed`)
and print it with their table.

The speed is the processor time one thread takes for an empty loop of ROUNDS
rounds, measured on a tenth of it every few seconds: the thread's own processor
time, so the benchmark's own load (which keeps the cores busy) is not counted, but
a slower processor is.
"""

from __future__ import annotations

import statistics
import threading
import time

ROUNDS = 30_000_000


def loop_seconds(rounds: int = ROUNDS) -> float:
    """Processor seconds this thread takes for `rounds` rounds of an empty loop."""
    start = time.thread_time()
    for _ in range(rounds):
        pass
    return time.thread_time() - start


class Speed:
    """Samples the loop's time every `every` seconds while the `with` block runs."""

    def __init__(self, every: float = 5.0) -> None:
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
            self.samples.append(loop_seconds(ROUNDS // 10) * 10)
            if self._stop.wait(self.every):
                return

    def summary(self) -> str:
        if not self.samples:
            return "machine speed: not sampled"
        return (
            f"machine speed: an empty loop of {ROUNDS:,} rounds took "
            f"{statistics.median(self.samples):.2f} s (median of {len(self.samples)} samples; "
            f"{min(self.samples):.2f}-{max(self.samples):.2f})"
        )
