"""Benchmark: the HTTP Slack bot under a burst of concurrent `/linkedin last10` commands.

What it measures
----------------
`narrator serve` runs as its own process (as in production: `python -m bot serve
--host 127.0.0.1 --port P --processes N`), against a synthetic store of --accounts
accounts x --posts posts x --snapshots snapshots each, with a fake Slack
(`tests.slack.fakes.FakeSlack`) on loopback as its Web API and as the
response_url every reply is posted to.

For each --processes setting (default: 0, then 2: replies computed in threads of
the HTTP process, then in two reply processes beside it), after --warmup requests that
are not counted and --serial requests sent one at a time (the latency of a
lone request, for reference), it runs --rounds rounds. Each round sends
--concurrency signed slash commands at once (one thread each, released together
by a barrier), each `/linkedin last10 <account>` for a random account (fixed
seed) from the channel that account is linked to, each with a response_url of
its own. Per request it records, all with time.monotonic():

* send: just before the POST to /slack/events leaves the thread (on a new
  connection, as each request is on its own client: connecting is counted);
* ack: when the HTTP response is back (it must be 200);
* reply: when the reply reached the fake response_url (FakeSlack's `.at`,
  taken when the fake has read the POST's body).

ack latency = ack - send (Slack gives up after 3 s); reply latency = reply -
send (what the person who typed the command waits). A request fails if its
ack is not a 200, if no reply reaches its response_url within --timeout
seconds, or if the reply has no blocks or is not a last10 table (an apology,
for instance). A round waits for all its replies before the next one starts.

The client (50 threads) and the fake Slack run in this process, on the same
machine as the server: they take some CPU from it, and a thread that is slow to
get the GIL back records its ack a little late. Both make the numbers slightly
pessimistic, never optimistic.

The synthetic store
-------------------
Generated with numpy (fixed --seed) and written with executemany in one
transaction straight into a `bot.store.Store` file (which creates the
schema). At the defaults it is about 1.3 GB, so it goes to a new temporary folder
(or the folder --store-dir names), said before anything is written, and is removed
when the run ends, however it ends, unless --keep is given. A store kept in a
--store-dir folder (slack-store-<params>.db with a .json beside it) is reused by
later runs naming that folder while its "now" is less than --max-age-hours old
(the server reads the real clock, so the newest posts must stay recent).

* accounts `acct-0000`...: half `member`, half `organization`, each linked
  to its own channel `C0000`... (`Store.link`), with a follower count every
  four months or so, growing;
* posts: --posts per account over the two years before "now" (one every 2.4
  days or so at the defaults), the newest a few hours to two days old; formats
  and titles vary;
* snapshots: hourly for the first 72 hours after publishing, then daily,
  --snapshots in all, only those observed by "now". Counters are cumulative
  (non-decreasing), members_reached <= impressions: impressions at 72 h
  500-50,000 (each account has a typical level, 1,500-15,000, log-uniform, and
  its posts land within a factor of 3 of it; followers go with the level), an
  early wave peaking 1-4 hours in plus a slower curve within 72 h, then a
  trickle adding 3-10 %; impressions per member reached 1.5-3 at 72 h (near 1
  in the first hours), engagement 1-6 % of impressions, saves + sends + reposts
  1-6 per 1,000 impressions, and so on.

How to read the output
----------------------
One table per --processes setting: p50/p95/p99/max of the ack and reply
latencies over all rounds (and of the lone requests), failures, per round the
wall time from the first send to the last reply, and the CPU the server (all
its processes) and this process used during the rounds: when the server's CPU
per request times the concurrency, over the cores, comes near the reply
times, the server is CPU-bound. The server's output goes to
benchmarks/results/slack-serve-w<N>.log; lines at WARNING or above are counted
and the first few printed. At the end the two goals, for each --processes
setting: "ack p99 < 300 ms" and "reply p95 < 1 s". The "cores" line says how
fast busy processes run side by side against one alone, before and after the
rounds: on a shared virtual machine two vCPUs are not always two cores' worth.

Run from the repository root:  .venv/bin/python benchmarks/slack_bot.py [--processes 0,2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # for tests.slack.fakes
    sys.path.insert(0, str(REPO))

from bot.model import COUNTERS, to_utc_text  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.migrations import MIGRATIONS  # noqa: E402
from tests.slack.fakes import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    sign,
    slash_command,
)

RESULTS = REPO / "benchmarks" / "results"
#: What a snapshot costs on disk, with its post's share and the indexes (1.3 GB for
#: the default 200 x 300 x 80), for saying how much room the store needs.
STORE_BYTES_PER_SNAPSHOT = 280
DEFAULT_SEED = 20260301
ADMIN = "U0ADMIN"
MEMBER = "U0MEMBER"
HISTORY_DAYS = 730
HOURLY = 72  # snapshots are hourly for this many hours, then daily
FOLLOWER_EVERY_DAYS = 120
FORMATS = ("text", "image", "video", "document", "poll", "article")
FORMAT_WEIGHTS = (0.30, 0.30, 0.15, 0.15, 0.05, 0.05)
ACK_GOAL_MS = 300.0
REPLY_GOAL_MS = 1000.0
START_TIMEOUT = 120.0


# -- the synthetic store -------------------------------------------------------------


@dataclass(frozen=True)
class StoreInfo:
    path: Path
    now: datetime
    accounts: int
    posts: int
    snapshots: int
    generated_in: float | None  # seconds, when the file was generated (or the cached one was)
    cached: bool = False

    @property
    def megabytes(self) -> float:
        return self.path.stat().st_size / 1e6


def account_id(index: int) -> str:
    return f"acct-{index:04d}"


def channel_id(index: int) -> str:
    return f"C{index:04d}"


def snapshot_hours(count: int) -> np.ndarray:
    """Hours after publishing of each snapshot: hourly up to 72 h, then daily."""
    hourly = np.arange(1, min(count, HOURLY) + 1, dtype=np.int64)
    daily = HOURLY + 24 * np.arange(1, max(count - HOURLY, 0) + 1, dtype=np.int64)
    return np.concatenate([hourly, daily])


def _utc_texts(moments: np.ndarray) -> np.ndarray:
    """datetime64[s] values (UTC) as the store's text form, `2026-11-23T09:00:00Z`."""
    return np.char.add(np.datetime_as_string(moments, unit="s"), "Z")


