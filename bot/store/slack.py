"""The Slack tables: who sees which account, muted rules, events already handled."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from bot.errors import StoreBusy
from bot.model import to_utc_text
from bot.store.connection import Connection

log = logging.getLogger("narrator.store")

#: Seconds an event waits to be recorded as seen while another program writes. The
#: record is made before Slack gets its answer (which it wants within 3 seconds).
EVENT_WAIT = 1.0


class SlackTables(Connection):
    """`slack_links`, `slack_mutes`, `channel_languages` and `slack_events`; each write
    commits at once."""

    def link(self, target: str, account_id: str, by: str, at: datetime) -> bool:
        """Link an account to a channel or a user; False if it was already linked."""
        return self._change(
            "INSERT OR IGNORE INTO slack_links (target, account, linked_by, linked_at) "
            "VALUES (?, ?, ?, ?)",
            (target, account_id, by, to_utc_text(at)),
        )

    def unlink(self, target: str, account_id: str) -> bool:
        return self._change(
            "DELETE FROM slack_links WHERE target = ? AND account = ?", (target, account_id)
        )

    def linked_accounts(self, target: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT account FROM slack_links WHERE target = ? ORDER BY account", (target,)
        )
        return [r[0] for r in rows]

    def links(self) -> list[tuple[str, str]]:
        """Every (target, account) link."""
        return list(self.conn.execute("SELECT target, account FROM slack_links ORDER BY 1, 2"))

    def mute(self, channel: str, rule: str, by: str, at: datetime) -> bool:
        return self._change(
            "INSERT OR IGNORE INTO slack_mutes (channel, rule, muted_by, muted_at) "
            "VALUES (?, ?, ?, ?)",
            (channel, rule, by, to_utc_text(at)),
        )

    def unmute(self, channel: str, rule: str) -> bool:
        return self._change(
            "DELETE FROM slack_mutes WHERE channel = ? AND rule = ?", (channel, rule)
        )

    def mutes(self, channel: str) -> list[tuple[str, str, str]]:
        """(rule, muted_by, muted_at) of every rule muted in the channel."""
        return list(
            self.conn.execute(
                "SELECT rule, muted_by, muted_at FROM slack_mutes WHERE channel = ? ORDER BY rule",
                (channel,),
            )
        )

    def set_language(self, channel: str, locale: str, by: str, at: datetime) -> bool:
        """Say which language the bot speaks in `channel`; False if it already did."""
        if self.language(channel) == locale:
            return False
        return self._change(
            "INSERT OR REPLACE INTO channel_languages (channel, locale, set_by, set_at) "
            "VALUES (?, ?, ?, ?)",
            (channel, locale, by, to_utc_text(at)),
        )

    def language(self, channel: str) -> str | None:
        """The language chosen for `channel`, or None (the bot's default)."""
        row = self.conn.execute(
            "SELECT locale FROM channel_languages WHERE channel = ?", (channel,)
        ).fetchone()
        return row[0] if row else None

    def first_sight(self, event_id: str, at: datetime) -> bool:
        """Record an event id; True only the first time it is seen (Slack retries).
        Ids older than EVENT_MEMORY are forgotten on the way, so the table stays small.

        If another program keeps the lock past EVENT_WAIT the event counts as new:
        handling a retried event twice (publishing App Home again) does less harm
        than answering Slack late, or not at all."""
        try:
            with self.writing(wait=EVENT_WAIT):
                _forget_events(self.conn, at - EVENT_MEMORY)
                return (
                    self.conn.execute(
                        "INSERT OR IGNORE INTO slack_events (event_id, received_at) VALUES (?, ?)",
                        (event_id, to_utc_text(at)),
                    ).rowcount
                    == 1
                )
        except StoreBusy:
            log.warning("could not record event %s as seen: the database is busy", event_id)
            return True

    def _change(self, sql: str, params: tuple[Any, ...], *, wait: float | None = None) -> bool:
        """Run one statement in a write transaction of its own; True if it changed a row."""
        with self.writing(wait=wait):
            return self.conn.execute(sql, params).rowcount == 1


#: How long a handled Slack event id is remembered. Slack retries a delivery at most
#: 3 times, the last about 5 minutes after the first; an hour is well past that.
EVENT_MEMORY = timedelta(hours=1)


def _forget_events(conn: sqlite3.Connection, before: datetime) -> None:
    """Drop event ids received before `before` (the caller holds the transaction)."""
    conn.execute("DELETE FROM slack_events WHERE received_at < ?", (to_utc_text(before),))
