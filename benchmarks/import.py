"""Benchmark: importing a team's files, against the importer this one replaced.

What it measures
----------------
Files generated with a fixed seed and cached in benchmarks/results/ (the 2M-row CSV
is ~340 MB and takes a minute to write; delete the folder to write them again):

* an interchange CSV of --rows rows (default 100,000: 5,000 posts of 50 accounts,
  20 observations each, every column filled), imported into a fresh store as
  `narrator import` does it (bot/importing.py): rows per second, end to end (read,
  validate, write); then the same file again (an unchanged re-import: the store
  knows it from its digest) and the ratio of the two; then once more after another
  import wrote one unrelated row (every row read and compared with the store);
* an interchange CSV of --big rows (default 2,000,000), imported into a fresh store
  in a child process: its peak resident memory (ru_maxrss), and rows per second;
* a Company Page content export (.xlsx) of --page rows (default 50,000 posts):
  rows per second, read only (the Page reader has no faster store path to measure).

Each is also run with the previous importer, frozen in benchmarks/baseline/ (the
row-by-row pydantic CSV reader, the openpyxl workbook reader with per-cell pandas
access, and the write that upserts every row), in the same run, on the same files.
The 2M-row file is not given to the baseline: it refused files over 256 MB, and it
would hold about 30 times the file's size in memory.

Times are time.perf_counter(); the machine is shared, so run it when quiet and
read the best of --rounds rounds (the table shows best and worst).

    .venv/bin/python benchmarks/import.py [--rows 100000] [--big 2000000] [--page 50000]
                                          [--rounds 3] [--skip-big]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
for path in (REPO, REPO / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

SEED = 11
GOAL_ROWS_PER_S = 100_000
GOAL_RATIO = 5.0
GOAL_MEMORY_MB = 500
GOAL_PAGE_ROWS_PER_S = 20_000

HEADER = (
    "account,post,published_at,observed_at,impressions,members_reached,reactions,comments,"
    "reposts,saves,sends,clicks,followers,account_kind,format,title,url"
)
FORMATS = ("text", "image", "video", "document", "poll")


def write_csv(path: Path, rows: int) -> Path:
    """An interchange CSV: 20 observations of each post, hourly then daily."""
    if path.exists():
        return path
    rng = random.Random(SEED)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts = max(1, rows // 20)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as out:
        out.write(HEADER + "\n")
        written = 0
        for p in range(posts):
            account = f"acct-{p % 50}"
            published = start + timedelta(hours=p)
            final = rng.randint(500, 90_000)
            title = f"Post number {p}, about pricing"
            url = f"https://www.linkedin.com/feed/update/urn:li:activity:{7400000000000000000 + p}/"
            for k in range(20):
                if written == rows:
                    break
                hours = k + 1 if k < 10 else 24 * (k - 8)
                observed = published + timedelta(hours=hours)
                impressions = final * (k + 1) // 20
                reached = impressions * 2 // 3
                followers = 1000 + (int(observed.timestamp()) // 3600) % 997 + p % 50
                out.write(
                    f"{account},urn:li:activity:{7400000000000000000 + p},"
                    f"{published:%Y-%m-%dT%H:%M:%SZ},{observed:%Y-%m-%dT%H:%M:%SZ},"
                    f"{impressions},{reached},{impressions // 40},{impressions // 300},"
                    f"{impressions // 900},{impressions // 700},{impressions // 2000},"
                    f"{impressions // 150},{followers if k == 0 else ''},member,"
                    f'{FORMATS[p % len(FORMATS)]},"{title}",{url}\n'
                )
                written += 1
    tmp.rename(path)
    return path


def write_page(path: Path, rows: int) -> Path:
    """A Company Page content export with `rows` posts and a year of days."""
    if path.exists():
        return path
    import openpyxl

    from tests.workbooks import PAGE_METRIC_HEADER, PAGE_POST_HEADER, page_metric_row

    book = openpyxl.Workbook(write_only=True)
    metrics = book.create_sheet("Metrics")
    metrics.append(["Aggregated metrics for the page"])
    metrics.append(PAGE_METRIC_HEADER)
    first = datetime(2025, 1, 1)
    for d in range(365):
        metrics.append(page_metric_row(f"{first + timedelta(days=d):%m/%d/%Y}", 400 + d, 300))
    posts = book.create_sheet("All posts")
    posts.append(["All posts published in the period"])
    posts.append(PAGE_POST_HEADER)
    for p in range(rows):
        day = first + timedelta(days=p * 365 // rows)
        posts.append(
            [
                f"Post {p}",
                f"https://www.linkedin.com/feed/update/urn:li:share:{7420000000000000000 + p}",
                "Organic",
                None,
                "Jane",
                f"{day:%m/%d/%Y}",
                None,
                None,
                "All followers",
                1000 + p,
                0,
                0,
                30,
                0.01,
                45,
                6,
                2,
                3,
                0.03,
                "Image",
            ]
        )
    tmp = path.with_suffix(".tmp")
    book.save(tmp)
    tmp.rename(path)
    return path


# -- the two importers ----------------------------------------------------------


def import_current(csv_path: Path, db: Path) -> tuple[float, object]:
    """As `narrator import` does it (bot/importing.py)."""
    from bot.importing import import_file
    from bot.store import Store

    began = time.perf_counter()
    with Store(db) as store:
        _, summary = import_file(store, csv_path)
    return time.perf_counter() - began, summary


def write_elsewhere(db: Path) -> None:
    """Write one unrelated row, so the next import cannot be known unchanged from its
    digest and must compare its rows with the store's."""
    from bot.ingest.csvfile import parse_csv
    from bot.store import Store

    with Store(db) as store:
        store.write(
            parse_csv(
                "account,post,published_at,observed_at,impressions\n"
                f"other,x{time.perf_counter_ns()},2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1\n"
            )
        )


