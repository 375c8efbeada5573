"""Benchmark: how long `narrator` takes to start, against an earlier release.

What it measures
----------------
The wall time of whole processes, as a user waits for them:

* `narrator --help` and `narrator --version` (goal: under 0.3 s);
* `narrator ask "last10 demo-creator"` on a store `narrator demo` filled (goal: under
  1 s), with the compiled templates cached by an earlier run (bot/narrate/cache.py),
  and once more with an empty template cache each time (the first run after an
  edit or an upgrade).

Each command runs --runs times (default 7) in this code and in a baseline release
(--ref, default 1817c7b: main before the fast start), alternately, in the same run,
so both meet the same load. The baseline is `git archive`d into a temporary folder;
both run with this interpreter (`python -m bot`, PYTHONPATH set to their own tree,
their own rules/ and narratives/, and their own demo store in a temporary folder),
so only the code differs. Both trees' modules are compiled to bytecode first, as an
install compiles them. Nothing is left behind but the current tree's __pycache__.

The table shows the median, min and max wall time of each: the machine may be
shared, so read the min as what the code costs and the spread as what the load adds
(the load average is printed before and after, and the machine's speed, sampled
all along, benchmarks/machine.py). A second table gives the median
CPU time (user + system) of each process, which the load barely changes: on an
idle machine the wall time is about that.

    .venv/bin/python benchmarks/startup.py [--runs 7] [--ref 1817c7b]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from machine import Speed, run_timed

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REF = "1817c7b"


@dataclass(frozen=True)
class Case:
    label: str
    args: tuple[str, ...]
    goal: float | None
    cold_cache: bool = False


CASES = (
    Case("narrator --help", ("--help",), 0.3),
    Case("narrator --version", ("--version",), 0.3),
    Case('narrator ask "last10 demo-creator"', ("ask", "last10 demo-creator"), 1.0),
    Case("  same, empty template cache", ("ask", "last10 demo-creator"), None, cold_cache=True),
)


@dataclass
class Side:
    """One code tree under test, with its own demo store and template cache."""

    name: str
    tree: Path
    work: Path
    failures: list[str] = field(default_factory=list)

    def env(self, cache: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
        env.update(
            PYTHONPATH=str(self.tree),
            NARRATOR_DB=str(self.work / "narrator.db"),
            NARRATOR_RULES=str(self.tree / "rules"),
            NARRATOR_NARRATIVES=str(self.tree / "narratives"),
            NARRATOR_CACHE=str(cache),
        )
        return env

    def run(self, args: tuple[str, ...], cache: Path) -> tuple[float, float]:
        """(wall seconds, CPU seconds) of one run."""
        status, said, elapsed, cpu = run_timed(
            [sys.executable, "-m", "bot", *args], cwd=self.work, env=self.env(cache)
        )
        if status != 0:
            # Counted and shown, not fatal: on a loaded machine a render can outrun its
            # time budget (bot/narrate/limits.py), and the table should still come out.
            self.failures.append(
                f"{self.name}: narrator {' '.join(args)} failed ({status}): " + said.strip()[-500:]
            )
        return elapsed, cpu


def extract(ref: str, into: Path) -> Path:
    """The tree of `ref`, as `git archive` gives it."""
    archive = into / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", "--format=tar", ref], cwd=REPO, stdout=out, check=True)
    tree = into / "baseline"
    tree.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    archive.unlink()
    return tree


def check_side(side: Side, cache: Path) -> None:
    """Make sure the side runs its own code (PYTHONPATH before the editable install)."""
    done = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        cwd=side.work,
        env=side.env(cache),
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = Path(done.stdout.strip()).resolve()
    if not loaded.is_relative_to(side.tree.resolve()):
        raise SystemExit(f"{side.name}: `import bot` loads {loaded}, not {side.tree}")


def compile_tree(tree: Path) -> None:
    """Write the bytecode of the tree's `bot` package, as `pip install` does: where
    PYTHONDONTWRITEBYTECODE is set (this machine sets it), an uncompiled tree would
    compile every module again on every run (0.2 s), which no installed user pays."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "bot")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def summary(times: list[float]) -> str:
    return f"{statistics.median(times):6.2f} s ({min(times):.2f}-{max(times):.2f})"


def load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command per side")
    parser.add_argument("--ref", default=DEFAULT_REF, help="the baseline's git ref")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="narrator-startup-") as folder:
        temp = Path(folder)
        baseline_tree = extract(options.ref, temp)
        sides = []
        for name, tree in (("baseline", baseline_tree), ("current", REPO)):
            work = temp / f"{name}-work"
            work.mkdir()
            sides.append(Side(name, tree, work))
        warm = temp / "cache"
        print(
            f"baseline {options.ref} vs the working tree; {options.runs} runs each; "
            f"{os.cpu_count()} CPUs; load average {load()}",
            flush=True,
        )
        for side in sides:
            check_side(side, warm)
            compile_tree(side.tree)
            side.run(("demo",), warm)  # fills the store, and warms the template cache
            if side.failures:
                raise SystemExit(side.failures[0])

        times: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        with Speed() as speed:  # sampled on the other core while the commands run
            for run in range(options.runs):
                for case in CASES:
                    for side in sides if run % 2 == 0 else sides[::-1]:
                        cache = warm
                        if case.cold_cache:
                            cache = temp / f"cold-{side.name}-{run}"
                        wall, cpu = side.run(case.args, cache)
                        times.setdefault((case.label, side.name), []).append(wall)
                        cpus.setdefault((case.label, side.name), []).append(cpu)
                        if case.cold_cache:
                            shutil.rmtree(cache, ignore_errors=True)

        print(f"load average after: {load()}")
        print(speed.summary() + "\n")
        header = f"{'wall time':<38} {'goal':>7}  {'baseline: median (min-max)':<28} "
        header += f"{'current: median (min-max)':<28} {'speed-up':>8}  met"
        print(header)
        print("-" * len(header))
        for case in CASES:
            before = times[(case.label, "baseline")]
            after = times[(case.label, "current")]
            goal = f"{case.goal:.1f} s" if case.goal else ""
            met = ""
            if case.goal:
                met = "yes" if statistics.median(after) < case.goal else "NO"
            speedup = statistics.median(before) / statistics.median(after)
            print(
                f"{case.label:<38} {goal:>7}  {summary(before):<28} {summary(after):<28} "
                f"{speedup:7.1f}x  {met}"
            )
        title = "CPU time (user + system)"
        print(f"\n{title:<38} {'':>7}  {'baseline: median':<28} current: median")
        for case in CASES:
            before = statistics.median(cpus[(case.label, "baseline")])
            after = statistics.median(cpus[(case.label, "current")])
            print(f"{case.label:<38} {'':>7}  {before:6.2f} s{'':<20} {after:6.2f} s")
        for side in sides:
            if side.failures:
                print(f"\n{side.name}: {len(side.failures)} runs failed; the first:")
                print(side.failures[0])


if __name__ == "__main__":
    main()
