"""Digest subscriptions (one per channel) and the log of what each digest said."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.model import to_utc_text
from bot.store.connection import Connection


@dataclass(frozen=True)
class Subscription:
    channel: str
    day: str  # mon..sun
    time: str  # HH:MM, local
    zone: str  # IANA
    #: 'line': a week with nothing worth saying gets one line; 'digest': the digest anyway.
    quiet: str
    #: The accounts asked for; empty means the accounts linked to the channel.
    accounts: tuple[str, ...]
    created_by: str
    created_at: str
    #: The language of the digest, when the channel asked for one (later: French).
    locale: str | None = None


@dataclass(frozen=True)
class Said:
    """One finding a digest reported: for an account as a whole or for one post."""

    account: str
    subject: str  # 'account' or the post id
    rule: str
    severity: str


class DigestTables(Connection):
    """`digest_subscriptions`, `digest_accounts` and `digest_log`."""

    def subscribe(self, sub: Subscription) -> bool:
        """Create or replace the channel's subscription; True if it is new."""
        with self.writing():
            existed = self.conn.execute(
                "SELECT 1 FROM digest_subscriptions WHERE channel = ?", (sub.channel,)
            ).fetchone()
            self.conn.execute("DELETE FROM digest_accounts WHERE channel = ?", (sub.channel,))
            self.conn.execute(
                "INSERT OR REPLACE INTO digest_subscriptions "
                "(channel, day, time, zone, quiet, locale, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sub.channel,
                    sub.day,
                    sub.time,
                    sub.zone,
                    sub.quiet,
                    sub.locale,
                    sub.created_by,
                    sub.created_at,
                ),
            )
            self.conn.executemany(
                "INSERT INTO digest_accounts (channel, account) VALUES (?, ?)",
                [(sub.channel, account) for account in sub.accounts],
            )
        return existed is None

    def unsubscribe(self, channel: str) -> bool:
        with self.writing():
            self.conn.execute("DELETE FROM digest_accounts WHERE channel = ?", (channel,))
            cursor = self.conn.execute(
                "DELETE FROM digest_subscriptions WHERE channel = ?", (channel,)
            )
        return cursor.rowcount == 1

    def subscriptions(self) -> list[Subscription]:
        accounts: dict[str, list[str]] = {}
        for channel, account in self.conn.execute(
            "SELECT channel, account FROM digest_accounts ORDER BY channel, account"
        ):
            accounts.setdefault(channel, []).append(account)
        rows = self.conn.execute(
            "SELECT channel, day, time, zone, quiet, created_by, created_at, locale "
            "FROM digest_subscriptions ORDER BY channel"
        )
        return [
            Subscription(
                channel,
                day,
                time,
                zone,
                quiet,
                tuple(accounts.get(channel, ())),
                by,
                at,
                locale,
            )
            for channel, day, time, zone, quiet, by, at, locale in rows
        ]

    def subscription(self, channel: str) -> Subscription | None:
        return next((s for s in self.subscriptions() if s.channel == channel), None)

    def log_digest(
        self, channel: str, period: str, week_end: datetime, said: Iterable[Said]
    ) -> None:
        """Record what a digest said (call inside the transaction that records it sent)."""
        self.conn.execute(
            "DELETE FROM digest_log WHERE channel = ? AND period = ?", (channel, period)
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO digest_log "
            "(channel, period, week_end, account, subject, rule, severity) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (channel, period, to_utc_text(week_end), s.account, s.subject, s.rule, s.severity)
                for s in said
            ],
        )

    def digest_history(
        self, channel: str, before: datetime, limit: int = 12
    ) -> list[tuple[str, list[Said]]]:
        """The channel's last `limit` logged digests whose week ended before `before`,
        newest first: (week_end, what it said)."""
        weeks = [
            row[0]
            for row in self.conn.execute(
                "SELECT DISTINCT week_end FROM digest_log WHERE channel = ? AND week_end < ? "
                "ORDER BY week_end DESC LIMIT ?",
                (channel, to_utc_text(before), limit),
            )
        ]
        out = []
        for week in weeks:
            rows = self.conn.execute(
                "SELECT account, subject, rule, severity FROM digest_log "
                "WHERE channel = ? AND week_end = ? ORDER BY account, subject, rule",
                (channel, week),
            )
            out.append((week, [Said(*row) for row in rows]))
        return out