def _account_rows(
    rng: np.random.Generator, accounts: int, now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], np.ndarray]:
    """(account rows, follower-count rows, each account's typical impressions at 72 h)."""
    organization = np.arange(accounts) % 2 == 1
    rng.shuffle(organization)
    account_rows = [
        (
            account_id(i),
            "organization" if organization[i] else "member",
            f"Benchmark {'Page' if organization[i] else 'Creator'} {i:04d}",
        )
        for i in range(accounts)
    ]
    # An account's posts reach about `level` impressions in three days; followers go with
    # it (company pages have more followers for the same reach).
    level = np.exp(rng.uniform(np.log(1_500), np.log(15_000), accounts))
    per_level = np.where(
        organization, rng.uniform(1.0, 6.0, accounts), rng.uniform(0.3, 1.8, accounts)
    )
    followers = level * per_level
    follower_rows = []
    days = np.arange(HISTORY_DAYS + 30, 0, -FOLLOWER_EVERY_DAYS)  # oldest first
    for i in range(accounts):
        end = float(followers[i])
        start = end * rng.uniform(0.4, 0.9)
        growth = np.linspace(0.0, 1.0, len(days) + 1)[1:]
        values = np.round(start + (end - start) * growth**1.3).astype(np.int64)
        for day, value in zip(days, values, strict=True):
            moment = now - timedelta(days=int(day), hours=int(rng.integers(0, 24)))
            follower_rows.append((account_id(i), to_utc_text(moment), int(value)))
        moment = now - timedelta(hours=int(rng.integers(1, 48)))
        follower_rows.append((account_id(i), to_utc_text(moment), round(end)))
    return account_rows, follower_rows, level


