"""Numbers a user types have limits, and going past one is a plain message, never a
crash or a run that eats the machine: `rules backtest --last`, rule tests' hours."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.commands.backtest import MAX_POSTS, MAX_WEEKS, backtest
from bot.demo import DEMO_NOW
from bot.errors import CommandError
from bot.ingest.csvfile import parse_csv
from bot.pack import Pack
from bot.rule_tests import run_rule_tests
from bot.store import Store


@pytest.mark.parametrize(
    ("rule", "last", "message"),
    [
        (
            "low-engagement",
            MAX_POSTS + 1,
            f"--last {MAX_POSTS + 1}: a backtest looks at up to 1,000 posts; ask for fewer",
        ),
        (
            "low-engagement",
            99999999999999999999,
            "--last 99999999999999999999: a backtest looks at up to 1,000 posts; ask for fewer",
        ),
        (
            "off-target",
            MAX_WEEKS + 1,
            f"--last {MAX_WEEKS + 1}: a backtest looks at up to 104 weeks; ask for fewer",
        ),
    ],
)
def test_backtest_refuses_more_than_it_can_look_at(
    demo_store: Store, pack: Pack, rule: str, last: int, message: str
):
    with pytest.raises(CommandError) as info:
        backtest(demo_store, pack, rule, "demo-page", DEMO_NOW, last=last)
    assert str(info.value) == message


def test_backtest_at_the_limit_runs(demo_store: Store, pack: Pack):
    _, data = backtest(demo_store, pack, "low-engagement", "demo-page", DEMO_NOW, last=MAX_POSTS)
    assert 0 < len(data["subjects"]) <= MAX_POSTS


def test_a_huge_last_is_a_message_from_the_cli(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "d.db"))
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    monkeypatch.delenv("NARRATOR_DEBUG", raising=False)
    with Store(tmp_path / "d.db") as store:
        store.write(parse_csv(ONE_POST, "acme.csv"))
    args = ["rules", "backtest", "low-engagement", "--account", "acme"]
    result = CliRunner().invoke(cli, [*args, "--last", "99999999999999999999"])
    assert result.exit_code == 1
    assert result.stderr == (
        "--last 99999999999999999999: a backtest looks at up to 1,000 posts; ask for fewer\n"
    )


def test_weeks_before_the_calendar_begins_are_left_out(demo_store: Store, pack: Pack):
    # Week ends 7 days apart from 20 January of year 1: only three exist.
    at = datetime(1, 1, 20, tzinfo=UTC)
    context, data = backtest(demo_store, pack, "off-target", "demo-page", at, last=12)
    assert data["subjects"] == [
        "0001-01-20T00:00:00Z",
        "0001-01-13T00:00:00Z",
        "0001-01-06T00:00:00Z",
    ]
    assert context["count"] == 3
    assert context["asked"] == 12


ONE_POST = """account,post,published_at,observed_at,impressions,members_reached
acme,p1,2026-03-01T09:00:00Z,2026-03-05T09:00:00Z,1200,600
"""


RULES_TEST = """tests:
  - name: {name}
    at: 2026-03-10T00:00:00Z
    posts:
      - {{id: p, published_at: 2026-03-01T00:00:00Z, {post}}}
    expect:
      - {{rule: narrow-audience, post: p, outcome: no_data}}
