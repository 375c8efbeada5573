"""Conditions the loader accepts never fail at run time: in replies, `why`,
`rules test` and `rules backtest`, whatever the shape of their parts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.commands import handle
from bot.demo import DEMO_NOW
from bot.pack import load_pack
from bot.store import Store

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