def _snapshot_counters(
    rng: np.random.Generator, n: int, hours: np.ndarray, level: float
) -> dict[str, np.ndarray]:
    """Cumulative counters, one (n, len(hours)) array per counter in COUNTERS."""
    h = hours[None, :].astype(float)
    impressions72 = np.clip(level * np.exp(rng.uniform(np.log(1 / 3), np.log(3), n)), 500, 50_000)
    # An early wave (a gamma curve with k = 2, peaking `theta` hours in) and a slower
    # exponential tail within the first 72 h, then a trickle that adds `tail` more.
    theta = rng.uniform(1.0, 4.0, n)[:, None]
    tau = rng.uniform(20.0, 60.0, n)[:, None]
    wave = rng.uniform(0.25, 0.75, n)[:, None]
    tail = rng.uniform(0.03, 0.10, n)[:, None]

    def within(x: np.ndarray) -> np.ndarray:
        early = 1.0 - np.exp(-x / theta) * (1.0 + x / theta)
        return wave * early + (1.0 - wave) * (1.0 - np.exp(-x / tau))

    inside = within(np.minimum(h, HOURLY)) / within(np.full_like(h, HOURLY))
    after = np.clip(h - HOURLY, 0.0, None)
    frac = inside * (1.0 + tail * (1.0 - np.exp(-after / 96.0)))
    impressions = np.round(impressions72[:, None] * frac)

    ratio = rng.uniform(1.5, 3.0, n)[:, None]  # impressions per member reached
    # Early on nearly every impression is a new member; the ratio builds up over a day.
    ratio_now = 1.0 + (ratio - 1.0) * (1.0 - np.exp(-h / 8.0))
    reach = np.maximum.accumulate(np.round(impressions / ratio_now), axis=1)
    reach = np.minimum(reach, impressions)

    final = impressions72 * (1.0 + tail[:, 0])
    engaged = np.clip(frac / (1.0 + tail), 0.0, 1.0) ** 0.8  # interactions come early

    engagement = rng.uniform(0.01, 0.06, n) * final
    comments = engagement * rng.uniform(0.05, 0.15, n)
    saves_shares = rng.uniform(1.0, 6.0, n) * final / 1000.0
    totals = {
        "reposts": saves_shares * 0.45,
        "saves": saves_shares * 0.40,
        "sends": saves_shares * 0.15,
        "comments": comments,
        "reactions": np.maximum(engagement - comments - saves_shares, 0.0),
        "comment_replies": comments * rng.uniform(0.2, 0.5, n),
        "profile_views": rng.uniform(1.0, 5.0, n) * final / 1000.0,
        "followers_gained": rng.uniform(0.2, 1.0, n) * final / 1000.0,
    }
    series = {name: np.round(total[:, None] * engaged) for name, total in totals.items()}
    series["impressions"] = impressions
    series["members_reached"] = reach
    series["clicks"] = np.round(rng.uniform(0.004, 0.015, n)[:, None] * impressions)
    # LinkedIn's own engagement total (migration 4 added the column): what it counts.
    series["engagements"] = (
        series["reactions"] + series["comments"] + series["reposts"] + series["clicks"]
    )
    return {name: series[name].astype(np.int64) for name in COUNTERS}


def generate_store(
    path: Path, *, accounts: int, posts: int, snapshots: int, seed: int, now: datetime
) -> tuple[int, int]:
    """Write the synthetic store to `path`; return (posts, snapshots) written."""
    rng = np.random.default_rng(seed)
    hours = snapshot_hours(snapshots)
    offsets = (hours * 3600).astype("timedelta64[s]")
    now64 = np.datetime64(now.replace(tzinfo=None), "s")
    spacing = HISTORY_DAYS * 86400 / posts  # seconds between posts, on average

    account_rows, follower_rows, level = _account_rows(rng, accounts, now)
    post_count = snapshot_count = 0
    with Store(path) as store:
        conn = store.conn
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MB
        with conn:  # one transaction
            conn.executemany("INSERT INTO accounts (id, kind, name) VALUES (?, ?, ?)", account_rows)
            conn.executemany(
                "INSERT INTO follower_counts (account, observed_at, followers) VALUES (?, ?, ?)",
                follower_rows,
            )
            columns = ", ".join(COUNTERS)
            marks = ", ".join("?" for _ in COUNTERS)
            snapshot_sql = (
                f"INSERT INTO snapshots (post, observed_at, {columns}) VALUES (?, ?, {marks})"
            )
            for a in range(accounts):
                # Post k (0 = oldest) is about (posts - k) spacings old, to the minute.
                ages = (np.arange(posts, 0, -1) - rng.uniform(0.1, 0.9, posts)) * spacing
                published = now64 - (ages // 60 * 60).astype("timedelta64[s]")
                ids = [
                    f"urn:li:activity:{7300000000000000000 + a * 100_000 + k}" for k in range(posts)
                ]
                formats = rng.choice(len(FORMATS), size=posts, p=FORMAT_WEIGHTS)
                post_rows = [
                    (
                        ids[k],
                        account_id(a),
                        text,
                        f"https://www.linkedin.com/feed/update/{ids[k]}/",
                        FORMATS[formats[k]],
                        f"Post {k + 1} of {account_id(a)}: notes on {FORMATS[formats[k]]} posts",
                    )
                    for k, text in enumerate(_utc_texts(published).tolist())
                ]
                conn.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)", post_rows)

                observed = published[:, None] + offsets[None, :]
                seen = observed <= now64
                counters = _snapshot_counters(rng, posts, hours, float(level[a]))
                post_of = np.repeat(np.array(ids, dtype=object), seen.sum(axis=1))
                columns_out = [post_of.tolist(), _utc_texts(observed[seen]).tolist()]
                columns_out += [counters[name][seen].tolist() for name in COUNTERS]
                conn.executemany(snapshot_sql, zip(*columns_out, strict=True))
                post_count += posts
                snapshot_count += int(seen.sum())
        store.rebuild_series()  # the snapshots went in by SQL of our own
        for i in range(accounts):
            store.link(channel_id(i), account_id(i), by=ADMIN, at=now)
    return post_count, snapshot_count


