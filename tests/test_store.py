"""The SQLite store: migrations, idempotent upserts, all-or-nothing writes, as-of reads."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlite_utils
import sqlite_utils.plugins

from bot.demo import DEMO_NOW, demo_batch
from bot.errors import StoreError
from bot.ingest.csvfile import parse_csv
from bot.metrics.table import Table, to_datetime
from bot.model import COUNTERS, ImportBatch, Snapshot, to_utc_text
from bot.store import Store
from bot.store.migrations import MIGRATIONS

CSV = """account,post,published_at,observed_at,impressions,members_reached,saves,followers,account_kind,title
acme,p1,2026-03-01T09:00:00Z,2026-03-01T10:00:00Z,100,80,,800,member,First
acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,900,500,4,801,member,First
acme,p2,2026-03-03T09:00:00Z,2026-03-03T10:00:00Z,50,40,0,802,member,Second
"""


def dump(store: Store) -> list[tuple]:
    rows = []
    tables = ("accounts", "follower_counts", "posts", "snapshots", "snapshot_series")
    for table in (*tables, "schema_migrations"):
        rows.extend((table, *r) for r in store.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))
    return rows


def test_a_new_store_is_migrated_to_the_latest_version(tmp_path: Path):
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version() == MIGRATIONS[-1].version
        assert store.migrate() == []  # nothing left to apply
        tables = set(store.db.table_names())
    assert {"accounts", "follower_counts", "posts", "snapshots", "schema_migrations"} <= tables


def test_a_store_from_a_newer_program_is_refused(tmp_path: Path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.conn.execute("INSERT INTO schema_migrations VALUES (999, 'future')")
        store.conn.commit()
    with pytest.raises(StoreError, match="schema version 999, newer than this program knows"):
        Store(path)


def test_reimporting_the_same_data_changes_nothing(store: Store):
    first = store.write(parse_csv(CSV, "a.csv"))
    assert (first.snapshots.new, first.posts.new, first.accounts.new) == (3, 2, 1)
    before = dump(store)
    again = store.write(parse_csv(CSV, "a.csv"))
    assert again.nothing_changed
    assert again.snapshots.unchanged == 3
    assert dump(store) == before


def test_a_new_observation_is_added_and_a_correction_changes_one_row(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    more = CSV + "acme,p2,2026-03-03T09:00:00Z,2026-03-04T09:00:00Z,70,50,1,803,member,Second\n"
    summary = store.write(parse_csv(more, "b.csv"))
    assert (summary.snapshots.new, summary.snapshots.changed) == (1, 0)
    fixed = CSV.replace("900,500,4", "950,500,4")
    summary = store.write(parse_csv(fixed, "c.csv"))
    assert (summary.snapshots.new, summary.snapshots.changed) == (0, 1)


def test_an_empty_cell_never_erases_a_stored_value(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    blanked = CSV.replace("900,500,4,801,member,First", "900,500,,801,,")
    store.write(parse_csv(blanked, "b.csv"))
    saves = store.conn.execute(
        "SELECT saves FROM snapshots WHERE post = 'p1' AND observed_at = '2026-03-02T09:00:00Z'"
    ).fetchone()[0]
    title = store.conn.execute("SELECT title FROM posts WHERE id = 'p1'").fetchone()[0]
    kind = store.conn.execute("SELECT kind FROM accounts WHERE id = 'acme'").fetchone()[0]
    assert (saves, title, kind) == (4, "First", "member")


def test_a_failing_write_leaves_nothing_behind(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    before = dump(store)
    batch = parse_csv(CSV.replace("acme,p2", "acme,p3"), "b.csv")
    # A snapshot of a post nobody declared breaks a foreign key half-way through.
    broken = ImportBatch(
        "b.csv",
        batch.accounts,
        batch.posts,
        (
            *batch.snapshots,
            Snapshot("ghost", "2026-03-05T00:00:00Z", (1,) + (None,) * (len(COUNTERS) - 1)),
        ),
        batch.follower_counts,
    )
    with pytest.raises(StoreError, match="nothing was written"):
        store.write(broken)
    assert dump(store) == before


def test_a_post_cannot_move_to_another_account(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    moved = CSV.replace("acme,p2", "other,p2")
    with pytest.raises(
        StoreError,
        match=r"post p2 belongs to account acme in the store, but b\.csv gives it to other",
    ):
        store.write(parse_csv(moved, "b.csv"))


def test_history_reads_as_of_a_moment(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    at = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    history = store.history("acme", at, posts=30)
    assert history.posts["id"].tolist() == ["p1"]  # p2 was published later
    assert history.snapshots["impressions"].tolist() == [100.0]  # the next day's is in the future
    assert history.followers["followers"].tolist() == [800]
    # Times are UTC: the post was published at 09:00 UTC.
    assert history.posts.record(0)["published_at"] == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_history_keeps_not_reported_apart_from_zero(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    history = store.history("acme", datetime(2026, 4, 1, tzinfo=UTC), posts=30)
    saves = history.snapshots["saves"]
    assert np.isnan(saves).sum() == 1  # p1's first snapshot did not report saves
    assert (saves == 0).sum() == 1  # p2 reported zero saves


def test_history_limits_to_the_newest_posts(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    history = store.history("acme", datetime(2026, 4, 1, tzinfo=UTC), posts=1)
    assert history.posts["id"].tolist() == ["p2"]
    assert set(history.snapshots["post"]) == {"p2"}


def test_accounts_and_posts_are_found(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    (account,) = store.accounts()
    assert (account.id, account.kind, account.followers, account.posts) == (
        "acme",
        "member",
        802,
        2,
    )
    assert store.find_post("p1") == ("p1", "acme")
    assert store.find_post("nope") is None
    with pytest.raises(StoreError, match="no account 'nobody'"):
        store.history("nobody", datetime(2026, 4, 1, tzinfo=UTC), posts=10)


def test_delete_accounts_removes_everything_about_them(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    store.delete_accounts(["acme"])
    assert [r for r in dump(store) if r[0] != "schema_migrations"] == []


def snapshots_from_rows(store: Store, post_ids: list[str], at: datetime) -> Table:
    """The reference: the same frame read row by row from `snapshots`, the source of truth."""
    marks = ", ".join("?" for _ in post_ids) or "NULL"
    return store._frame(
        "SELECT post, CAST(strftime('%s', observed_at) AS INTEGER), "
        + ", ".join(COUNTERS)
        + f" FROM snapshots WHERE post IN ({marks}) AND observed_at <= ? "
        "ORDER BY post, observed_at",
        (*post_ids, to_utc_text(at)),
        ["post", "observed_at", *COUNTERS],
        floats=COUNTERS,
    )


def assert_series_match_rows(store: Store, moments: list[datetime]) -> int:
    checked = 0
    for account in store.account_ids():
        for at in moments:
            history = store.history(account, at, posts=30)
            expected = snapshots_from_rows(store, history.posts["id"].tolist(), at)
            pd.testing.assert_frame_equal(history.snapshots.to_pandas(), expected.to_pandas())
            checked += len(expected)
    return checked


def test_packed_series_read_exactly_what_the_snapshot_rows_hold(store: Store):
    store.write(demo_batch())
    store.write(parse_csv(CSV, "a.csv"))  # not-reported cells among them
    moments = [
        DEMO_NOW,
        DEMO_NOW - timedelta(hours=5, minutes=30),  # inside some posts' first hours
        DEMO_NOW - timedelta(days=30),
        datetime(2026, 3, 1, 10, 0, tzinfo=UTC),  # exactly on an observation
        datetime(2026, 3, 1, 9, 59, 59, tzinfo=UTC),  # one second before it
        datetime(2020, 1, 1, tzinfo=UTC),  # before everything
    ]
    assert assert_series_match_rows(store, moments) > 5000


def test_every_write_keeps_the_series_up_to_date(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    more = CSV + "acme,p2,2026-03-03T09:00:00Z,2026-03-04T09:00:00Z,70,50,1,803,member,Second\n"
    corrected = more.replace("100,80,,800", "120,80,,800")
    store.write(parse_csv(corrected, "b.csv"))
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert assert_series_match_rows(store, [later]) == 4
    snapshots = store.history("acme", later, posts=30).snapshots
    assert snapshots["impressions"].tolist() == [120.0, 900.0, 50.0, 70.0]


def store_at_version(path: Path, version: int, data: Path) -> None:
    """A store as schema `version` left it, holding the accounts, posts and snapshots
    of the store at `data` (the columns that version had)."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
    )
    for step in MIGRATIONS[:version]:
        for statement in step.sql.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?)", (step.version, step.description)
        )
    conn.execute("ATTACH DATABASE ? AS data", (str(data),))
    old = [c[1] for c in conn.execute("PRAGMA table_info(snapshots)")]
    had = [c[1] for c in conn.execute("PRAGMA table_info(accounts)")]
    conn.execute(f"INSERT INTO accounts SELECT {', '.join(had)} FROM data.accounts")
    conn.execute("INSERT INTO posts SELECT * FROM data.posts")
    conn.execute(f"INSERT INTO snapshots SELECT {', '.join(old)} FROM data.snapshots")
    conn.commit()
    conn.execute("DETACH DATABASE data")
    conn.close()


