"""The channels that asked for first-hour check-ins (`/linkedin checkin on`).

Which posts had one is the clock's ledger (`clock_runs`, job `checkin:CHANNEL`,
period the post id), so a check-in is claimed and recorded like a digest.
"""

from __future__ import annotations

from datetime import datetime

from bot.model import to_utc_text
from bot.store.connection import Connection


class CheckinTables(Connection):
    """`checkin_channels`; each write commits at once."""

    def checkin_on(self, channel: str, by: str, at: datetime) -> bool:
        """Turn check-ins on in `channel`; False if they were on already."""
        with self.writing():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO checkin_channels (channel, enabled_by, enabled_at) "
                "VALUES (?, ?, ?)",
                (channel, by, to_utc_text(at)),
            )
            return cursor.rowcount == 1

    def checkin_off(self, channel: str) -> bool:
        """Turn check-ins off in `channel`; False if they were off already."""
        with self.writing():
            cursor = self.conn.execute("DELETE FROM checkin_channels WHERE channel = ?", (channel,))
            return cursor.rowcount == 1

    def checkin_channels(self) -> list[tuple[str, str]]:
        """(channel, enabled_at) of every channel with check-ins on."""
        rows = self.conn.execute(
            "SELECT channel, enabled_at FROM checkin_channels ORDER BY channel"
        )
        return [(channel, at) for channel, at in rows]
