"""Per-account and per-kind overrides: which value applies, and the narrative shows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.pack import check_pack
from bot.rules.engine import evaluate, resolve_params
from bot.rules.loader import RuleSet, load_rules

RULES = """rules:
  - id: narrow-audience
    description: Same people again and again.
    severity: warning
    condition: impressions_per_member_reached > max_ratio
    params: {max_ratio: 5}
    shows: [impressions, members_reached]
    overrides:
      - account_kind: organization
        params: {max_ratio: 8}
      - account: acme
        params: {max_ratio: 3}
"""


@pytest.fixture
def ruleset(tmp_path: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(RULES)
    loaded, problems = load_rules(rules)
    assert problems == []
    return loaded


def frame(rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account": [r[1] for r in rows],
            "account_kind": [r[2] for r in rows],
            "impressions_per_member_reached": [r[3] for r in rows],
            "impressions": 1000.0,
            "members_reached": 100.0,
        },
        index=pd.Index([r[0] for r in rows], name="post"),
    )


def test_the_most_specific_value_applies(ruleset):
    posts = frame(
        [
            ("person", "jane", "member", 6.0),
            ("page", "globex", "organization", 6.0),
            ("acme-page", "acme", "organization", 4.0),  # account beats kind
            ("unknown-kind", "x", None, 6.0),
        ]
    )
    params, sources = resolve_params(ruleset.rules[0], posts)
    assert params["max_ratio"].tolist() == [5, 8, 3, 5]
    assert sources["max_ratio"].tolist() == [
        "default",
        "kind:organization",
        "account:acme",
        "default",
    ]
    evaluation = evaluate(ruleset, posts)
    fired = {
        f.subject: (f.params["max_ratio"], f.param_sources["max_ratio"])
        for f in evaluation.findings()
    }
    assert fired == {
        "person": (5, "default"),
        "acme-page": (3, "account:acme"),
        "unknown-kind": (5, "default"),
    }


def test_without_a_matching_override_params_stay_scalars(ruleset):
    params, sources = resolve_params(ruleset.rules[0], frame([("p", "jane", "member", 1.0)]))
    assert params == {"max_ratio": 5}
    assert sources == {"max_ratio": "default"}
    assert not isinstance(params["max_ratio"], np.ndarray)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "      - account_kind: organization\n        params: {max_rate: 8}\n",
            'rules/r.yaml:10:18: rule "narrow-audience": override for kind organization sets '
            "'max_rate', which is not one of the rule's params (did you mean 'max_ratio'?)",
        ),
        (
            "      - account_kind: company\n        params: {max_ratio: 8}\n",
            "rules/r.yaml:9:23: rule \"narrow-audience\": overrides, item 1, account_kind: 'company' is not "
            "allowed: one of member, organization",
        ),
        (
            "      - params: {max_ratio: 8}\n",
            "rules/r.yaml:9:9: rule \"narrow-audience\": overrides, item 1: give either 'account' or "
            "'account_kind' (exactly one)",
        ),
        (
            "      - account: acme\n        acount_kind: member\n        params: {max_ratio: 8}\n",
            "rules/r.yaml:10:9: rule \"narrow-audience\": unknown key 'acount_kind' (did you mean "
            "'account_kind'?)",
        ),
    ],
)
def test_bad_overrides_are_located(override: str, message: str, tmp_path: Path, root: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    text = RULES.split("    overrides:\n")[0] + "    overrides:\n" + override
    (rules / "r.yaml").write_text(text)
    _, problems = check_pack(rules, root / "narratives")
    assert [str(p) for p in problems] == [message]


def test_shipped_overrides_show_the_value_that_applied(pack):
    from bot.commands.last10 import render_finding

    posts = frame([("page", "globex", "organization", 2.0), ("me", "jane", "member", 2.0)])
    posts["post_age_hours"] = 100.0
    posts["engagement_rate"] = 0.012
    posts["interactions"] = 12.0
    rule = pack.ruleset.get("low-engagement")
    findings = evaluate(RuleSet((rule,), ()), posts).findings()
    assert [(f.subject, f.params["min_rate"]) for f in findings] == [("page", 0.015), ("me", 0.02)]
    account = {"id": "globex", "name": "Globex", "kind": "organization", "followers": None}
    page, person = (
        render_finding(
            pack, f, account=account, post={"id": f.subject, "number": 1, "age_hours": 100.0}
        )
        for f in findings
    )
    assert "below the 1.5% floor set for company pages" in page["text"]
    assert "below the 2% that meaningful B2B content clears" in person["text"]