def test_a_store_written_before_the_series_is_given_them_on_upgrade(tmp_path: Path):
    with Store(tmp_path / "new.db") as store:
        store.write(parse_csv(CSV, "a.csv"))
    path = tmp_path / "old.db"
    store_at_version(path, 2, tmp_path / "new.db")  # no series table, no engagements yet
    with Store(path) as store:
        assert store.schema_version() == MIGRATIONS[-1].version
        assert assert_series_match_rows(store, [datetime(2026, 4, 1, tzinfo=UTC)]) == 3


def test_a_store_of_version_3_gains_engagements_and_wider_series(tmp_path: Path):
    with Store(tmp_path / "new.db") as store:
        store.write(parse_csv(CSV, "a.csv"))
    path = tmp_path / "old.db"
    store_at_version(path, 3, tmp_path / "new.db")
    conn = sqlite3.connect(path)  # with the 11-counter series version 3 packed
    for (post,) in conn.execute("SELECT id FROM posts").fetchall():
        rows = conn.execute(
            "SELECT CAST(strftime('%s', observed_at) AS INTEGER) FROM snapshots WHERE post = ?",
            (post,),
        ).fetchall()
        times = np.array([r[0] for r in rows], dtype="<i8")
        values = np.ones((len(rows), 11), dtype="<f8")
        conn.execute(
            "INSERT INTO snapshot_series VALUES (?, ?, ?)",
            (post, times.tobytes(), values.tobytes()),
        )
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert "engagements" in {c[1] for c in store.conn.execute("PRAGMA table_info(snapshots)")}
        assert assert_series_match_rows(store, [datetime(2026, 4, 1, tzinfo=UTC)]) == 3


