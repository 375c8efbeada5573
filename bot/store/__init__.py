"""The SQLite store: the only package that knows SQL.

Times are stored as UTC text (`2026-11-23T09:00:00Z`), which sorts as time does.
Counters are cumulative; NULL means "not reported", never zero.

`Store` is assembled from one mixin per concept, each in its own module over the
open database of `connection.py`:

- `writes.py`: an import's accounts, posts, snapshots and follower counts, all or
  nothing, checked against what is stored
- `accounts.py`: account rows as of a moment, and each account's time zone
- `history.py`: an account's posts, snapshots and followers as of a moment, as frames
- `exports.py`: what LinkedIn's exports say of an account as a whole (its days, its
  windows' totals, who saw its posts), latest reading wins
- `linkedin.py`: each account's LinkedIn identity and the sync's calls per token and day
- `slack.py`: the Slack tables (links, mutes, events already handled)
- `clock.py`: the clock's ledger of runs, claimed before each job runs
- `digests.py`: digest subscriptions and the log of what each digest said
- `checkins.py`: the channels that asked for first-hour check-ins

A new kind of data (say, an export's daily account series) gets a module of its own
with its migration in `migrations.py`, and joins the bases below.
"""

from __future__ import annotations

from bot.store.accounts import AccountReads, AccountRow, AccountZones
from bot.store.checkins import CheckinTables
from bot.store.clock import Claim, ClockLedger, RunRow
from bot.store.connection import MMAP_BYTES, Connection
from bot.store.digests import DigestTables, Said, Subscription
from bot.store.exports import ExportReads
from bot.store.history import History, HistoryReads, _utc
from bot.store.linkedin import LinkedInTables
from bot.store.slack import EVENT_MEMORY, SlackTables
from bot.store.writes import ImportTotals, PostWrites, TableChange, WriteSummary

__all__ = [
    "EVENT_MEMORY",
    "MMAP_BYTES",
    "AccountRow",
    "Claim",
    "History",
    "ImportTotals",
    "RunRow",
    "Said",
    "Store",
    "Subscription",
    "TableChange",
    "WriteSummary",
    "_utc",
]


class Store(
    PostWrites,
    AccountReads,
    AccountZones,
    HistoryReads,
    ExportReads,
    SlackTables,
    LinkedInTables,
    ClockLedger,
    DigestTables,
    CheckinTables,
    Connection,
):
    """Open (and migrate) the SQLite database at `path`; `:memory:` works too."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
