"""Benchmark: the README's test command, from a fresh clone, as a newcomer runs it.

What it measures
----------------
The wall time of the second quick-start command of README.md (goal: under 2
minutes on this machine, the install included), run in a fresh `git clone` of the
committed HEAD in a temporary folder, with CI=true as .ci/run has it. Each part of
the command (the parts between `&&`) is timed on its own, in order, in the same
folder: creating the venv, installing uv, installing the package and the test
dependencies, and the test run. The machine's speed, sampled all along the run
(benchmarks/machine.py), is printed with the times: on a shared machine it can
halve within a minute, and the command's time follows it.

Package downloads come from pip's and uv's caches when an earlier install filled
them, as they do for anyone installing a second time.

    .venv/bin/python benchmarks/quick_start.py [--runs 1] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import Speed

REPO = Path(__file__).resolve().parent.parent
GOAL = 120.0


def test_command() -> str:
    """The second command of README.md's quick start."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, flags=re.DOTALL)
    if len(blocks) != 2:
        raise SystemExit(f"README.md's quick start has {len(blocks)} commands, not 2")
    return blocks[1].strip()


def run_once(command: str, keep: bool) -> list[tuple[str, float, int]]:
    """(part, seconds, exit status) of each part of `command`, run in a fresh clone."""
    folder = Path(tempfile.mkdtemp(prefix="narrator-test-command-"))
    times: list[tuple[str, float, int]] = []
    try:
        clone = folder / "insight-narrator"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        env = {**os.environ, "CI": "true"}
        env.pop("VIRTUAL_ENV", None)
        for part in command.split(" && "):
            start = time.perf_counter()
            done = subprocess.run(
                ["bash", "-c", part], cwd=clone, env=env, capture_output=True, text=True
            )
            times.append((part, time.perf_counter() - start, done.returncode))
            if done.returncode != 0:
                print(done.stdout[-2000:] + done.stderr[-2000:], file=sys.stderr)
                break
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="fresh clones to time")
    parser.add_argument("--keep", action="store_true", help="keep each clone")
    options = parser.parse_args()
    command = test_command()
    print(f"the README's test command:\n  {command}\n")
    for run in range(1, options.runs + 1):
        with Speed() as speed:
            times = run_once(command, options.keep)
        total = sum(seconds for _, seconds, _ in times)
        print(f"\nrun {run}: {'part':<72} {'seconds':>8}")
        for part, seconds, status in times:
            shown = part if len(part) <= 72 else part[:69] + "..."
            print(f"       {shown:<72} {seconds:8.1f}" + (f"  FAILED ({status})" if status else ""))
        failed = any(status for _, _, status in times)
        met = "FAILED" if failed else ("yes" if total < GOAL else "NO")
        label = f"total (goal: under {GOAL:.0f} s)"
        print(f"       {label:<72} {total:8.1f}  met: {met}")
        print(f"       {speed.summary()}\n")


if __name__ == "__main__":
    main()