def test_times_are_written_with_four_digit_years():
    assert to_utc_text(datetime(999, 3, 1, 10, 0, tzinfo=UTC)) == "0999-03-01T10:00:00Z"


def test_a_hand_written_time_the_series_cannot_read_is_named(tmp_path: Path):
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.write(parse_csv(CSV, "a.csv"))
        store.conn.execute(
            "INSERT INTO snapshots (post, observed_at, impressions) VALUES ('p1', 'yesterday', 5)"
        )
        store.conn.commit()
        with pytest.raises(StoreError, match="post p1 is observed at 'yesterday', which is not"):
            store.rebuild_series()
    # As a store of schema version 2 with that row: the upgrade says the same.
    old = tmp_path / "v2.db"
    store_at_version(old, 2, path)
    with pytest.raises(StoreError, match="correct or delete that row"):
        Store(old)
    with Store(old, migrate=False) as store:
        # Each step is whole: 3 made the series table, 4 (which packs) was rolled back.
        assert store.schema_version() == 3


def test_the_history_account_row_is_as_of_the_moment_asked(demo_store: Store, pack):
    """Asked about an earlier moment, the header's follower count and the "data last
    updated" line must be of that moment, not of the newest data in the store."""
    from bot.commands import handle

    at = DEMO_NOW - timedelta(days=20)
    moment = to_utc_text(at)
    history = demo_store.history("demo-page", at, posts=30)
    then = demo_store.conn.execute(
        "SELECT followers FROM follower_counts WHERE account = 'demo-page' "
        "AND observed_at <= ? ORDER BY observed_at DESC LIMIT 1",
        (moment,),
    ).fetchone()[0]
    latest = demo_store.account("demo-page")
    assert then != latest.followers  # the demo page grew since: the test can tell
    assert history.account.followers == then
    assert history.account.last_observed_at <= moment < latest.last_observed_at
    assert history.account.last_observed_at == to_utc_text(
        to_datetime(history.snapshots["observed_at"].max())
    )
    assert history.account.posts == len(
        demo_store.conn.execute(
            "SELECT id FROM posts WHERE account = 'demo-page' AND published_at <= ?", (moment,)
        ).fetchall()
    )
    text = handle("last10 demo-page", store=demo_store, pack=pack, at=at).text
    assert f"{then:,} followers" in text
    assert "Data last updated 3 Nov 2026" in text
    # Now, the row is the store's latest.
    now = demo_store.history("demo-page", DEMO_NOW, posts=30).account
    assert (now.followers, now.last_observed_at) == (latest.followers, latest.last_observed_at)


