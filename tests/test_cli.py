"""The terminal front door: each command, its exit codes, and its error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import bot.commands
from bot.cli import cli
from bot.demo import DEMO_NOW
from bot.store import Store
from bot.store.migrations import MIGRATIONS

HEADER = (
    "account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts"
)
ROWS = [
    "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,100,60,5,1,0",
    "acme,p1,2026-03-01T09:00:00Z,2026-03-05T09:00:00Z,1200,600,30,4,2",
]


@pytest.fixture
def runner(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "cli.db"))
    # The store exists, as after a first command: saying it was created is tested apart.
    Store(tmp_path / "cli.db").close()
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    monkeypatch.delenv("NARRATOR_DEBUG", raising=False)
    return CliRunner()


def csv_file(tmp_path: Path, *rows: str, name: str = "posts.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_import_reports_what_changed(runner: CliRunner, tmp_path: Path):
    path = csv_file(tmp_path, *ROWS)
    first = runner.invoke(cli, ["import", str(path)])
    assert first.exit_code == 0, first.output
    assert (
        first.output
        == f"{path}: 1 account, 1 post (1 new, 0 updated), 2 snapshots (2 new, 0 changed, 0 unchanged).\n"
    )
    again = runner.invoke(cli, ["import", str(path)])
    assert again.output.endswith(
        "(0 new, 0 changed, 2 unchanged). Nothing new: the store already held all of it.\n"
    )


def test_a_bad_import_lists_every_problem_and_writes_nothing(runner: CliRunner, tmp_path: Path):
    bad = csv_file(tmp_path, ROWS[0], "acme,p2,2026-03-01,2026-03-05T09:00:00Z,-1,5,1,1,1")
    result = runner.invoke(cli, ["import", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}:3: published_at: '2026-03-01' has no time zone: add Z for UTC or an offset such as +01:00",
        f"{bad}:3: impressions: -1 is negative; counts start at 0",
        f"2 problems found; nothing from {bad} was imported.",
    ]
    assert "Traceback" not in result.output
    accounts = runner.invoke(cli, ["ask", "last10"])
    assert "There is no LinkedIn data to read yet: import an export file" in accounts.output


def test_several_files_are_each_imported_or_reported(runner: CliRunner, tmp_path: Path):
    """One bad file neither stops the others nor is reported as if nothing was
    imported at all; a missing file is named too."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    good = csv_file(tmp_path / "a", *ROWS)
    bad = csv_file(
        tmp_path, ROWS[0], "acme,p2,2026-03-01T09:00:00Z,2026-03-05T09:00:00Z,-1,5,1,1,1"
    )
    later = csv_file(tmp_path / "b", ROWS[0].replace("p1", "p3"))
    missing = tmp_path / "missing.csv"
    folder = tmp_path / "b"
    result = runner.invoke(
        cli, ["import", str(good), str(bad), str(folder), str(later), str(missing)]
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{good}: 1 account, 1 post (1 new, 0 updated), 2 snapshots (2 new, 0 changed, 0 unchanged).",
        f"{later}: 1 account, 1 post (1 new, 0 updated), 1 snapshot (1 new, 0 changed, 0 unchanged).",
    ]
    assert result.stderr.splitlines() == [
        f"{bad}:3: impressions: -1 is negative; counts start at 0",
        f"1 problem found; nothing from {bad} was imported.",
        f"{folder}: is a folder: name the files in it",
        f"1 problem found; nothing from {folder} was imported.",
        f"{missing}: no such file",
        f"1 problem found; nothing from {missing} was imported.",
        f"2 of 5 files imported. Nothing from {bad}, {folder}, {missing} was written: "
        "fix the problems above and import them again.",
    ]
    listed = runner.invoke(cli, ["ask", "accounts", "--format", "json"])
    assert '"posts": 2' in listed.output  # p1 and p3, not p2


def test_ask_prints_terminal_text_the_slack_text_or_the_json(runner: CliRunner, tmp_path: Path):
    runner.invoke(cli, ["import", str(csv_file(tmp_path, *ROWS))])
    text = runner.invoke(cli, ["ask", "last10", "--at", "2026-03-10T00:00:00Z"])
    assert text.exit_code == 0
    assert text.output.startswith("acme: the last post, as of 10 Mar 2026")
    assert "```" not in text.output
    slack = runner.invoke(
        cli, ["ask", "last10", "--format", "slack", "--at", "2026-03-10T00:00:00Z"]
    )
    assert slack.output.startswith("*acme: the last post*")
    assert "```" in slack.output
    result = runner.invoke(
        cli, ["ask", "last10 acme", "--format", "json", "--at", "2026-03-10T00:00:00Z"]
    )
    data = json.loads(result.output)
    assert list(data) == ["account", "as_of", "posts", "findings"]
    assert data["as_of"] == "2026-03-10T00:00:00Z"
    post = data["posts"][0]
    assert post["impressions_per_member_reached"] == 2.0
    assert post["saves"] is None  # not reported stays null
    assert {"id", "url", "title", "published_at", "format"} <= set(post)