"""


def run_case(tmp_path: Path, root: Path, pack: Pack, text: str) -> list[str]:
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "tests").mkdir()
    (rules / "tests" / "case.yaml").write_text(text, encoding="utf-8")
    return [str(f) for f in run_rule_tests(rules, pack).failures]


@pytest.mark.parametrize(
    ("post", "message"),
    [
        (
            'hourly: {impressions: [300, "1x9000"]}',
            "posts, item 1, hourly.impressions: the hourly gains cover 9,001 hours; "
            "a post's cover at most 8,760 (a year)",
        ),
        (
            'hourly: {impressions: ["1x300000000"]}',
            "posts, item 1, hourly.impressions: the hourly gains cover 300,000,000 hours; "
            "a post's cover at most 8,760 (a year)",
        ),
        (
            'hourly: {impressions: ["1x99999999999999999999999"]}',
            "posts, item 1, hourly.impressions: the hourly gains cover "
            "99,999,999,999,999,999,999,999 hours; a post's cover at most 8,760 (a year)",
        ),
        (
            'hourly: {impressions: ["5x-3"]}',
            "posts, item 1, hourly.impressions: '5x-3' repeats 5 -3 times; "
            "write a whole number of hours from 1, such as 5x70",
        ),
        (
            'hourly: {impressions: ["5x0"]}',
            "posts, item 1, hourly.impressions: '5x0' repeats 5 0 times; "
            "write a whole number of hours from 1, such as 5x70",
        ),
        (
            'hourly: {impressions: ["infx2"]}',
            "posts, item 1, hourly.impressions: 'infx2' repeats 'inf', which is not a number",
        ),
        (
            "hourly: {impressions: [.inf]}",
            "posts, item 1, hourly.impressions: inf is not a number; write it without quotes, "
            "or null for missing",
        ),
        (
            "snapshots: [{hours: 1e300, impressions: 5}]",
            "posts, item 1, snapshots, item 1, hours: 1e+300 is out of range: "
            "a snapshot is from 0 to 87,600 hours (ten years) after publishing",
        ),
        (
            "snapshots: [{hours: -5, impressions: 5}]",
            "posts, item 1, snapshots, item 1, hours: -5 is out of range: "
            "a snapshot is from 0 to 87,600 hours (ten years) after publishing",
        ),
        (
            "snapshots: [{hours: 5, impressions: 1%s}]" % ("0" * 400),
            # refused as the YAML is read, at its line and column, before the test's model
            "a number 401 digits long; numbers in a rule pack go up to 1,000,000,000,000,000",
        ),
        (
            "snapshots: [{hours: 5, impressions: .nan}]",
            "posts, item 1, snapshots, item 1, impressions: nan is not a number; write it without quotes, "
            "or null for missing",
        ),
    ],
)
def test_rule_test_inputs_past_a_limit_are_named(
    post: str, message: str, tmp_path: Path, root: Path, pack: Pack
):
    text = RULES_TEST.format(name="t", post=post)
    failures = run_case(tmp_path, root, pack, text)
    assert len(failures) == 1
    assert failures[0].split(": ", 1)[1] == message


def test_a_test_holds_at_most_so_many_observations(tmp_path: Path, root: Path, pack: Pack):
    posts = "".join(
        f'      - {{id: p{i}, published_at: 2026-03-01T00:00:00Z, hourly: {{impressions: ["1x8000"]}}}}\n'
        for i in range(13)
    )
    text = (
        "tests:\n  - name: too big\n    at: 2026-03-10T00:00:00Z\n    posts:\n"
        + posts
        + "    expect:\n      - {rule: narrow-audience, post: p0, outcome: no_data}\n"
    )
    assert run_case(tmp_path, root, pack, text) == [
        'rules/tests/case.yaml:2:5: test "too big": its posts hold 104,000 observations; '
        "a test holds at most 100,000: split it into smaller tests"
    ]


@pytest.mark.parametrize(
    ("subjects", "message"),
    [
        (
            "    posts:\n      - {id: p, metrics: {impressions: 5}}\n"
            "      - {id: p, metrics: {impressions: 6}}\n",
            "rules/tests/case.yaml:5:14: test \"twice\": post 'p' is given twice "
            "(first as post 1); give each post its own id",
        ),
        (
            "    accounts:\n      - {id: a, metrics: {impressions_week: 5}}\n"
            "      - {id: a, metrics: {impressions_week: 6}}\n",
            "rules/tests/case.yaml:5:14: test \"twice\": account 'a' is given twice "
            "(first as account 1); give each account its own id",
        ),
    ],
)
def test_a_subject_given_twice_is_named(
    subjects: str, message: str, tmp_path: Path, root: Path, pack: Pack
):
    text = (
        "tests:\n  - name: twice\n"
        + subjects
        + "    expect:\n      - {rule: narrow-audience, post: p, outcome: no_data}\n"
    )
    assert message in run_case(tmp_path, root, pack, text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--processes", "100000"], "'--processes': 100000 is not in the range 0<=x<=64"),
        (["--port", "99999999999"], "'--port': 99999999999 is not in the range 0<=x<=65535"),
    ],
)
def test_serve_numbers_have_limits(args: list[str], message: str):
    # Refused before anything starts: no process is spawned, no settings are read.
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code == 2
    assert message in result.stderr