def test_the_accounts_listing_is_as_of_the_moment_asked(demo_store: Store, pack):
    from bot.commands import handle

    at = DEMO_NOW - timedelta(days=20)
    moment = to_utc_text(at)
    listed = {
        a["id"]: a for a in handle("accounts", store=demo_store, pack=pack, at=at).data["accounts"]
    }
    then = demo_store.history("demo-page", at, posts=1000).account
    page = listed["demo-page"]
    assert page["followers"] == then.followers != demo_store.account("demo-page").followers
    assert page["posts"] == then.posts < demo_store.account("demo-page").posts
    assert page["last_published_at"] <= moment
    assert page["last_observed_at"] == then.last_observed_at  # all its posts loaded here
    empty = handle("last10 demo-page", store=demo_store, pack=pack, at=at - timedelta(days=365))
    assert empty.text.startswith("*Northwind Analytics: no posts yet*")
    assert "*Nothing to judge yet.* No post had been published by then." in empty.text
    assert "the last 0 posts" not in empty.text
    before = handle("accounts", store=demo_store, pack=pack, at=at - timedelta(days=365))
    assert all(
        (a["posts"], a["followers"], a["last_observed_at"]) == (0, None, None)
        for a in before.data["accounts"]
    )


def refusal(store: Store, text: str, name: str) -> list[str]:
    """The lines of the StoreError that writing this CSV text raises."""
    with pytest.raises(StoreError) as info:
        store.write(parse_csv(text, name))
    return str(info.value).splitlines()


