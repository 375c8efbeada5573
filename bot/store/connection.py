"""Opening the SQLite file, bringing its schema up to date, and the write transaction
every change to the store goes through.

Many programs share one file: the Slack bot (a connection per reply thread or
process), imports from the terminal, the demo. The file is in WAL mode, so readers
never wait for a writer and a writer never waits for readers; writers take turns,
each waiting up to WRITE_WAIT for the one before.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import StoreBusy, StoreError
from bot.store.migrations import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils

#: How much of the database file SQLite may map into memory (address space, not RAM).
MMAP_BYTES = 1 << 30

#: Seconds a write waits for another program's write to finish before giving up. An
#: import holds the lock for about 5 seconds per 400,000 rows, so this covers
#: imports of several million rows.
WRITE_WAIT = 120.0

#: Seconds between attempts to switch a file to WAL mode.
_WAL_RETRY = 0.01


#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def unusable_file(path: str) -> str | None:
    """Why the database file `path` cannot be used, in words that name it and the
    fix, or None: a folder, a missing folder, a file that is not SQLite, a file or
    folder marked read-only. Told before SQLite opens it, whose own words ("unable
    to open database file") name neither."""
    if path == ":memory:" or path.startswith("file:"):
        return None
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        return (
            f"NARRATOR_DB is {path}, which is a folder, not a database file: point "
            f"NARRATOR_DB at a file, such as {target / 'narrator.db'}"
        )
    if not folder.is_dir():
        return (
            f"the database {path} cannot be created: the folder {folder} does not exist; "
            "create it, or point NARRATOR_DB at a file in an existing folder"
        )
    if target.is_file():
        try:
            with target.open("rb") as file:
                head = file.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"the database {path} cannot be read ({exc.strerror}); {_FIX_ACCESS}"
        # Zeros are a file another program is writing its first page to this moment
        # (SQLite's own open says, and Connection waits for it): not yet a verdict.
        written = head.rstrip(b"\0")
        if written and written != SQLITE_HEADER[: len(written)]:
            return _not_sqlite(path)
        if not _writable(target):
            return _read_only(path)
    if not _writable(folder):
        return (
            f"the folder {folder} of the database {path} is read-only, and SQLite writes "
            "its journal next to the database: make the folder writable, or point "
            "NARRATOR_DB at a file in a folder you can write to"
        )
    return None


_FIX_ACCESS = "check that this program may read and write it, or point NARRATOR_DB at another file"


def _writable(path: Path) -> bool:
    """Writable by this program, and not marked read-only for everyone (which even an
    administrator's program, whom the system lets write anyway, takes as meant)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(path, os.W_OK)


def _not_sqlite(path: str) -> str:
    return (
        f"{path} is not a SQLite database, so not an Insight Narrator store: point "
        "NARRATOR_DB at your store, or at a new file name to start one (to import a "
        f"spreadsheet or CSV, run: narrator import {path})"
    )


def _read_only(path: str) -> str:
    return (
        f"the database {path} is read-only: make it writable (chmod u+w {path}), or copy "
        "it to a folder you can write to and point NARRATOR_DB at the copy"
    )


#: Seconds a file that was new or empty when opened may read as "not a database"
#: while another program writes its first page.
_FRESH_WAIT = 2.0


class _NotADatabase(StoreError):
    """SQLite read the file as "not a database", opening it or migrating it."""


def _new_or_empty(path: str) -> bool:
    """Missing, or shorter than SQLite's smallest page: not yet written whole."""
    try:
        return os.stat(path).st_size < 512
    except OSError:
        return True


def is_busy(exc: sqlite3.Error) -> bool:
    """Another connection holds the lock (SQLITE_BUSY or SQLITE_LOCKED, any variant)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Connection:
    """The open database: `conn` (sqlite3) and `db` (sqlite-utils) on one connection.

    The other parts of the store are mixins over this class; each knows its tables."""

    #: Seconds this connection's writes wait for another writer (see WRITE_WAIT).
    write_wait: float = WRITE_WAIT

    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self.path = str(path)
        unusable = unusable_file(self.path)
        if unusable is not None:
            raise StoreError(unusable)
        # A file another program is creating this very moment (reply processes and an
        # import opening a new store together) can read as "not a database" until its
        # first page is written: a file that was new or empty when we looked gets a
        # few more tries before that answer is believed.
        fresh = _new_or_empty(self.path)
        deadline = time.monotonic() + _FRESH_WAIT
        while True:
            try:
                self._open(migrate)
                return
            except _NotADatabase:
                if not fresh or time.monotonic() > deadline:
                    raise
                time.sleep(_WAL_RETRY)

    def _open(self, migrate: bool) -> None:
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=self.write_wait)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        self.conn = conn
        self._db: sqlite_utils.Database | None = None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # As sqlite-utils sets it: a row that INSERT OR REPLACE replaces fires the
            # delete triggers too (the data tables' change counters count it).
            conn.execute("PRAGMA recursive_triggers = ON")
            # Read pages through a memory map instead of a read() call each: a request
            # reads a few hundred scattered pages of snapshots.
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            self._use_wal()
            if migrate:
                self.migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise self._refusal(exc, "cannot open the database") from None
        except BaseException:
            conn.close()
            raise

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the store's connection, made when first asked for: loading
        it loads pandas too (when installed), which costs a reply more than its work.
        No sqlite-utils plugins: code another installed package registers has no
        business on the store's connection."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    def close(self) -> None:
        self.conn.close()

    def _use_wal(self) -> None:
        """Readers see the last commit while a writer works: WAL mode, which stays with
        the file (`:memory:` answers "memory" and stays so). Switching a file takes it
        for a moment, and SQLite answers busy at once, without waiting, to another
        program switching it at that moment (two reply processes opening a new
        file): try again until the switch is done."""
        deadline = time.monotonic() + self.write_wait
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(_WAL_RETRY)

    def schema_version(self) -> int:
        exists = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if exists is None:
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
            with self.writing():
                # Another program may have applied it since `current` was read (reply
                # processes start together): look again, now that the lock is ours.
                if self.schema_version() >= step.version:
                    continue
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

    @contextmanager
    def writing(
        self, waiting: Callable[[], object] | None = None, *, wait: float | None = None
    ) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it.

        It takes the write lock as it begins (BEGIN IMMEDIATE). A transaction that
        reads first and asks for the lock at its first write fails at once, without
        waiting, when another writer committed in between; one that holds the lock
        from the start reads what it will write over. `waiting` is called once if
        another program holds the lock, before waiting up to `wait` seconds for it
        (default `write_wait`). Lock trouble and disk errors become a StoreError
        naming the file."""
        self._begin(waiting, self.write_wait if wait is None else wait)
        try:
            yield self.conn
            self.conn.commit()
        except sqlite3.IntegrityError:
            self.conn.rollback()
            raise  # the caller knows what its rows contradict
        except sqlite3.Error as exc:
            self.conn.rollback()
            raise self._refusal(exc, "could not write to") from None
        except BaseException:
            self.conn.rollback()
            raise

    def _begin(self, waiting: Callable[[], object] | None, wait: float) -> None:
        try:
            if waiting is not None:
                try:
                    with self._waiting_at_most(0):
                        self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise
                waiting()
            with self._waiting_at_most(wait):
                self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._refusal(exc, "could not write to", wait) from None

    @contextmanager
    def _waiting_at_most(self, seconds: float) -> Iterator[None]:
        """Lock waits of this connection last at most `seconds` inside the block."""
        if seconds == self.write_wait:
            yield
            return
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.write_wait * 1000)}")

    def _refusal(self, exc: sqlite3.Error, doing: str, wait: float | None = None) -> StoreError:
        """A StoreError in plain words for an error SQLite raised."""
        if is_busy(exc):
            waited = self.write_wait if wait is None else wait
            return StoreBusy(
                f"{self.path} is busy: another program has been writing to it for "
                f"{waited:g} seconds (a long import?); nothing was written: "
                "try again when it is done"
            )
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            return _NotADatabase(_not_sqlite(self.path))
        if "readonly" in str(exc) or "unable to open" in str(exc):
            return StoreError(_read_only(self.path))
        return StoreError(
            f"{doing} {self.path}: {exc}; check that the disk has room and that this "
            "program may write to the file and its folder"
        )

    def _count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
