"""The LinkedIn sync's tables: which LinkedIn identity each account is, and the calls
spent per token and UTC day (LinkedIn's limits reset at midnight UTC).

A token is never stored: the ledger keys calls by a short hash of it, enough to tell
two tokens apart and useless to anyone who reads the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.model import to_utc_text
from bot.store.connection import Connection


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class LinkedInTables(Connection):
    def connect_linkedin(self, account: str, urn: str, at: datetime) -> None:
        """Tie an account (created if new, with the kind its URN says) to its LinkedIn URN."""
        kind = "organization" if urn.startswith("urn:li:organization:") else "member"
        with self.writing():
            self.conn.execute(
                "INSERT INTO accounts (id, kind) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
                "SET kind = coalesce(accounts.kind, excluded.kind)",
                (account, kind),
            )
            self.conn.execute(
                "INSERT INTO linkedin_connections (account, urn, connected_at) VALUES (?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET urn = excluded.urn",
                (account, urn, to_utc_text(at)),
            )

    def linkedin_connections(self) -> list[tuple[str, str, str | None, str | None]]:
        """(account, urn, last_sync_at, last_error) of every connected account."""
        return [
            (a, u, s, e)
            for a, u, s, e in self.conn.execute(
                "SELECT account, urn, last_sync_at, last_error FROM linkedin_connections "
                "ORDER BY account"
            )
        ]

    def record_sync(self, account: str, at: datetime, error: str | None) -> None:
        with self.writing():
            if error is None:
                self.conn.execute(
                    "UPDATE linkedin_connections SET last_sync_at = ?, last_error = NULL, "
                    "paused_until = NULL WHERE account = ?",
                    (to_utc_text(at), account),
                )
            else:
                self.conn.execute(
                    "UPDATE linkedin_connections SET last_error = ? WHERE account = ?",
                    (error[:500], account),
                )

    def pause_linkedin(self, accounts: list[str], until: datetime, reason: str) -> None:
        """Leave these accounts alone until `until` (LinkedIn's limit for their token
        resets then); `reason` is what `narrator accounts` says."""
        with self.writing():
            self.conn.executemany(
                "UPDATE linkedin_connections SET paused_until = ?, last_error = ? "
                "WHERE account = ?",
                [(to_utc_text(until), reason[:500], a) for a in accounts],
            )

    def linkedin_paused(self, at: datetime) -> dict[str, str]:
        """account -> the moment its pause ends, of the accounts still paused at `at`."""
        now = to_utc_text(at)
        return dict(
            self.conn.execute(
                "SELECT account, paused_until FROM linkedin_connections "
                "WHERE paused_until IS NOT NULL AND paused_until > ?",
                (now,),
            )
        )

    def calls_spent(self, token: str, at: datetime) -> int:
        row = self.conn.execute(
            "SELECT calls FROM linkedin_calls WHERE token = ? AND day = ?",
            (token_key(token), to_utc_text(at)[:10]),
        ).fetchone()
        return int(row[0]) if row else 0

    def spend_calls(self, token: str, at: datetime, calls: int) -> None:
        if calls <= 0:
            return
        with self.writing():
            self.conn.execute(
                "INSERT INTO linkedin_calls (token, day, calls) VALUES (?, ?, ?) "
                "ON CONFLICT (token, day) DO UPDATE SET calls = calls + excluded.calls",
                (token_key(token), to_utc_text(at)[:10], calls),
            )

    def days_read_on(self, account: str, at: datetime) -> bool:
        """Whether the account's daily series was read on `at`'s UTC day."""
        row = self.conn.execute(
            "SELECT days_read_on FROM linkedin_connections WHERE account = ?", (account,)
        ).fetchone()
        return row is not None and row[0] == to_utc_text(at)[:10]

    def mark_days_read(self, account: str, at: datetime) -> None:
        with self.writing():
            self.conn.execute(
                "UPDATE linkedin_connections SET days_read_on = ? WHERE account = ?",
                (to_utc_text(at)[:10], account),
            )

    def followers_read_on(self, account: str, at: datetime) -> bool:
        """Whether the account's follower count was read on `at`'s UTC day."""
        row = self.conn.execute(
            "SELECT 1 FROM follower_counts WHERE account = ? AND substr(observed_at, 1, 10) = ?",
            (account, to_utc_text(at)[:10]),
        ).fetchone()
        return row is not None

    def sync_posts(self, account: str) -> list[tuple[str, str | None, str, list[str]]]:
        """(post id, url, published_at, observed_at of each snapshot) of the account's posts."""
        rows = self.conn.execute(
            "SELECT p.id, p.url, p.published_at, group_concat(s.observed_at, ',') FROM posts p "
            "LEFT JOIN snapshots s ON s.post = p.id WHERE p.account = ? "
            "GROUP BY p.id ORDER BY p.published_at DESC, p.id",
            (account,),
        ).fetchall()
        return [(i, u, pub, sorted(obs.split(",")) if obs else []) for i, u, pub, obs in rows]