def test_a_file_that_contradicts_the_store_once_merged_writes_nothing(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    before = dump(store)
    # Impressions corrected down, reach left empty: the stored reach (500) would be
    # kept above the new impressions (400).
    lower = (
        "account,post,published_at,observed_at,impressions,members_reached\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,400,\n"
    )
    assert refusal(store, lower, "lower.csv") == [
        "lower.csv: post p1 at 2026-03-02T09:00:00Z: 500 members reached is more than its 400 "
        "impressions once merged with the store (a cell left empty keeps the stored value): "
        "give both columns in the same row",
        "Nothing was written.",
    ]
    # Published after its stored snapshots (the file alone has none before it).
    moved = (
        "account,post,published_at,observed_at,impressions\n"
        "acme,p1,2026-03-01T12:00:00Z,2026-03-02T09:00:00Z,900\n"
    )
    assert refusal(store, moved, "moved.csv") == [
        "moved.csv: post p1 is published at 2026-03-01T12:00:00Z, but the store has a "
        "snapshot of it from 2026-03-01T10:00:00Z: check its published_at",
        "Nothing was written.",
    ]
    assert dump(store) == before


def test_rows_an_older_version_let_in_do_not_block_later_imports(store: Store):
    """Only what a file writes is judged against the store: a contradiction already
    stored (older versions accepted it) must not refuse every later file."""
    store.write(parse_csv(CSV, "a.csv"))
    store.conn.execute(  # as an older version could leave it
        "UPDATE snapshots SET impressions = 50 WHERE post = 'p1' AND observed_at = ?",
        ("2026-03-01T10:00:00Z",),
    )
    store.conn.commit()
    later = (
        "account,post,published_at,observed_at,impressions,members_reached\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-03T09:00:00Z,1000,600\n"
    )
    summary = store.write(parse_csv(later, "later.csv"))
    assert summary.snapshots.new == 1


def test_handled_slack_events_are_forgotten_after_slacks_retry_window(store: Store):
    from bot.store import EVENT_MEMORY

    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    assert store.first_sight("Ev1", start)
    assert not store.first_sight("Ev1", start + timedelta(minutes=6))  # Slack's last retry
    assert store.first_sight("Ev2", start + EVENT_MEMORY + timedelta(seconds=1))
    remembered = [r[0] for r in store.conn.execute("SELECT event_id FROM slack_events")]
    assert remembered == ["Ev2"]
    assert timedelta(minutes=10) <= EVENT_MEMORY  # well past the retry after 5 minutes


def test_deleting_a_linked_account_removes_its_links_too(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    store.link("C0MARKETING", "acme", by="U0ADMIN", at=datetime(2026, 4, 1, tzinfo=UTC))
    store.delete_accounts(["acme"])  # raised FOREIGN KEY constraint failed
    assert store.links() == []
    assert store.account_ids() == []


def test_clearing_account_data_keeps_the_account_and_its_links(store: Store):
    store.write(parse_csv(CSV, "a.csv"))
    store.link("C0MARKETING", "acme", by="U0ADMIN", at=datetime(2026, 4, 1, tzinfo=UTC))
    store.clear_account_data(["acme"])
    assert store.account_ids() == ["acme"]
    assert store.links() == [("C0MARKETING", "acme")]
    for table in ("posts", "snapshots", "snapshot_series", "follower_counts"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_accounts_stored_before_time_zones_are_read_in_utc(tmp_path: Path):
    with Store(tmp_path / "new.db") as store:
        store.write(parse_csv(CSV, "a.csv"))
        ids = store.account_ids()
    path = tmp_path / "old.db"
    # The migrations before zones (whatever their numbers), with the same accounts.
    before = next(i for i, m in enumerate(MIGRATIONS) if "time zone" in m.description)
    store_at_version(path, before, tmp_path / "new.db")
    conn = sqlite3.connect(path)
    assert "timezone" not in {c[1] for c in conn.execute("PRAGMA table_info(accounts)")}
    conn.close()
    with Store(path) as store:
        assert [store.timezone(a) for a in ids] == ["UTC"] * len(ids)
        assert {a.timezone for a in store.accounts()} == {"UTC"}
        assert store.set_timezone(ids[0], "Europe/Paris")
        assert not store.set_timezone(ids[0], "Asia/Tokyo", only_if_unset=True)
        assert store.account(ids[0]).timezone == "Europe/Paris"
        assert not store.set_timezone("nobody", "UTC")
        assert store.timezone("nobody") is None


def test_migrations_are_listed_in_the_order_of_their_versions():
    """Migrations run in list order: blocks appended by parallel work must keep 1, 2, 3…"""
    versions = [m.version for m in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))


class _Planted:
    """A sqlite-utils plugin another installed package could register."""

    @sqlite_utils.hookimpl
    def prepare_connection(self, conn: sqlite3.Connection) -> None:
        conn.create_function("planted", 0, lambda: 1)


def test_no_sqlite_utils_plugin_touches_the_store_connection(tmp_path: Path):
    plugin = _Planted()
    sqlite_utils.plugins.pm.register(plugin)
    try:
        with (
            Store(tmp_path / "s.db") as store,
            pytest.raises(sqlite3.OperationalError, match="no such function: planted"),
        ):
            store.conn.execute("select planted()")
    finally:
        sqlite_utils.plugins.pm.unregister(plugin)
