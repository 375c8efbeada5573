"""Conditions the loader accepts never fail at run time: in replies, `why`,
`rules test` and `rules backtest`, whatever the shape of their parts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.commands import handle
from bot.commands.backtest import backtest
from bot.demo import DEMO_NOW
from bot.ingest.csvfile import parse_csv
from bot.pack import Pack, check_pack, load_pack
from bot.rule_tests import run_rule_tests
from bot.rules import expr
from bot.rules.trial import check_rule_conditions
from bot.store import Store

AT = datetime(2026, 3, 10, tzinfo=UTC)

#: Conditions `rules check` accepted that failed every reply before.
MIXED = [
    "enabled > 0 and engagement_rate < min_rate",
    "engagement_rate < 0.02 < 0.03",
    "1 > 0 or engagement_rate < min_rate",
]

RULE = """rules:
  - id: switchable
    description: d
    requires: post_age_hours >= 0
    condition: {condition}
    params: {{enabled: 1, min_rate: 0.02}}
    template: low-engagement
    shows: [interactions, impressions]
    severity: info
"""

TEST = """tests:
  - name: the switchable rule
    posts:
      - {{id: p, metrics: {{post_age_hours: 100, engagement_rate: 0.01, interactions: 1, impressions: 100}}}}
    expect:
      - {{rule: switchable, post: p, outcome: {outcome}}}
"""


def pack_with(tmp_path: Path, root: Path, condition: str, outcome: str = "fired") -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "switch.yaml").write_text(RULE.format(condition=condition), encoding="utf-8")
    (rules / "tests").mkdir()
    (rules / "tests" / "switch.yaml").write_text(TEST.format(outcome=outcome), encoding="utf-8")
    return rules


@pytest.mark.parametrize("condition", MIXED)
def test_a_mixed_condition_serves_last10_and_why(
    condition: str, tmp_path: Path, root: Path, demo_store: Store
):
    pack = load_pack(pack_with(tmp_path, root, condition), root / "narratives")
    reply = handle("last10 demo-creator", store=demo_store, pack=pack, at=DEMO_NOW)
    assert reply.ok
    post = reply.data["posts"][0]["id"]
    why = handle(f"why {post}", store=demo_store, pack=pack, at=DEMO_NOW)
    assert why.ok
    assert "switchable" in {r["rule"] for r in why.data["rules"]}


@pytest.mark.parametrize("condition", MIXED)
def test_a_mixed_condition_runs_in_rules_test(
    condition: str, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    rules = pack_with(tmp_path, root, condition)
    result = CliRunner().invoke(cli, ["rules", "test", str(rules)])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("all passed.\n")


RATIO = """rules:
  - id: comment-starved
    description: d
    condition: {condition}
    params: {{limit: 1000}}
    severity: info
