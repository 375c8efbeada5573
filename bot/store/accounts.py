"""Accounts as of a moment: kind, name, latest follower count, posts, freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.model import to_utc_text
from bot.store.connection import Connection


@dataclass(frozen=True)
class AccountRow:
    id: str
    kind: str | None
    name: str | None
    followers: int | None
    posts: int
    last_published_at: str | None
    last_observed_at: str | None
    #: The account's IANA time zone: its posting hours, days and weeks are read in it.
    timezone: str = "UTC"


# The latest observation of an account is the latest of its posts' latest ones; each of
# those is one seek in the (post, observed_at) primary key. Everything is as of :at.
_ACCOUNT_ROW_SQL = """
    SELECT a.id, a.kind, a.name,
           (SELECT followers FROM follower_counts f WHERE f.account = a.id
            AND f.observed_at <= :at ORDER BY observed_at DESC LIMIT 1),
           (SELECT count(*) FROM posts p WHERE p.account = a.id AND p.published_at <= :at),
           (SELECT max(published_at) FROM posts p WHERE p.account = a.id
            AND p.published_at <= :at),
           (SELECT max((SELECT max(s.observed_at) FROM snapshots s WHERE s.post = p.id
                        AND s.observed_at <= :at))
            FROM posts p WHERE p.account = a.id AND p.published_at <= :at),
           coalesce(a.timezone, 'UTC')
    FROM accounts a"""

#: Later than any time the store writes (they are compared as text).
_END_OF_TIME = "9999-12-31T23:59:59Z"


class AccountReads(Connection):
    """The `accounts` table with follower counts and freshness, as of a moment."""

    def accounts(self, at: datetime | None = None) -> list[AccountRow]:
        """Every account with its latest follower count and post count (as of `at`,
        if given), by id."""
        rows = self.conn.execute(_ACCOUNT_ROW_SQL + " ORDER BY a.id", _as_of(at)).fetchall()
        return [AccountRow(*row) for row in rows]

    def account_ids(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT id FROM accounts ORDER BY id")]

    def account(self, account_id: str, at: datetime | None = None) -> AccountRow | None:
        row = self.conn.execute(
            _ACCOUNT_ROW_SQL + " WHERE a.id = :id", {**_as_of(at), "id": account_id}
        ).fetchone()
        return AccountRow(*row) if row else None


class AccountZones(Connection):
    """Each account's time zone (IANA name, checked by the caller with bot.zones)."""

    def set_timezone(self, account_id: str, zone: str, *, only_if_unset: bool = False) -> bool:
        """Set the account's zone; False if there is no such account (or, with
        `only_if_unset`, if it already had one)."""
        unset = " AND timezone IS NULL" if only_if_unset else ""
        with self.writing() as conn:
            changed = conn.execute(
                f"UPDATE accounts SET timezone = ? WHERE id = ?{unset}", (zone, account_id)
            ).rowcount
        return changed > 0

    def timezone(self, account_id: str) -> str | None:
        """The account's zone (UTC if never set), or None if there is no such account."""
        row = self.conn.execute(
            "SELECT coalesce(timezone, 'UTC') FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return row[0] if row else None


def _as_of(at: datetime | None) -> dict[str, str]:
    return {"at": to_utc_text(at) if at is not None else _END_OF_TIME}
