"""What LinkedIn's exports say about an account as a whole: its days, its windows'
totals, and who saw its posts.

Each row remembers when it was read (`observed_at`). A later export of the same day
or window replaces the figures it gives (LinkedIn revises recent days upward), an
older one never overwrites a newer one, and a figure a file leaves empty keeps the
stored one; so importing the same file twice changes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from bot.metrics.table import Table, as_number
from bot.model import DAILY_COUNTERS, ImportBatch, to_utc_text
from bot.store.connection import Connection


def _latest_wins_sql(table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
    quoted = [f'"{k}"' for k in keys]
    all_cols = [*quoted, "observed_at", *columns]
    sets = ", ".join(
        ["observed_at = excluded.observed_at"]
        + [f"{c} = coalesce(excluded.{c}, {table}.{c})" for c in columns]
    )
    differs = " OR ".join(
        f"(excluded.{c} IS NOT NULL AND excluded.{c} IS NOT {table}.{c})" for c in columns
    )
    return (
        f"INSERT INTO {table} ({', '.join(all_cols)}) "
        f"VALUES ({', '.join('?' for _ in all_cols)}) "
        f"ON CONFLICT ({', '.join(quoted)}) DO UPDATE SET {sets} "
        f"WHERE excluded.observed_at >= {table}.observed_at AND ({differs})"
    )


DAYS_SQL = _latest_wins_sql("account_days", ["account", "day"], DAILY_COUNTERS)
PERIODS_SQL = _latest_wins_sql(
    "account_periods", ["account", "start", "end"], ["impressions", "members_reached"]
)
DEMOGRAPHICS_SQL = (
    "INSERT INTO demographics (account, post, observed_at, category, value, share, below) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, post, observed_at, category, value) "
    "DO UPDATE SET share = excluded.share, below = excluded.below "
    "WHERE excluded.share IS NOT demographics.share OR excluded.below IS NOT demographics.below"
)


def export_plan(batch: ImportBatch) -> list[tuple[str, str, list[tuple[object, ...]]]]:
    """(table, SQL, rows) for the export tables, in the shape `PostWrites.write` runs."""
    return [
        (
            "account_days",
            DAYS_SQL,
            [(d.account, d.day, d.observed_at, *d.counters) for d in batch.days],
        ),
        (
            "account_periods",
            PERIODS_SQL,
            [
                (p.account, p.start, p.end, p.observed_at, p.impressions, p.members_reached)
                for p in batch.periods
            ],
        ),
        (
            "demographics",
            DEMOGRAPHICS_SQL,
            [
                (d.account, d.post or "", d.observed_at, d.category, d.value, d.share, d.below)
                for d in batch.demographics
            ],
        ),
    ]


class ExportReads(Connection):
    """An account's days, windows and audience as known at a moment."""

    conn: sqlite3.Connection

    def account_days(self, account_ids: Sequence[str], at: datetime) -> Table:
        """account, day (a date), and every daily counter read by `at` (NaN = not given)."""
        marks = ", ".join("?" for _ in account_ids)
        rows = self.conn.execute(
            f"SELECT account, day, {', '.join(DAILY_COUNTERS)} FROM account_days "
            f"WHERE account IN ({marks}) AND observed_at <= ? ORDER BY account, day",
            [*account_ids, to_utc_text(at)],
        ).fetchall()
        return _table(rows, ["account", "day", *DAILY_COUNTERS], ("day",))

    def account_periods(self, account_ids: Sequence[str], at: datetime) -> Table:
        """account, start, end (dates, end inclusive), impressions, members_reached."""
        marks = ", ".join("?" for _ in account_ids)
        rows = self.conn.execute(
            'SELECT account, start, "end", impressions, members_reached FROM account_periods '
            f"WHERE account IN ({marks}) AND observed_at <= ? ORDER BY account, start",
            [*account_ids, to_utc_text(at)],
        ).fetchall()
        return _table(
            rows, ["account", "start", "end", "impressions", "members_reached"], ("start", "end")
        )

    def demographics(
        self, account: str, at: datetime, post: str | None = None
    ) -> list[dict[str, object]]:
        """The latest audience lines read by `at` for the account (or one post), largest
        share first within each category."""
        row = self.conn.execute(
            "SELECT max(observed_at) FROM demographics WHERE account = ? AND post = ? "
            "AND observed_at <= ?",
            (account, post or "", to_utc_text(at)),
        ).fetchone()
        if row is None or row[0] is None:
            return []
        return [
            {"category": c, "value": v, "share": s, "below": bool(b), "observed_at": row[0]}
            for c, v, s, b in self.conn.execute(
                "SELECT category, value, share, below FROM demographics WHERE account = ? "
                "AND post = ? AND observed_at = ? ORDER BY category, share DESC, value",
                (account, post or "", row[0]),
            )
        ]


def _table(rows: list[tuple[object, ...]], columns: list[str], days: Sequence[str]) -> Table:
    """Rows as a Table: `days` (ISO dates) as UTC midnights, the figures as float64
    (NaN where empty), the account as text."""
    cells = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data: dict[str, np.ndarray] = {}
    for name, values in zip(columns, cells, strict=True):
        if name == "account":
            data[name] = np.array(values, dtype=object)
        elif name in days:
            data[name] = np.array(values, dtype="datetime64[D]").astype("datetime64[us]")
        else:
            data[name] = np.array([as_number(v) for v in values], dtype="float64")
    return Table.build(data)
