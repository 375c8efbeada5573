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


#: The counters the first schema had; later counters arrive by migrations of their own.
_FIRST_COUNTERS = COUNTERS[: COUNTERS.index("comment_replies") + 1]
_COUNTER_COLUMNS = ",\n    ".join(f"{name} INTEGER CHECK ({name} >= 0)" for name in _FIRST_COUNTERS)

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
        # Packing needs every counter column, and `engagements` arrives in 4, which
        # packs every series again: packing here too would read a missing column.
        then=None,
    ),
    Migration(
        4,
        "LinkedIn exports: a post's engagement total, an account's days, its windows' "
        "totals, and who saw its posts",
        """
ALTER TABLE snapshots ADD COLUMN engagements INTEGER CHECK (engagements >= 0);
CREATE TABLE account_days (
    account TEXT NOT NULL REFERENCES accounts(id),
    day TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    impressions INTEGER,
    members_reached INTEGER,
    engagements INTEGER,
    reactions INTEGER,
    comments INTEGER,
    reposts INTEGER,
    clicks INTEGER,
    new_followers INTEGER,
    PRIMARY KEY (account, day)
) WITHOUT ROWID;
CREATE TABLE account_periods (
    account TEXT NOT NULL REFERENCES accounts(id),
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    impressions INTEGER CHECK (impressions >= 0),
    members_reached INTEGER CHECK (members_reached >= 0),
    PRIMARY KEY (account, start, "end")
) WITHOUT ROWID;
CREATE TABLE demographics (
    account TEXT NOT NULL REFERENCES accounts(id),
    post TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    category TEXT NOT NULL,
    value TEXT NOT NULL,
    share REAL NOT NULL CHECK (share >= 0 AND share <= 1),
    below INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, post, observed_at, category, value)
) WITHOUT ROWID;
""",
        then=series.rebuild,
    ),
)

# Digests and the clock (issue #12), appended as a block of their own.
MIGRATIONS += (
    Migration(
        5,
        "the clock's ledger: one row per job and period, claimed before it runs",
        """
CREATE TABLE clock_runs (
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'done', 'skipped', 'failed')),
    claimed_by TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    finished_at TEXT,
    result TEXT,
    PRIMARY KEY (job, period)
) WITHOUT ROWID;
CREATE INDEX clock_runs_by_due ON clock_runs (due_at);
""",
    ),
    Migration(
        6,
        "weekly digests: channel subscriptions, their accounts, and what each digest said",
        """
CREATE TABLE digest_subscriptions (
    channel TEXT PRIMARY KEY,
    day TEXT NOT NULL CHECK (day IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')),
    time TEXT NOT NULL,
    zone TEXT NOT NULL,
    quiet TEXT NOT NULL DEFAULT 'digest' CHECK (quiet IN ('digest', 'line')),
    locale TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE digest_accounts (
    channel TEXT NOT NULL REFERENCES digest_subscriptions(channel) ON DELETE CASCADE,
    account TEXT NOT NULL,
    PRIMARY KEY (channel, account)
) WITHOUT ROWID;
CREATE TABLE digest_log (
    channel TEXT NOT NULL,
    period TEXT NOT NULL,
    week_end TEXT NOT NULL,
    account TEXT NOT NULL,
    subject TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    PRIMARY KEY (channel, period, account, subject, rule)
) WITHOUT ROWID;
""",
    ),
)

# First-hour check-ins (issue #12, item 5).
MIGRATIONS += (
    Migration(
        7,
        "first-hour check-ins: the channels that asked for them",
        """
CREATE TABLE checkin_channels (
    channel TEXT PRIMARY KEY,
    enabled_by TEXT NOT NULL,
    enabled_at TEXT NOT NULL
);
""",
    ),
)

# The LinkedIn sync (issue #16).
MIGRATIONS += (
    Migration(
        8,
        "LinkedIn sync: each account's LinkedIn identity, and the calls spent per token and day",
        """
CREATE TABLE linkedin_connections (
    account TEXT PRIMARY KEY REFERENCES accounts(id),
    urn TEXT NOT NULL,
    connected_at TEXT NOT NULL,
    last_sync_at TEXT,
    last_error TEXT
);
CREATE TABLE linkedin_calls (
    token TEXT NOT NULL,
    day TEXT NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (token, day)
) WITHOUT ROWID;
""",
    ),
)

#: The tables whose rows are the data an import writes; a change to any of them makes
#: every record of `imported_files` stale (snapshot_series is derived from snapshots).
DATA_TABLES = (
    "accounts",
    "follower_counts",
    "posts",
    "snapshots",
    "account_days",
    "account_periods",
    "demographics",
)

# Imports known unchanged (issue #11), appended as a block of their own.
MIGRATIONS += (
    Migration(
        9,
        "imported files: a file imported again into a store unchanged since is known at once",
        """
CREATE TABLE data_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO data_generation VALUES (1, 0);
CREATE TABLE imported_files (
    digest TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    totals TEXT NOT NULL
) WITHOUT ROWID;
""",
        then=lambda conn: _count_data_changes(conn),
    ),
)


def _count_data_changes(conn: sqlite3.Connection) -> None:
    """Triggers, not the writers, count every change to the data: a writer added later,
    a hand-written UPDATE or a migration cannot forget to. (Run one by one: the
    migration runner splits its SQL at each ';', and a trigger's body has them.)"""
    for table in DATA_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_counts AFTER {event} ON {table} "
                "BEGIN UPDATE data_generation SET generation = generation + 1 WHERE id = 1; END"
            )


# The LinkedIn sync's daily throttle (issue #16): a token LinkedIn stopped for the day
# is left alone until its limit resets, instead of being asked again every quarter hour.
MIGRATIONS += (
    Migration(
        10,
        "LinkedIn sync: an account paused by LinkedIn's rate limit, until it resets, and "
        "the UTC day a Page's daily series was last read",
        """
ALTER TABLE linkedin_connections ADD COLUMN paused_until TEXT;
ALTER TABLE linkedin_connections ADD COLUMN days_read_on TEXT;
""",
    ),
)


# Account time zones (issue #15).
MIGRATIONS += (
    Migration(
        11,
        "account time zones: posting hours and weeks in the account's own zone",
        # NULL: never set, read as UTC (demo and API accounts); an import sets a new
        # account's zone from --tz or NARRATOR_TIMEZONE.
        "ALTER TABLE accounts ADD COLUMN timezone TEXT",
    ),
)


# Languages per channel (issue #15), appended as a block of their own.
MIGRATIONS += (
    Migration(
        12,
        "channel languages: the language the bot speaks in each Slack channel",
        """
CREATE TABLE channel_languages (
    channel TEXT PRIMARY KEY,
    locale TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
) WITHOUT ROWID;
""",
    ),
)