def check_store(path: Path) -> None:
    """Cheap sanity checks of the generated data (a sample of posts)."""
    conn = sqlite3.connect(path)
    try:
        bad = conn.execute(
            "SELECT count(*) FROM snapshots WHERE members_reached > impressions"
        ).fetchone()[0]
        decreasing = conn.execute(
            """SELECT count(*) FROM (
                 SELECT impressions - lag(impressions) OVER w AS di,
                        members_reached - lag(members_reached) OVER w AS dr,
                        reactions - lag(reactions) OVER w AS de
                 FROM snapshots WHERE post IN (SELECT id FROM posts ORDER BY random() LIMIT 500)
                 WINDOW w AS (PARTITION BY post ORDER BY observed_at))
               WHERE di < 0 OR dr < 0 OR de < 0"""
        ).fetchone()[0]
        unpacked = (
            conn.execute("SELECT count(DISTINCT post) FROM snapshots").fetchone()[0]
            - conn.execute("SELECT count(*) FROM snapshot_series").fetchone()[0]
        )
    finally:
        conn.close()
    if bad or decreasing or unpacked:
        raise SystemExit(
            f"generated store is wrong: {bad} snapshots reach more members than impressions, "
            f"{decreasing} decreasing counters in a sample, {unpacked} posts without a series"
        )


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store-dir",
        type=Path,
        default=None,
        help="folder for the synthetic store (default: a new temporary folder); "
        "a recent store kept there with --keep is reused",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the store when the run ends (default: removed)"
    )


def _store_name(args: argparse.Namespace) -> str:
    return f"slack-store-a{args.accounts}-p{args.posts}-s{args.snapshots}-seed{args.seed}"


@contextlib.contextmanager
def store_folder(args: argparse.Namespace) -> Iterator[Path]:
    """The folder the store goes in, said before anything is written, and the store
    removed when the run ends (Ctrl-C included) unless --keep."""
    made = args.store_dir is None
    folder = Path(tempfile.mkdtemp(prefix="narrator-bench-")) if made else args.store_dir
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    size = args.accounts * args.posts * args.snapshots * STORE_BYTES_PER_SNAPSHOT
    free = shutil.disk_usage(folder).free
    then = "kept when the run ends" if args.keep else "removed when the run ends (--keep keeps it)"
    print(
        f"store: in {folder}, about {_size(size)} ({_size(free)} free there); {then}",
        flush=True,
    )
    cached = (folder / f"{_store_name(args)}.db").exists()
    try:
        if not cached and free < size * 1.1:
            raise SystemExit(
                f"store: not enough room in {folder}: name a folder with more with --store-dir, "
                "or make the store smaller (--accounts, --posts, --snapshots)"
            )
        yield folder
    finally:
        if not args.keep:
            if made:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                name = _store_name(args)
                for suffix in (".db", ".db-wal", ".db-shm", ".db.partial", ".json"):
                    (folder / f"{name}{suffix}").unlink(missing_ok=True)
            print(f"store: removed from {folder}", flush=True)


def _size(count: float) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.0f} MB"


