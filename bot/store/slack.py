"""The Slack tables: who sees which account, muted rules, events already handled."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from bot.model import to_utc_text
from bot.store.connection import Connection


class SlackTables(Connection):
    """`slack_links`, `slack_mutes` and `slack_events`; each write commits at once."""

    def link(self, target: str, account_id: str, by: str, at: datetime) -> bool:
        """Link an account to a channel or a user; False if it was already linked."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO slack_links (target, account, linked_by, linked_at) "
            "VALUES (?, ?, ?, ?)",
            (target, account_id, by, to_utc_text(at)),
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def unlink(self, target: str, account_id: str) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM slack_links WHERE target = ? AND account = ?", (target, account_id)
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def linked_accounts(self, target: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT account FROM slack_links WHERE target = ? ORDER BY account", (target,)
        )
        return [r[0] for r in rows]

    def links(self) -> list[tuple[str, str]]:
        """Every (target, account) link."""
        return list(self.conn.execute("SELECT target, account FROM slack_links ORDER BY 1, 2"))

    def mute(self, channel: str, rule: str, by: str, at: datetime) -> bool:
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO slack_mutes (channel, rule, muted_by, muted_at) "
            "VALUES (?, ?, ?, ?)",
            (channel, rule, by, to_utc_text(at)),
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def unmute(self, channel: str, rule: str) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM slack_mutes WHERE channel = ? AND rule = ?", (channel, rule)
        )
        self.conn.commit()
        return cursor.rowcount == 1

    def mutes(self, channel: str) -> list[tuple[str, str, str]]:
        """(rule, muted_by, muted_at) of every rule muted in the channel."""
        return list(
            self.conn.execute(
                "SELECT rule, muted_by, muted_at FROM slack_mutes WHERE channel = ? ORDER BY rule",
                (channel,),
            )
        )

    def first_sight(self, event_id: str, at: datetime) -> bool:
        """Record an event id; True only the first time it is seen (Slack retries).
        Ids older than EVENT_MEMORY are forgotten on the way, so the table stays small."""
        _forget_events(self.conn, at - EVENT_MEMORY)
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO slack_events (event_id, received_at) VALUES (?, ?)",
            (event_id, to_utc_text(at)),
        )
        self.conn.commit()
        return cursor.rowcount == 1


#: How long a handled Slack event id is remembered. Slack retries a delivery at most
#: 3 times, the last about 5 minutes after the first; an hour is well past that.
EVENT_MEMORY = timedelta(hours=1)


def _forget_events(conn: sqlite3.Connection, before: datetime) -> None:
    """Drop event ids received before `before` (the caller commits)."""
    conn.execute("DELETE FROM slack_events WHERE received_at < ?", (to_utc_text(before),))