def import_baseline(csv_path: Path, db: Path) -> tuple[float, object]:
    from baseline.csvfile import read_csv
    from baseline.writes import PostWrites

    from bot.store import Store

    class BaselineStore(PostWrites, Store):
        """Today's schema, written with the previous write and its checks."""

    began = time.perf_counter()
    batch = read_csv(csv_path)
    with BaselineStore(db) as store:
        summary = store.write(batch)
    return time.perf_counter() - began, summary


def read_page_current(path: Path) -> float:
    from bot.ingest.files import read_file

    began = time.perf_counter()
    batch = read_file(path, account="bench-page")
    assert batch.posts, "the Page export read no posts"
    return time.perf_counter() - began


def read_page_baseline(path: Path) -> float:
    from baseline.page import read_page
    from baseline.workbook import open_workbook

    began = time.perf_counter()
    batch = read_page(
        open_workbook(path, "xlsx"), str(path), account="bench-page", kind=None, observed_at=None
    )
    assert batch.posts, "the Page export read no posts"
    return time.perf_counter() - began


def big_import_child(csv_path: str, db: str) -> None:
    """Run in a child process: import one file, print seconds and peak memory (MB)."""
    seconds, _ = import_current(Path(csv_path), Path(db))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def big_import(csv_path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(csv_path), str(Path(tmp) / "big.db")],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rounds_of(n: int, run) -> list[float]:
    return [run() for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=2_000_000)
    parser.add_argument("--page", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        big_import_child(*args.child)
        return

    RESULTS.mkdir(exist_ok=True)
    print("generating files (cached in benchmarks/results/)...", file=sys.stderr)
    small = write_csv(RESULTS / f"interchange-{args.rows}.csv", args.rows)
    page = write_page(RESULTS / f"page-{args.page}.xlsx", args.page)
    big = None if args.skip_big else write_csv(RESULTS / f"interchange-{args.big}.csv", args.big)

    table: list[tuple[str, str, str, str, str]] = []

    def timed(importer) -> tuple[list[float], list[float], list[float]]:
        firsts, agains, compared = [], [], []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "bench.db"
                first, _ = importer(small, db)
                again, summary = importer(small, db)
                assert summary.snapshots.new == 0, "a re-import wrote new snapshots"
                assert summary.snapshots.changed == 0, "a re-import changed snapshots"
                write_elsewhere(db)
                after, summary = importer(small, db)
                assert summary.snapshots.unchanged == args.rows, "rows were not compared"
                firsts.append(first)
                agains.append(again)
                compared.append(after)
        return firsts, agains, compared

    print(f"importing {args.rows:,} CSV rows, {args.rounds} rounds each...", file=sys.stderr)
    now_first, now_again, now_compared = timed(import_current)
    old_first, old_again, old_compared = timed(import_baseline)
    rate, old_rate = args.rows / min(now_first), args.rows / min(old_first)
    table.append(
        (
            f"CSV {args.rows:,} rows, first import (rows/s)",
            f"{rate:,.0f} ({args.rows / max(now_first):,.0f}-{rate:,.0f})",
            f"{old_rate:,.0f}",
            f">= {GOAL_ROWS_PER_S:,}",
            "MET" if rate >= GOAL_ROWS_PER_S else "MISSED",
        )
    )
    ratio = min(now_first) / min(now_again)
    table.append(
        (
            "CSV re-import unchanged (s; first/again)",
            f"{min(now_again):.2f} s; {ratio:.1f}x",
            f"{min(old_again):.2f} s; {min(old_first) / min(old_again):.1f}x",
            f">= {GOAL_RATIO:.0f}x faster",
            "MET" if ratio >= GOAL_RATIO else "MISSED",
        )
    )
    table.append(
        (
            "  the same after another write (s; first/again)",
            f"{min(now_compared):.2f} s; {min(now_first) / min(now_compared):.1f}x",
            f"{min(old_compared):.2f} s; {min(old_first) / min(old_compared):.1f}x",
            "(rows compared)",
            "",
        )
    )
    if big is not None:
        print(f"importing {args.big:,} CSV rows in a child process...", file=sys.stderr)
        result = big_import(big)
        table.append(
            (
                f"CSV {args.big:,} rows, peak memory (MB)",
                f"{result['peak_mb']:,.0f} ({args.big / result['seconds']:,.0f} rows/s)",
                "refused (> 256 MB)",
                f"< {GOAL_MEMORY_MB}",
                "MET" if result["peak_mb"] < GOAL_MEMORY_MB else "MISSED",
            )
        )
    print(f"reading the {args.page:,}-post Page export...", file=sys.stderr)
    now_page = rounds_of(args.rounds, lambda: read_page_current(page))
    old_page = rounds_of(1, lambda: read_page_baseline(page))
    page_rate = args.page / min(now_page)
    table.append(
        (
            f"Page export {args.page:,} posts (rows/s)",
            f"{page_rate:,.0f} ({args.page / max(now_page):,.0f}-{page_rate:,.0f})",
            f"{args.page / min(old_page):,.0f}",
            f">= {GOAL_PAGE_ROWS_PER_S:,}",
            "MET" if page_rate >= GOAL_PAGE_ROWS_PER_S else "MISSED",
        )
    )

    widths = [max(len(row[i]) for row in [HEAD, *table]) for i in range(5)]
    for row in [HEAD, *table]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


HEAD = ("measure", "now (range)", "before", "goal", "")

if __name__ == "__main__":
    main()
