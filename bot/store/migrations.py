"""Versioned schema migrations: append a step, never edit one that has shipped."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from bot.model import COUNTERS
from bot.store import series


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str
    #: Runs after `sql`, in the same transaction: for data SQL alone cannot build.
    then: Callable[[sqlite3.Connection], object] | None = None


_COUNTER_COLUMNS = ",\n    ".join(f"{name} INTEGER CHECK ({name} >= 0)" for name in COUNTERS)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts, follower counts, posts and cumulative snapshots",
        f"""
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    kind TEXT CHECK (kind IN ('member', 'organization')),
    name TEXT
);
CREATE TABLE follower_counts (
    account TEXT NOT NULL REFERENCES accounts(id),
    observed_at TEXT NOT NULL,
    followers INTEGER NOT NULL CHECK (followers >= 0),
    PRIMARY KEY (account, observed_at)
);
CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(id),
    published_at TEXT NOT NULL,
    url TEXT,
    format TEXT,
    title TEXT
);
CREATE INDEX posts_by_account ON posts (account, published_at);
CREATE TABLE snapshots (
    post TEXT NOT NULL REFERENCES posts(id),
    observed_at TEXT NOT NULL,
    {_COUNTER_COLUMNS},
    PRIMARY KEY (post, observed_at)
);
""",
    ),
    Migration(
        2,
        "Slack: accounts linked to channels and users, muted rules, seen events",
        """
CREATE TABLE slack_links (
    target TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts(id),
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (target, account)
);
CREATE TABLE slack_mutes (
    channel TEXT NOT NULL,
    rule TEXT NOT NULL,
    muted_by TEXT NOT NULL,
    muted_at TEXT NOT NULL,
    PRIMARY KEY (channel, rule)
);
CREATE TABLE slack_events (
    event_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL
);
""",
    ),
    Migration(
        3,
        "each post's snapshots packed in one row, for fast reads",
        """
CREATE TABLE snapshot_series (
    post TEXT PRIMARY KEY REFERENCES posts(id),
    observed BLOB NOT NULL,
    counters BLOB NOT NULL
) WITHOUT ROWID;
""",
        then=series.rebuild,
    ),
)
