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