def test_ask_refusals_exit_1_with_a_message(runner: CliRunner, tmp_path: Path):
    runner.invoke(cli, ["import", str(csv_file(tmp_path, *ROWS))])
    result = runner.invoke(cli, ["ask", "last10 nobody"])
    assert result.exit_code == 1
    assert result.output.startswith("I have no account called nobody.")


def test_a_bad_time_is_a_usage_error(runner: CliRunner):
    result = runner.invoke(cli, ["ask", "last10", "--at", "tomorrow"])
    assert result.exit_code == 2
    assert "'tomorrow' is not an ISO 8601 time" in result.output
    far = runner.invoke(cli, ["ask", "last10", "--at", "9999-12-31T23:59:59-01:00"])
    assert far.exit_code == 2
    assert "is out of range: in UTC it falls outside years 1 to 9999" in far.output
    assert "Sorry" not in far.output


def test_rules_check_passes_on_the_shipped_pack(runner: CliRunner):
    result = runner.invoke(cli, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("files: all good.\n")


def test_rules_check_reports_problems_and_exits_1(runner: CliRunner, tmp_path: Path, root: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "rules:\n  - id: x\n    description: d\n    severity: info\n    condition: impresions > 1\n"
    )
    result = runner.invoke(cli, ["rules", "check", str(rules)])
    assert result.exit_code == 1
    assert result.stdout == (
        f"{rules}/x.yaml:5:16: rule \"x\": condition: unknown metric or param 'impresions' "
        "(did you mean 'impressions'?)\n"
    )
    assert result.stderr == (
        f"{rules} has no narratives/ folder beside it: its rules are checked with the "
        f"configured templates in {root / 'narratives'}.\n1 problem found.\n"
    )


def test_migrate_is_idempotent(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "fresh.db"))
    first = runner.invoke(cli, ["migrate"])
    assert "applied migrations 1" in first.output
    second = runner.invoke(cli, ["migrate"])
    assert second.output.endswith(f"schema is up to date (version {MIGRATIONS[-1].version})\n")
    assert "Created" not in second.output


@pytest.mark.parametrize(
    "args",
    [["migrate"], ["ask", "help"], ["import", "posts.csv"], ["demo"], ["digest", "list"]],
)
def test_a_command_that_creates_the_store_says_where(
    args: list[str], runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The default store is a file in the current folder: a new one is named in full."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NARRATOR_DB")
    csv_file(tmp_path, *ROWS)
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    created = tmp_path / "narrator.db"
    assert created.exists()
    assert result.stderr.startswith(
        f"Created the store {created} (set NARRATOR_DB to keep it somewhere else).\n"
    )
    again = runner.invoke(cli, args)
    assert "Created the store" not in again.output


