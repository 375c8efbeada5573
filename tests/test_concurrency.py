"""One database, many programs: imports from the terminal, the bot's reply threads and
processes, all on the same SQLite file. Real files, real processes, real locks."""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StoreBusy, StoreError
from bot.ingest.csvfile import parse_csv
from bot.store import Store
from bot.store.connection import Connection
from bot.store.migrations import MIGRATIONS
from tests.writers import HEADER, another_writer, narrator_import, rows, stderr_until

AT = datetime(2026, 3, 5, 9, tzinfo=UTC)


def csv_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_reads_go_on_while_another_program_writes(tmp_path: Path):
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.write(parse_csv("\n".join([HEADER, *rows("acme", 2)]), "a.csv"))
    with Store(db) as reader, another_writer(db):
        # What was committed, without waiting: the other program's row is not yet.
        assert reader.account_ids() == ["acme"]
        assert len(reader.history("acme", AT, posts=10).snapshots) == 8
        assert reader.linked_accounts("C1") == []
    with Store(db) as reader:
        assert reader.account_ids() == ["acme", "other"]


def test_two_imports_wait_their_turn_and_both_succeed(tmp_path: Path):
    """Each import says it waits while another program writes, and succeeds once the
    lock is free; two at once take turns. (They failed at once with 'database is
    locked', shown as an internal error.)"""
    db = tmp_path / "s.db"
    Store(db).close()
    first = csv_file(tmp_path / "first.csv", rows("first", 50))
    second = csv_file(tmp_path / "second.csv", rows("second", 50))
    with another_writer(db):
        imports = [narrator_import(db, first), narrator_import(db, second)]
        waited = [stderr_until(p, "waiting for another program") for p in imports]
    results = [p.communicate() for p in imports]
    for process, path, lines, (out, err) in zip(
        imports, [first, second], waited, results, strict=True
    ):
        assert lines == [f"{path}: waiting for another program to finish writing to {db}...\n"], (
            "".join(lines) + err
        )
        assert process.returncode == 0, err
        assert (
            out
            == f"{path}: 1 account, 50 posts (50 new, 0 updated), 200 snapshots (200 new, 0 changed, 0 unchanged).\n"
        )
    with Store(db) as store:
        assert store.account_ids() == ["first", "other", "second"]
        assert store._count("snapshots") == 400
        assert store._count("snapshot_series") == 100


