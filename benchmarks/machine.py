"""How fast this machine runs Python right now, for reading the other benchmarks.

The machine these benchmarks were written on is a shared virtual machine whose speed
swings by up to 2x within minutes, whatever else runs on it: the same pure-Python
loop took 0.95 s at its fastest and 2.06 s at its slowest on the same day. A timing
printed without the speed it was taken at cannot be compared with another, so the
benchmarks that time whole commands print this before and after.
"""

from __future__ import annotations

import os
import time

ROUNDS = 30_000_000


def loop_seconds() -> float:
    """Processor seconds one thread takes for ROUNDS rounds of an empty loop."""
    start = time.process_time()
    for _ in range(ROUNDS):
        pass
    return time.process_time() - start


def speed_line(label: str) -> str:
    """`label`: the loop's time and the load average, on one line."""
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return (
        f"{label}: an empty loop of {ROUNDS:,} rounds took {loop_seconds():.2f} s "
        f"(0.95 s at this machine's fastest seen); load average {load}"
    )