def test_an_empty_file_made_into_the_store_is_said_to_be(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    empty = tmp_path / "empty.txt"
    empty.touch()
    monkeypatch.setenv("NARRATOR_DB", str(empty))
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Created the store {empty} (named by NARRATOR_DB).\n")


def test_a_store_named_by_narrator_db_is_said_to_be_so(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Not "NARRATOR_DB names another file" when NARRATOR_DB named this very one."""
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "sub.db"))
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"Created the store {tmp_path / 'sub.db'} (named by NARRATOR_DB).\n"
    )


def test_a_broken_rule_pack_stops_ask_with_the_problems(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text("rules: [\n")
    monkeypatch.setenv("NARRATOR_RULES", str(rules))
    result = runner.invoke(cli, ["ask", "help"])
    assert result.exit_code == 1
    # named as NARRATOR_RULES gives the folder, not from the current folder down
    assert result.stderr.startswith(
        f'{rules}/x.yaml:1:8: the [ opened here is not closed: "rules: ["; close it with ] '
        "on the same line"
    )
    assert "Traceback" not in result.output


def test_an_internal_error_is_an_apology_with_a_reference(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(bot.commands, "handle", explode)
    result = runner.invoke(cli, ["ask", "help"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Sorry, something went wrong inside Insight Narrator (ref ")
    assert "secret internals" not in result.output
    assert "Traceback" not in result.output


def test_a_malformed_setting_is_named(runner: CliRunner, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NARRATOR_DEBUG", "maybe")
    result = runner.invoke(cli, ["ask", "help"])
    assert result.exit_code == 1
    assert result.stderr.startswith("bad setting: NARRATOR_DEBUG:")


def test_an_unknown_language_is_named(runner: CliRunner, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NARRATOR_LOCALE", "xx")
    result = runner.invoke(cli, ["ask", "help"])
    assert result.exit_code == 1
    assert "NARRATOR_LOCALE" in result.stderr
    assert "NARRATOR_LOCALE: 'xx' is not a language code such as en or de" in result.stderr


def test_every_command_has_help(runner: CliRunner):
    for args in (
        ["--help"],
        ["demo", "--help"],
        ["import", "--help"],
        ["ask", "--help"],
        ["migrate", "--help"],
        ["rules", "--help"],
        ["rules", "check", "--help"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, args
        assert "Usage: narrator" in result.output


def test_demo_runs_again_after_a_demo_account_was_linked_in_slack(
    runner: CliRunner, tmp_path: Path
):
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    with Store(tmp_path / "cli.db") as store:
        store.link("C0MARKETING", "demo-page", by="U0ADMIN", at=DEMO_NOW)
    again = runner.invoke(cli, ["demo"])
    assert again.exit_code == 0, again.output
    assert "FOREIGN KEY" not in again.output
    assert "Northwind Analytics: the last 10 posts" in again.output
    with Store(tmp_path / "cli.db") as store:
        assert store.linked_accounts("C0MARKETING") == ["demo-page"]  # the link survives


def test_a_file_the_csv_module_cannot_read_does_not_stop_the_files_after_it(
    runner: CliRunner, tmp_path: Path
):
    """A cell over 131,072 characters crashed the import with an apology, and the files
    after it were never imported."""
    huge = csv_file(tmp_path, ROWS[0] + "," + "x" * 131_073, name="huge.csv")
    good = csv_file(tmp_path, *ROWS, name="good.csv")
    result = runner.invoke(cli, ["import", str(huge), str(good)])
    assert result.exit_code == 1
    assert result.stdout == (
        f"{good}: 1 account, 1 post (1 new, 0 updated), 2 snapshots (2 new, 0 changed, 0 unchanged).\n"
    )
    assert result.stderr.splitlines() == [
        f"{huge}:2: a cell is longer than 131,072 characters: shorten it (a quote opened "
        "on this line and never closed makes one cell of the lines after it)",
        f"1 problem found; nothing from {huge} was imported.",
        f"1 of 2 files imported. Nothing from {huge} was written: fix the problems above "
        "and import it again.",
    ]


def test_a_file_wrong_on_every_row_prints_fifty_problems_and_how_many_more(
    runner: CliRunner, tmp_path: Path
):
    """A 400,000-row file wrong on every row printed 400,000 lines."""
    rows = [f"acme,p{i},2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,-{i + 1},,,," for i in range(60)]
    result = runner.invoke(cli, ["import", str(csv_file(tmp_path, *rows))])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 52
    assert lines[0] == f"{tmp_path / 'posts.csv'}:2: impressions: -1 is negative; counts start at 0"
    assert (
        lines[49] == f"{tmp_path / 'posts.csv'}:51: impressions: -50 is negative; counts start at 0"
    )
    assert lines[50:] == [
        "... and 10 more problems like these",
        f"60 problems found; nothing from {tmp_path / 'posts.csv'} was imported.",
    ]


def test_a_file_imported_again_into_an_unchanged_store_is_not_read_again(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = csv_file(tmp_path, *ROWS)
    first = runner.invoke(cli, ["import", str(path)])
    assert first.exit_code == 0, first.output

    def unread(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr("bot.ingest.files.read_file", unread)
    renamed = path.rename(tmp_path / "same-bytes.csv")  # the content is what counts
    again = runner.invoke(cli, ["import", str(renamed)])
    assert again.exit_code == 0, again.output
    assert again.output == (
        f"{renamed}: 1 account, 1 post (0 new, 0 updated), 2 snapshots (0 new, 0 changed, "
        "2 unchanged). Nothing new: the store already held all of it.\n"
    )


def test_any_write_since_makes_the_file_read_again(runner: CliRunner, tmp_path: Path):
    """Another import, or a hand-written UPDATE, may have changed what the file gives:
    its rows are compared again, and the summary says what changed back."""
    path = csv_file(tmp_path, *ROWS)
    runner.invoke(cli, ["import", str(path)])
    other = csv_file(tmp_path, ROWS[1].replace("1200,600", "1300,600"), name="other.csv")
    assert runner.invoke(cli, ["import", str(other)]).exit_code == 0
    again = runner.invoke(cli, ["import", str(path)])
    assert "2 snapshots (0 new, 1 changed, 1 unchanged)" in again.output
    with Store(tmp_path / "cli.db") as store, store.writing():
        store.conn.execute("UPDATE snapshots SET reactions = 99 WHERE reactions = 5")
    again = runner.invoke(cli, ["import", str(path)])
    assert "2 snapshots (0 new, 1 changed, 1 unchanged)" in again.output
    third = runner.invoke(cli, ["import", str(path)])
    assert third.output.endswith("Nothing new: the store already held all of it.\n")


def test_an_import_summary_writes_every_count_with_separators(runner: CliRunner, tmp_path: Path):
    """ "1,500 snapshots (1500 new...)" wrote the same number two ways."""
    rows = [
        f"acme,p{n % 3},2026-03-01T09:00:00Z,2026-03-{2 + n // 3 // 60:02d}T"
        f"{n // 3 // 60 % 24:02d}:{n // 3 % 60:02d}:00Z,{100 + n},60,5,1,0"
        for n in range(1500)
    ]
    result = runner.invoke(cli, ["import", str(csv_file(tmp_path, *rows))])
    assert result.exit_code == 0, result.output
    assert "1,500 snapshots (1,500 new, 0 changed, 0 unchanged)" in result.output
    again = runner.invoke(cli, ["import", str(csv_file(tmp_path, *rows[:1200], name="b.csv"))])
    assert "1,200 snapshots (0 new, 0 changed, 1,200 unchanged)" in again.output


def test_slack_only_commands_in_the_terminal_say_how_to_do_it_here(
    runner: CliRunner, tmp_path: Path
):
    runner.invoke(cli, ["import", str(csv_file(tmp_path, *ROWS))])
    expected = {
        "link acme": "narrator accounts",
        "unlink acme": "narrator accounts",
        "mute low-engagement": "narrator rules backtest RULE",
        "unmute low-engagement": "narrator rules backtest RULE",
        "digest weekly mon 09:00": "narrator digest subscribe --channel",
        "checkin on": 'narrator ask "post URL-OR-ID"',
    }
    for command, how in expected.items():
        result = runner.invoke(cli, ["ask", command])
        assert result.exit_code == 1, command
        word = command.split()[0]
        assert result.output.startswith(f"{word} is a Slack command: "), result.output
        assert how in result.output
        assert "linked here" not in result.output
    empty = tmp_path / "empty.db"
    for command in (["accounts"], ["ask", "accounts"], ["ask", "last10"]):
        said = runner.invoke(cli, command, env={"NARRATOR_DB": str(empty)}).output
        assert "narrator import FILE" in said
        assert "linked here" not in said


def test_ask_help_json_holds_the_help(runner: CliRunner):
    data = json.loads(runner.invoke(cli, ["ask", "help", "--format", "json"]).output)
    assert data["commands"] == ["last10", "post", "why", "accounts", "rules", "help"]
    assert "`last10 [ACCOUNT]`: the last 10 posts" in data["text"]
    assert "/linkedin" not in data["text"]


def test_a_suggestion_is_written_once_as_it_is(runner: CliRunner, tmp_path: Path):
    rows = [row.replace("acme,", "r&d,", 1) for row in ROWS]
    runner.invoke(cli, ["import", str(csv_file(tmp_path, *rows))])
    result = runner.invoke(cli, ["ask", "last10 r&x"])
    assert (
        result.output == "I have no account called r&x. Did you mean r&d? You can ask about: r&d.\n"
    )
    slack = runner.invoke(cli, ["ask", "last10 r&x", "--format", "slack"]).output
    assert "Did you mean `r&amp;d`?" in slack  # Slack reads &amp; as &


@pytest.mark.parametrize("command", [["migrate"], ["ask", "last10 demo-creator"], ["demo"]])
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda db: db.write_text("account,post\nacme,p1\n" * 50),
            "{db} is not a SQLite database, so not an Insight Narrator store: point NARRATOR_DB "
            "at your store, or at a new file name to start one (to import a spreadsheet or CSV, "
            "run: narrator import {db})",
        ),
        (
            lambda db: db.mkdir(),
            "NARRATOR_DB is {db}, which is a folder, not a database file: point NARRATOR_DB at "
            "a file, such as {db}/narrator.db",
        ),
        (
            lambda db: (Store(db).close(), db.chmod(0o444)),
            "the database {db} is read-only: make it writable (chmod u+w {db}), or copy it to a "
            "folder you can write to and point NARRATOR_DB at the copy",
        ),
        (
            lambda db: None,
            "the database {db} cannot be created: the folder {db.parent} does not exist; create "
            "it, or point NARRATOR_DB at a file in an existing folder",
        ),
    ],
    ids=["not-sqlite", "folder", "read-only", "no-folder"],
)
def test_an_unusable_narrator_db_is_named_with_its_fix(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command, make, expected
):
    db = tmp_path / ("missing" if "created" in expected else ".") / "store.db"
    make(db)
    monkeypatch.setenv("NARRATOR_DB", str(db))
    result = runner.invoke(cli, command)
    assert result.exit_code == 1
    assert result.stderr == expected.format(db=db) + "\n"
    assert "Traceback" not in result.output
    assert "something went wrong" not in result.output


# -- the account's time zone --


def _zone_of(tmp_path: Path, account: str) -> str | None:
    with Store(tmp_path / "cli.db") as store:
        return store.timezone(account)


def test_import_sets_the_accounts_zone_and_a_new_account_gets_the_default(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = csv_file(tmp_path, *ROWS)
    monkeypatch.setenv("NARRATOR_TIMEZONE", "America/New_York")
    assert runner.invoke(cli, ["import", str(path)]).exit_code == 0
    assert _zone_of(tmp_path, "acme") == "America/New_York"
    # The default is for new accounts: one with a zone keeps it.
    monkeypatch.setenv("NARRATOR_TIMEZONE", "Asia/Tokyo")
    assert runner.invoke(cli, ["import", str(path)]).exit_code == 0
    assert _zone_of(tmp_path, "acme") == "America/New_York"
    # --tz sets it, even when the file itself is already in the store.
    result = runner.invoke(cli, ["import", str(path), "--tz", "Europe/Paris"])
    assert result.exit_code == 0, result.output
    assert _zone_of(tmp_path, "acme") == "Europe/Paris"


def test_a_zone_that_is_not_one_is_refused_before_anything_is_written(
    runner: CliRunner, tmp_path: Path
):
    path = csv_file(tmp_path, *ROWS)
    result = runner.invoke(cli, ["import", str(path), "--tz", "paris"])
    assert result.exit_code == 2
    assert (
        "Invalid value for --tz: 'paris' is not a time zone name: did you mean Europe/Paris?"
        in result.stderr
    )
    assert "Traceback" not in result.output
    assert _zone_of(tmp_path, "acme") is None  # no account: nothing was imported


def test_accounts_timezone_shows_and_sets_the_zone(runner: CliRunner, tmp_path: Path):
    assert runner.invoke(cli, ["import", str(csv_file(tmp_path, *ROWS))]).exit_code == 0
    assert runner.invoke(cli, ["accounts", "timezone", "acme"]).output == "acme: times in UTC.\n"
    result = runner.invoke(cli, ["accounts", "timezone", "acme", "Europe/Paris"])
    assert result.output == "acme: times in Europe/Paris from now on (it was UTC).\n"
    bad = runner.invoke(cli, ["accounts", "timezone", "acme", "Europe/Pariss"])
    assert bad.exit_code == 2
    assert "did you mean Europe/Paris?" in bad.stderr
    missing = runner.invoke(cli, ["accounts", "timezone", "acne", "UTC"])
    assert missing.exit_code == 2
    assert "there is no account 'acne'" in missing.stderr
    # The replies about the account speak Paris time, and say so once.
    reply = runner.invoke(cli, ["ask", "last10 acme", "--at", "2026-03-05T09:30:00Z"])
    assert reply.exit_code == 0, reply.output
    assert "as of 5 Mar 2026, 10:30 Europe/Paris" in reply.output
    assert reply.output.count("Europe/Paris") == 1
    assert "UTC" not in reply.output


def test_a_bad_default_zone_is_named(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NARRATOR_TIMEZONE", "Europe/Pari")
    result = runner.invoke(cli, ["import", str(csv_file(tmp_path, *ROWS))])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "bad setting: NARRATOR_TIMEZONE: 'Europe/Pari' is not a time zone name: "
        "did you mean Europe/Paris?"
    )