def prepare_store(args: argparse.Namespace, folder: Path) -> StoreInfo:
    name = _store_name(args)
    path = folder / f"{name}.db"
    meta_path = folder / f"{name}.json"
    real_now = datetime.now(UTC)
    if path.exists() and meta_path.exists() and not args.regenerate:
        meta = json.loads(meta_path.read_text())
        now = datetime.fromisoformat(meta["now"])
        age = real_now - now
        if age < timedelta(hours=args.max_age_hours):
            print(
                f"store: reusing {path} (generated for {to_utc_text(now)}, "
                f"{age.total_seconds() / 3600:.1f} h ago; --regenerate to rebuild)"
            )
            # Written by an older version? Migrate here, not inside the timed server.
            started = time.perf_counter()
            with Store(path, migrate=False) as store:
                if store.schema_version() < MIGRATIONS[-1].version:
                    print("store: migrating to the current schema ...", flush=True)
                    store.migrate()
                    print(f"store: migrated in {time.perf_counter() - started:.1f} s")
            return StoreInfo(
                path,
                now,
                meta["accounts"],
                meta["posts"],
                meta["snapshots"],
                meta.get("generated_in_seconds"),
                cached=True,
            )
        print(f"store: {path} is {age} old: regenerating")
    now = real_now.replace(minute=0, second=0, microsecond=0)
    partial = path.with_suffix(".db.partial")
    partial.unlink(missing_ok=True)
    print(
        f"store: generating {args.accounts} accounts x {args.posts} posts x "
        f"{args.snapshots} snapshots as of {to_utc_text(now)} ...",
        flush=True,
    )
    started = time.perf_counter()
    posts, snapshots = generate_store(
        partial,
        accounts=args.accounts,
        posts=args.posts,
        snapshots=args.snapshots,
        seed=args.seed,
        now=now,
    )
    written = time.perf_counter() - started
    check_store(partial)
    os.replace(partial, path)
    elapsed = time.perf_counter() - started
    meta = {
        "now": now.isoformat(),
        "accounts": args.accounts,
        "posts": posts,
        "snapshots": snapshots,
        "seed": args.seed,
        "generated_in_seconds": round(elapsed, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(
        f"store: generated in {elapsed:.1f} s ({written:.1f} s to write, "
        f"{elapsed - written:.1f} s to check): {path}"
    )
    return StoreInfo(path, now, args.accounts, posts, snapshots, elapsed)


# -- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    log_file: Any

    def log_text(self) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # The server runs in a session of its own: its reply processes go with it.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 0)  # raises once no process of the group is left
            os.killpg(self.process.pid, signal.SIGKILL)  # a worker outlived its supervisor
        self.log_file.close()


def server_cpu(session: int) -> dict[int, float] | None:
    """CPU seconds (user + system) used so far by each process of a session (the server
    runs in a session of its own: the HTTP process and its reply processes); None off Linux."""
    used = {}
    try:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                text = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = text[text.rindex(")") + 2 :].split()
            if int(fields[3]) == session:
                ticks = int(fields[11]) + int(fields[12])
                used[int(entry.name)] = ticks / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    return used


def start_server(db: Path, fake: FakeSlack, processes: int) -> ServerProcess:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NARRATOR_"))}
    env.update(
        NARRATOR_DB=str(db),
        NARRATOR_RULES=str(REPO / "rules"),
        NARRATOR_NARRATIVES=str(REPO / "narratives"),
        NARRATOR_ADMINS=ADMIN,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
    )
    log_path = RESULTS / f"slack-serve-p{processes}.log"
    log_file = log_path.open("wb")
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--processes", str(processes)]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=REPO,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log_path, log_file)
    started = time.monotonic()
    deadline = started + START_TIMEOUT
    while True:
        if process.poll() is not None:
            server.stop()
            raise SystemExit(f"narrator serve exited at start-up:\n{server.log_text()}")
        ready = False
        with contextlib.suppress(httpx.TransportError, ValueError):
            ready = httpx.get(server.base + "/healthz", timeout=2).json().get("ok", False)
        # The reply processes are up (and have loaded the pack) before uvicorn starts.
        if ready:
            break
        if time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"narrator serve did not come up within {START_TIMEOUT:.0f} s")
        time.sleep(0.1)
    print(
        f"  server up in {time.monotonic() - started:.1f} s (pid {process.pid}, "
        f"log {log_path.relative_to(REPO)})"
    )
    return server


# -- the load ------------------------------------------------------------------------


@dataclass
class Sample:
    name: str
    account: str
    send: float = 0.0
    ack: float | None = None
    status: int | None = None
    error: str | None = None
    reply: float | None = None
    messages: int = 0
    problem: str | None = None

    @property
    def ack_ms(self) -> float | None:
        return None if self.ack is None else (self.ack - self.send) * 1000

    @property
    def reply_ms(self) -> float | None:
        return None if self.reply is None else (self.reply - self.send) * 1000


@dataclass
class Round:
    label: str
    samples: list[Sample] = field(default_factory=list)
    server_cpu: dict[int, float] | None = None  # CPU seconds per server process, this round
    client_cpu: float = 0.0  # seconds of CPU this process (client, fake Slack) used

    @property
    def wall(self) -> float | None:
        replies = [s.reply for s in self.samples if s.reply is not None]
        if not replies:
            return None
        return max(replies) - min(s.send for s in self.samples)


#: One TLS context for every client (plain HTTP is used; building one per client is slow).
_TLS = ssl.create_default_context()


def send_round(
    base: str,
    fake: FakeSlack,
    label: str,
    accounts: Sequence[int],
    timeout: float,
) -> Round:
    """Send one slash command per account, all at once; wait for every reply."""
    round_ = Round(label)
    barrier = threading.Barrier(len(accounts))

    def one(sample: Sample, account: int) -> None:
        body = slash_command(
            f"last10 {account_id(account)}",
            user=MEMBER,
            channel=channel_id(account),
            response_url=fake.hook(sample.name),
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        with httpx.Client(timeout=timeout, verify=_TLS) as client:
            barrier.wait(timeout=60)
            sample.send = time.monotonic()
            try:
                response = client.post(base + "/slack/events", content=body, headers=headers)
                sample.ack = time.monotonic()
                sample.status = response.status_code
            except httpx.HTTPError as exc:
                sample.error = f"{type(exc).__name__}: {exc}"

    round_.samples = [Sample(f"{label}-{i}", account_id(a)) for i, a in enumerate(accounts)]
    threads = [
        threading.Thread(target=one, args=(sample, a), name=f"client-{i}")
        for i, (sample, a) in enumerate(zip(round_.samples, accounts, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + timeout
    for sample in round_.samples:
        if sample.status != 200:
            sample.problem = f"ack {sample.status or sample.error}"
            continue
        try:
            fake.wait_for_posts(sample.name, 1, timeout=max(deadline - time.monotonic(), 0.01))
        except AssertionError:
            sample.problem = "no reply"
    time.sleep(0.2)  # a reply split into several messages: let the rest arrive
    calls = list(fake.calls)  # copying a list is atomic; the fake only appends
    by_name: dict[str, list[Any]] = {}
    for call in calls:
        by_name.setdefault(call.path.removeprefix("/hooks/"), []).append(call)
    for sample in round_.samples:
        posted = by_name.get(sample.name, [])
        sample.messages = len(posted)
        if not posted:
            continue
        sample.reply = posted[0].at
        if sample.problem:
            continue
        blocks = [b for call in posted for b in call.body.get("blocks") or []]
        if not blocks:
            sample.problem = "reply without blocks"
        elif not any(
            b.get("type") == "section" and (b.get("text") or {}).get("text", "").startswith("```")
            for b in blocks
        ):
            first = (posted[0].body.get("text") or "")[:80]
            sample.problem = f"not a last10 table: {first!r}"
    return round_


def percentiles(values: Sequence[float]) -> tuple[float, float, float, float]:
    if not values:
        return (float("nan"),) * 4
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return float(p50), float(p95), float(p99), float(max(values))


@dataclass
class ProcessesResult:
    processes: int
    serial: Round
    rounds: list[Round]
    log_problems: list[str]

    @property
    def samples(self) -> list[Sample]:
        return [s for r in self.rounds for s in r.samples]

    def acks(self) -> list[float]:
        return [s.ack_ms for s in self.samples if s.ack_ms is not None]

    def replies(self) -> list[float]:
        return [s.reply_ms for s in self.samples if s.reply_ms is not None and not s.problem]

    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.problem]


def run_processes(store: StoreInfo, args: argparse.Namespace, processes: int) -> ProcessesResult:
    print(f"\n--processes {processes}")
    rng = np.random.default_rng(args.seed + processes)
    fake = FakeSlack()
    server = start_server(store.path, fake, processes)
    try:
        warm = send_round(
            server.base,
            fake,
            f"p{processes}-warm",
            rng.integers(0, store.accounts, args.warmup),
            args.timeout,
        )
        bad = [s for s in warm.samples if s.problem]
        print(
            f"  warm-up: {len(warm.samples)} concurrent requests, {len(bad)} failed"
            + (f" (first: {bad[0].problem})" if bad else "")
        )
        serial = Round(f"p{processes}-serial")
        for i in range(args.serial):
            one = send_round(
                server.base,
                fake,
                f"p{processes}-serial{i}",
                [int(rng.integers(store.accounts))],
                args.timeout,
            )
            serial.samples += one.samples
        rounds = []
        for r in range(args.rounds):
            time.sleep(args.pause)
            picked = rng.integers(0, store.accounts, args.concurrency)
            server_before, client_before = server_cpu(server.process.pid), time.process_time()
            round_ = send_round(server.base, fake, f"p{processes}-r{r}", picked, args.timeout)
            server_after = server_cpu(server.process.pid)
            round_.client_cpu = time.process_time() - client_before
            if server_before is not None and server_after is not None:
                round_.server_cpu = {
                    pid: used - server_before.get(pid, 0.0) for pid, used in server_after.items()
                }
            rounds.append(round_)
            acks = [s.ack_ms for s in round_.samples if s.ack_ms is not None]
            replies = [s.reply_ms for s in round_.samples if s.reply_ms is not None]
            failed = sum(1 for s in round_.samples if s.problem)
            wall = round_.wall
            print(
                f"  round {r + 1}: ack p99 {percentiles(acks)[2]:7.1f} ms, "
                f"reply p50 {percentiles(replies)[0]:7.1f} ms, "
                f"p95 {percentiles(replies)[1]:7.1f} ms, "
                f"all {len(round_.samples)} replies in "
                f"{'-' if wall is None else f'{wall:.2f} s'}, {failed} failed",
                flush=True,
            )
    finally:
        server.stop()
        fake.close()
    log = server.log_text()
    problems = [
        line
        for line in log.splitlines()
        if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)
    ]
    return ProcessesResult(processes, serial, rounds, problems)


# -- the report ----------------------------------------------------------------------


def _row(label: str, values: Sequence[float]) -> str:
    p50, p95, p99, top = percentiles(values)
    return f"  {label:<28} {len(values):>5} {p50:>9.1f} {p95:>9.1f} {p99:>9.1f} {top:>9.1f}"


_BUSY = (
    "import time; t = time.perf_counter(); sum(i * i for i in range(3_000_000)); "
    "print(time.perf_counter() - t)"
)


def core_speed(workers: int) -> float:
    """How fast `workers` busy processes run side by side, against one alone (1.0:
    as fast, so the cores are really there; on a shared virtual machine a second
    busy vCPU often slows the first). Pure Python, about a second."""

    def run(count: int) -> float:
        children = [
            subprocess.Popen([sys.executable, "-c", _BUSY], stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return max(float(child.communicate()[0]) for child in children)

    alone = min(run(1) for _ in range(2))
    together = min(run(workers) for _ in range(2))
    return alone / together


def report(
    store: StoreInfo,
    args: argparse.Namespace,
    results: list[ProcessesResult],
    speeds: tuple[float, float] | None = None,
) -> bool:
    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    print("\n" + "=" * 78)
    print("Slack bot over HTTP: concurrent `/linkedin last10 <account>`")
    print(
        f"machine: {cpus} CPUs ({usable} usable), {platform.machine()}, "
        f"{platform.system()} {platform.release()}"
    )
    if speeds is not None and usable and usable > 1:
        print(
            f"cores: {usable} busy processes side by side each ran at {speeds[0]:.0%} "
            f"(before the rounds) and {speeds[1]:.0%} (after) of the speed of one alone"
        )
    print(
        f"python: {platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, numpy {np.__version__}, httpx {httpx.__version__}"
    )
    generated = "" if store.generated_in is None else f"generated in {store.generated_in:.1f} s"
    if store.cached:
        generated = f"cached, {generated}" if generated else "cached"
    print(
        f"store: {store.accounts} accounts, {store.posts:,} posts, {store.snapshots:,} "
        f"snapshots, {store.megabytes:,.0f} MB ({generated}; data as of {to_utc_text(store.now)})"
    )
    print(
        f"load: {args.rounds} rounds x {args.concurrency} concurrent requests per --processes "
        f"setting, after {args.warmup} warm-up and {args.serial} one-at-a-time requests"
    )
    met_all = True
    goals = []
    for result in results:
        print(
            f"\n--processes {result.processes}           (milliseconds)        n       p50       "
            f"p95       p99       max"
        )
        print(
            _row(
                "ack (one at a time)",
                [s.ack_ms for s in result.serial.samples if s.ack_ms is not None],
            )
        )
        print(
            _row(
                "reply (one at a time)",
                [
                    s.reply_ms
                    for s in result.serial.samples
                    if s.reply_ms is not None and not s.problem
                ],
            )
        )
        print(_row(f"ack ({args.concurrency} at once)", result.acks()))
        print(_row(f"reply ({args.concurrency} at once)", result.replies()))
        walls = [r.wall for r in result.rounds if r.wall is not None]
        if walls:
            rate = args.concurrency / np.mean(walls)
            print(
                f"  round wall time (first send to last reply): "
                f"{', '.join(f'{w:.2f}' for w in walls)} s -> {rate:.1f} replies/s"
            )
        if walls and all(r.server_cpu is not None for r in result.rounds):
            requests = len(result.samples)
            client = sum(r.client_cpu for r in result.rounds)
            server = sum(sum((r.server_cpu or {}).values()) for r in result.rounds)
            print(
                f"  CPU during the rounds: server {server:.1f} s "
                f"({server / requests * 1000:.0f} ms per request), this process "
                f"(client + fake Slack) {client:.1f} s, in {sum(walls):.1f} s of wall time "
                f"on {os.cpu_count()} CPUs"
            )
            if result.processes > 0:
                # Which process did the work: the HTTP process (acknowledgements) and
                # each reply process; an uneven split would leave a core idle. The
                # multiprocessing helper processes use next to nothing.
                totals: dict[int, float] = {}
                for r in result.rounds:
                    for pid, used in (r.server_cpu or {}).items():
                        totals[pid] = totals.get(pid, 0.0) + used
                busy = sorted(pid for pid, used in totals.items() if used >= 0.05 * server)
                split = [
                    " + ".join(f"{(r.server_cpu or {}).get(pid, 0.0):.1f}" for pid in busy)
                    for r in result.rounds
                ]
                print(f"  server CPU by process, per round (s): {'; '.join(split)}")
        multi = sum(1 for s in result.samples if s.messages > 1)
        if multi:
            print(f"  {multi} replies came as several messages (reply time = the first)")
        failures = result.failures()
        print(f"  failures: {len(failures)} of {len(result.samples)}")
        kinds: dict[str, int] = {}
        for sample in failures:
            kinds[sample.problem or ""] = kinds.get(sample.problem or "", 0) + 1
        for problem, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:5]:
            print(f"    {count} x {problem}")
        print(
            f"  server log: {len(result.log_problems)} lines at WARNING or above"
            + (":" if result.log_problems else "")
        )
        for line in result.log_problems[:5]:
            print(f"    {line[:150]}")
        ack_p99 = percentiles(result.acks())[2]
        reply_p95 = percentiles(result.replies())[1]
        complete = not failures
        ack_met = complete and ack_p99 < ACK_GOAL_MS
        reply_met = complete and reply_p95 < REPLY_GOAL_MS
        met_all &= ack_met and reply_met
        suffix = "" if complete else " (requests failed)"
        goals.append(
            f"--processes {result.processes}: ack p99 < 300 ms: "
            f"{'MET' if ack_met else 'NOT MET'} ({ack_p99:.0f} ms){suffix}"
        )
        goals.append(
            f"--processes {result.processes}: reply p95 < 1 s: "
            f"{'MET' if reply_met else 'NOT MET'} ({reply_p95:.0f} ms){suffix}"
        )
    print("\nGoals:")
    for line in goals:
        print(f"  {line}")
    return met_all


def _processes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list such as 0,2") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError("process counts must be 0 or more")
    return values


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=_positive, default=200)
    parser.add_argument("--posts", type=_positive, default=300, help="per account")
    parser.add_argument("--snapshots", type=_positive, default=80, help="per post")
    parser.add_argument("--concurrency", type=_positive, default=50)
    parser.add_argument("--rounds", type=_positive, default=3)
    parser.add_argument("--processes", type=_processes, default=[0, 2], help="e.g. 0,2")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--warmup", type=_positive, default=10, help="requests, not counted")
    parser.add_argument(
        "--serial", type=int, default=5, help="requests sent one at a time, for reference"
    )
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait per round")
    parser.add_argument(
        "--max-age-hours", type=float, default=24.0, help="reuse a cached store this recent"
    )
    parser.add_argument("--regenerate", action="store_true", help="rebuild a kept store")
    add_store_options(parser)
    args = parser.parse_args(argv)

    RESULTS.mkdir(parents=True, exist_ok=True)  # the server logs
    with store_folder(args) as folder:
        store = prepare_store(args, folder)
        workers = (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        )
        before = core_speed(workers or 1)
        results = [run_processes(store, args, processes) for processes in args.processes]
        report(store, args, results, (before, core_speed(workers or 1)))
    # Goals not met is a result; requests that failed make the run unreliable.
    return 1 if any(result.failures() for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
