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

With --against REV, each run also times REV's own README command in a fresh clone
of REV, right after HEAD's: the machine's speed drifts too much between runs minutes
apart for a number from another hour to compare with.

    .venv/bin/python benchmarks/quick_start.py [--runs 1] [--against REV] [--keep]
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


def readme_test_command(rev: str | None = None) -> str:
    """The second command of README.md's quick start: as of commit `rev`, or as the
    file is now."""
    if rev is None:
        readme = (REPO / "README.md").read_text(encoding="utf-8")
    else:
        shown = ["git", "show", f"{rev}:README.md"]
        readme = subprocess.run(shown, cwd=REPO, check=True, capture_output=True, text=True).stdout
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, flags=re.DOTALL)
    if len(blocks) != 2:
        raise SystemExit(f"README.md's quick start has {len(blocks)} commands, not 2")
    return blocks[1].strip()


def run_once(command: str, rev: str, keep: bool) -> list[tuple[str, float, int]]:
    """(part, seconds, exit status) of each part of `command`, run in a fresh clone
    of `rev`."""
    folder = Path(tempfile.mkdtemp(prefix="narrator-test-command-"))
    times: list[tuple[str, float, int]] = []
    try:
        clone = folder / "insight-narrator"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", rev], cwd=clone, check=True)
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
    parser.add_argument("--against", metavar="REV", help="also time REV's command, alternately")
    options = parser.parse_args()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    revs = [head] + ([options.against] if options.against else [])
    commands = {rev: readme_test_command(rev) for rev in revs}
    for rev, command in commands.items():
        print(f"the README's test command at {rev}:\n  {command}\n")
    for run in range(1, options.runs + 1):
        for rev, command in commands.items():
            with Speed() as speed:
                times = run_once(command, rev, options.keep)
            report(f"run {run}, {rev}", times, speed)


def report(title: str, times: list[tuple[str, float, int]], speed: Speed) -> None:
    total = sum(seconds for _, seconds, _ in times)
    print(f"\n{title}:")
    print(f"  {'part':<72} {'seconds':>8}")
    for part, seconds, status in times:
        shown = part if len(part) <= 72 else part[:69] + "..."
        print(f"  {shown:<72} {seconds:8.1f}" + (f"  FAILED ({status})" if status else ""))
    failed = any(status for _, _, status in times)
    met = "FAILED" if failed else ("yes" if total < GOAL else "NO")
    label = f"total (goal: under {GOAL:.0f} s)"
    print(f"  {label:<72} {total:8.1f}  met: {met}")
    print(f"  {speed.summary()}\n")


if __name__ == "__main__":
    main()
