"""Opening the SQLite file and bringing its schema up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from bot.errors import StoreError
from bot.store.migrations import MIGRATIONS

#: How much of the database file SQLite may map into memory (address space, not RAM).
MMAP_BYTES = 1 << 30


class Connection:
    """The open database: `conn` (sqlite3) and `db` (sqlite-utils) on one connection.

    The other parts of the store are mixins over this class; each knows its tables."""

    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self.path = str(path)
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        conn.execute("PRAGMA foreign_keys = ON")
        # Read pages through a memory map instead of a read() call each: a request
        # reads a few hundred scattered pages of snapshots.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        if migrate:
            self.migrate()

    def close(self) -> None:
        self.conn.close()

    def schema_version(self) -> int:
        if not self.db["schema_migrations"].exists():
            return 0
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> list[int]:
        """Apply pending migrations in one transaction each; return their versions."""
        current = self.schema_version()
        latest = MIGRATIONS[-1].version
        if current > latest:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this program knows "
                f"({latest}): upgrade Insight Narrator, or point NARRATOR_DB at another file"
            )
        applied = []
        for step in MIGRATIONS:
            if step.version <= current:
                continue
            with self.db.atomic():
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
                )
                for statement in step.sql.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                if step.then is not None:
                    step.then(self.conn)
                self.conn.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
                    (step.version, step.description),
                )
            applied.append(step.version)
        return applied

    def _count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