def together(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Run the jobs in threads of their own, released at the same moment; what they raised."""
    start = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def test_threads_importing_at_once_all_succeed(tmp_path: Path):
    db = tmp_path / "s.db"
    Store(db).close()
    batches = [parse_csv("\n".join([HEADER, *rows(f"a{i}", 20)]), f"{i}.csv") for i in range(4)]
    stores = [Store(db) for _ in batches]
    try:
        jobs = [functools.partial(s.write, b) for s, b in zip(stores, batches, strict=True)]
        assert together(jobs) == []
    finally:
        for s in stores:
            s.close()
    with Store(db) as store:
        assert store.account_ids() == ["a0", "a1", "a2", "a3"]
        assert store._count("snapshots") == 4 * 80


def test_programs_opening_a_new_file_together_migrate_it_once(tmp_path: Path):
    """The reply processes and an import may open a new file at the same moment: each
    migration is applied once, and nobody sees 'table already exists' or a lock."""
    for attempt in range(20):
        db = tmp_path / f"new{attempt}.db"
        assert together([functools.partial(lambda p: Store(p).close(), db)] * 4) == []
        with Store(db, migrate=False) as store:
            versions = [v for (v,) in store.conn.execute("SELECT version FROM schema_migrations")]
        assert versions == [m.version for m in MIGRATIONS]


def test_a_file_whose_first_page_is_being_written_is_waited_for(tmp_path: Path):
    """Another program creating the store shows a file of zeros for a moment: that is
    no verdict yet (it was refused as 'not a SQLite database', failing the test above
    about once in a few runs of a loaded suite)."""
    db = tmp_path / "new.db"
    db.write_bytes(b"\0" * 100)
    ready = tmp_path / "ready.db"
    Store(ready).close()

    def finish() -> None:
        time.sleep(0.3)
        os.replace(ready, db)

    writer = threading.Thread(target=finish)
    writer.start()
    try:
        with Store(db) as store:
            assert store.schema_version() == MIGRATIONS[-1].version
    finally:
        writer.join()


def test_a_write_that_waits_too_long_says_so_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(Connection, "write_wait", 0.2)
    db = tmp_path / "s.db"
    batch = parse_csv("\n".join([HEADER, *rows("acme", 1)]), "a.csv")
    with Store(db) as store, another_writer(db):
        with pytest.raises(StoreBusy) as info:
            store.write(batch)
        assert str(info.value) == (
            f"a.csv: {db} is busy: another program has been writing to it for 0.2 seconds "
            "(a long import?); nothing was written: try again when it is done"
        )
        with pytest.raises(StoreBusy):
            store.link("C1", "acme", by="U1", at=AT)
        with pytest.raises(StoreBusy):
            store.mute("C1", "one-wave", by="U1", at=AT)
        # Recording a Slack event never makes Slack wait long: it counts as new.
        assert store.first_sight("Ev1", AT) is True
    with Store(db) as store:
        assert store.account_ids() == ["other"]
        assert store.first_sight("Ev1", AT) is True  # it was not recorded
        assert store.first_sight("Ev1", AT) is False


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path):
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError) as info:
        Store(db)
    assert str(info.value) == (
        f"{db} is not a SQLite database, so not an Insight Narrator store: point NARRATOR_DB "
        "at your store, or at a new file name to start one (to import a spreadsheet or CSV, "
        f"run: narrator import {db})"
    )
    assert not isinstance(info.value, StoreBusy)


def write_while_another_program_commits(
    db: Path, batch, *statements: str
) -> tuple[BaseException | None, list[tuple]]:
    """Write `batch` while another program holds the lock with `statements` written:
    it commits them once the write waits for its turn. Returns what the write raised,
    and the posts stored after."""
    waiting = threading.Event()
    raised: list[BaseException] = []

    def write() -> None:
        with Store(db) as store:
            try:
                store.write(batch, waiting=waiting.set)
            except BaseException as exc:
                raised.append(exc)

    with another_writer(db) as other:
        for statement in statements:
            other.execute(statement)
        writer = threading.Thread(target=write)
        writer.start()
        waiting.wait()
    writer.join()
    with Store(db) as store:
        posts = store.conn.execute("SELECT id, account, published_at FROM posts").fetchall()
    return (raised[0] if raised else None), posts


def test_a_post_cannot_move_to_another_account_in_a_race(tmp_path: Path):
    """Another import gives p1 to acme while this one, giving it to globex, waits: the
    check that a post never moves is made once the lock is held, not before."""
    db = tmp_path / "s.db"
    Store(db).close()
    batch = parse_csv(
        f"{HEADER}\nglobex,p1,2026-03-01T09:00:00Z,2026-03-01T10:00:00Z,100,50,x\n", "b.csv"
    )
    raised, posts = write_while_another_program_commits(
        db,
        batch,
        "INSERT INTO accounts (id) VALUES ('acme')",
        "INSERT INTO posts (id, account, published_at) VALUES ('p1', 'acme', '2026-03-01T09:00:00Z')",
    )
    assert isinstance(raised, StoreError)
    assert str(raised) == (
        "post p1 belongs to account acme in the store, but b.csv gives it to globex\n"
        "Nothing was written."
    )
    assert posts == [("p1", "acme", "2026-03-01T09:00:00Z")]


def test_a_publishing_time_cannot_move_after_snapshots_stored_in_a_race(tmp_path: Path):
    db = tmp_path / "s.db"
    Store(db).close()
    batch = parse_csv(
        f"{HEADER}\nacme,p1,2026-03-01T11:00:00Z,2026-03-01T12:00:00Z,100,50,x\n", "b.csv"
    )
    raised, posts = write_while_another_program_commits(
        db,
        batch,
        "INSERT INTO accounts (id) VALUES ('acme')",
        "INSERT INTO posts (id, account, published_at) VALUES ('p1', 'acme', '2026-03-01T09:00:00Z')",
        "INSERT INTO snapshots (post, observed_at, impressions) VALUES ('p1', '2026-03-01T10:00:00Z', 10)",
    )
    assert isinstance(raised, StoreError)
    assert str(raised) == (
        "b.csv: post p1 is published at 2026-03-01T11:00:00Z, but the store has a snapshot "
        "of it from 2026-03-01T10:00:00Z: check its published_at\nNothing was written."
    )
    assert posts == [("p1", "acme", "2026-03-01T09:00:00Z")]