"""

CSV = """account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts,title
acme,p1,2026-03-01T09:00:00Z,2026-03-05T09:00:00Z,1200,600,30,0,2,No comments
acme,p2,2026-03-02T09:00:00Z,2026-03-05T09:00:00Z,1200,600,30,3,2,Three comments
"""


def ratio_pack(tmp_path: Path, root: Path, condition: str) -> Pack:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ratio.yaml").write_text(RATIO.format(condition=condition), encoding="utf-8")
    narratives = tmp_path / "narratives"
    shutil.copytree(root / "narratives" / "en", narratives / "en")  # one language: its rule
    (narratives / "en" / "rules" / "comment-starved.j2").write_text(
        "{% block finding %}Few comments.{% endblock %}{% block next %}{% endblock %}",
        encoding="utf-8",
    )
    return load_pack(rules, narratives)


def test_why_says_a_division_by_zero_is_one_not_missing_data(
    tmp_path: Path, root: Path, store: Store
):
    store.write(parse_csv(CSV, "acme.csv"))
    pack = ratio_pack(tmp_path, root, "impressions / comments > limit")
    reply = handle("why p1", store=store, pack=pack, at=AT)
    assert reply.data["rules"][0]["outcome"] == "undefined"
    assert (
        "*comment-starved* cannot compute: impressions / comments divides by zero "
        "(comments is 0), read impressions 1,200, comments 0" in reply.text
    )
    assert "not enough data" not in reply.text
    assert handle("why p2", store=store, pack=pack, at=AT).data["rules"][0]["outcome"] == "quiet"


def test_a_guard_against_zero_makes_the_rule_decide(tmp_path: Path, root: Path, store: Store):
    store.write(parse_csv(CSV, "acme.csv"))
    guarded = ratio_pack(tmp_path, root, "comments == 0 or impressions / comments > limit")
    reply = handle("why p1", store=store, pack=guarded, at=AT)
    assert reply.data["rules"][0]["outcome"] == "fired"


def test_last10_and_backtest_count_a_division_by_zero_apart(
    tmp_path: Path, root: Path, store: Store
):
    store.write(parse_csv(CSV, "acme.csv"))
    pack = ratio_pack(tmp_path, root, "impressions / comments > limit")
    reply = handle("last10 acme", store=store, pack=pack, at=AT)
    assert reply.ok
    assert (
        "_Not enough to go on yet: #2 (1 check) cannot compute: impressions / comments "
        "divides by zero (comments is 0)._" in reply.text
    )
    context, data = backtest(store, pack, "comment-starved", "acme", AT)
    assert data["outcomes"] == {"undefined": 1, "quiet": 1}
    text = pack.narrator.render("messages/backtest.j2", **context)
    assert "fired on 0 of 2; cannot compute for 1" in text


def test_a_rule_test_may_expect_a_division_by_zero(tmp_path: Path, root: Path):
    pack = ratio_pack(tmp_path, root, "impressions / comments > limit")
    (tmp_path / "rules" / "tests").mkdir()
    (tmp_path / "rules" / "tests" / "ratio.yaml").write_text(
        """tests:
  - name: no comments
    posts:
      - {id: p, metrics: {impressions: 500, comments: 0}}
      - {id: q, metrics: {impressions: 500}}
    expect:
      - {rule: comment-starved, post: p, outcome: undefined}
      - {rule: comment-starved, post: q, outcome: undefined}
""",
        encoding="utf-8",
    )
    failures = [str(f) for f in run_rule_tests(tmp_path / "rules", pack).failures]
    assert failures == [
        'rules/tests/ratio.yaml:8:9: test "no comments": comment-starved on post q: '
        "expected undefined, got no_data (impressions=500, comments=missing, limit=1000)"
    ]


def _old_and(parts):
    """The combination that failed on a part without a metric (before the fix)."""
    true = np.logical_and.reduce([p.true for p in parts])
    false = np.logical_or.reduce([p.false for p in parts])
    return expr.Truth(true, true | false, False)


def _fails_on_missing(func, left, right):
    if np.isnan(np.asarray(left.value, dtype=float)).any():
        raise ValueError("a missing value")
    return ORIGINAL_COMPARE(func, left, right)


def _fails_on_no_rows(func, left, right):
    if np.asarray(left.value).shape == (0,):
        raise IndexError("no rows")
    return ORIGINAL_COMPARE(func, left, right)


ORIGINAL_COMPARE = expr._compare


@pytest.mark.parametrize(
    ("name", "broken", "condition", "label"),
    [
        ("_and", _old_and, "enabled > 0 and engagement_rate < min_rate", "no rows"),
        ("_compare", _fails_on_missing, "engagement_rate < min_rate", "values that are"),
        ("_compare", _fails_on_no_rows, "engagement_rate < min_rate", "no rows"),
    ],
)
def test_rules_check_refuses_a_condition_that_fails_on_sample_values(
    name, broken, condition: str, label: str, tmp_path: Path, root: Path, monkeypatch
):
    # A compiler slip that lets a condition through which then fails at run time:
    # the check tries every condition on sample rows, so the pack is refused.
    monkeypatch.setattr(expr, name, broken)
    rules = pack_with(tmp_path, root, condition)
    _, problems = check_pack(rules, root / "narratives")
    failing = [p for p in problems if p.rule == "switchable"]
    assert len(failing) == 1
    assert str(failing[0]).startswith(
        f'rules/switch.yaml:2:5: rule "switchable": the rule fails when evaluated on {label}'
    )
    assert str(failing[0]).endswith("simplify its condition, and please report this as a bug")


def test_the_shipped_rules_pass_the_sample_values(pack: Pack):
    for rule in pack.ruleset.rules:
        assert check_rule_conditions(rule) == []
