"""Other programs on the same SQLite file, for concurrency tests: a writer holding the
lock, `narrator import` as a real process, and the rows they import."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HEADER = "account,post,published_at,observed_at,impressions,members_reached,title"


def rows(account: str, posts: int, hours: int = 4) -> list[str]:
    return [
        f"{account},{account}-p{p},2026-03-01T09:00:00Z,2026-03-01T{10 + h:02d}:00:00Z,"
        f"{100 + h * 10},{50 + h},Post {p}"
        for p in range(posts)
        for h in range(hours)
    ]


@contextmanager
def another_writer(db: Path) -> Iterator[sqlite3.Connection]:
    """Another program in the middle of a long write: it holds the write lock as
    firmly as SQLite allows (in rollback-journal mode an import takes EXCLUSIVE once
    its changes outgrow the page cache), with a row written but not committed."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("INSERT INTO accounts (id, kind, name) VALUES ('other', NULL, NULL)")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def narrator_import(db: Path, *files: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NARRATOR_"))}
    env["NARRATOR_CACHE"] = os.environ.get("NARRATOR_CACHE", "off")  # the run's, not the user's
    env["NARRATOR_DB"] = str(db)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "import", *map(str, files)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stderr_until(process: subprocess.Popen[str], text: str) -> list[str]:
    """The process's error lines up to the first that holds `text` (all, if it ends first)."""
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if text in line:
            break
    return lines
