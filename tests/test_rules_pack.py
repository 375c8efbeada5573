"""The shipped rule pack on crafted posts: both sides of every threshold, and readiness."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bot.metrics import CATALOGUE
from bot.metrics.table import Table
from bot.pack import Pack
from bot.rules.engine import evaluate

# A mature, healthy post: no rule of the default pack fires on it.
HEALTHY: dict[str, float] = {
    "post_age_hours": 200.0,
    "hours_observed": 200.0,
    "followers": 800.0,
    "impressions": 1200.0,
    "members_reached": 600.0,
    "reactions": 30.0,
    "comments": 4.0,
    "reposts": 2.0,
    "saves": 2.0,
    "sends": 0.0,
    "clicks": 12.0,
    "profile_views": 4.0,
    "followers_gained": 1.0,
    "comment_replies": 1.0,
    "engagements": 212.0,
    "interactions": 38.0,
    "impressions_per_member_reached": 2.0,
    "engagement_rate": 0.032,
    "saves_shares": 4.0,
    "saves_shares_per_1k": 3.3,
    "impressions_per_follower": 1.5,
    "impressions_growth_48h": 0.3,
    "reach_growth_48h": 0.25,
    "growth_from_hour": 24.0,
    "early_interactions": 6.0,
    "early_engagement_rate": 0.05,
    "peak_hour": 2.0,
    "peak_hour_from": 2.0,
    "peak_hour_to": 2.0,
    "peak_gap_from": np.nan,
    "peak_gap_to": np.nan,
    "share_first_24h": 0.75,
    "share_first_24h_low": 0.75,
    "share_first_24h_high": 0.75,
    "share_48_72h": 0.07,
    "share_48_72h_low": 0.07,
    "share_48_72h_high": 0.07,
    "snapshot_gap_hours": 1.0,
    "beats_bigger": 0.0,
    "bigger_post": np.nan,
    "bigger_impressions": np.nan,
    "bigger_saves_shares": np.nan,
    "bigger_saves_shares_per_1k": np.nan,
    "click_through_rate": 0.01,
    "replies_per_comment": 0.25,
    "profile_views_per_1k": 3.3,
    "impressions_vs_account": 1.0,
    "engagement_rate_vs_account": 1.0,
    "saves_shares_per_1k_vs_account": 1.0,
}
EPS = 1e-6

Case = tuple[str, Callable[[dict[str, Any]], dict[str, float]], str]


def outcome(pack: Pack, rule_id: str, **overrides: float) -> str:
    row = {**HEALTHY, **overrides}
    frame = pd.DataFrame([row], index=pd.Index(["p"], name="post"))
    frame["account"] = "acme"
    return evaluate(pack.ruleset, frame).outcome(rule_id, "p")


def test_the_healthy_post_triggers_nothing(pack: Pack):
    assert set(HEALTHY) == set(CATALOGUE)
    frame = pd.DataFrame([HEALTHY], index=pd.Index(["p"], name="post"))
    assert evaluate(pack.ruleset, frame).findings() == []


CASES: list[Case] = [
    # narrow-audience: impressions per member reached above max_ratio
    (
        "narrow-audience",
        lambda p: {"impressions_per_member_reached": p["max_ratio"] + EPS},
        "fired",
    ),
    ("narrow-audience", lambda p: {"impressions_per_member_reached": p["max_ratio"]}, "quiet"),
    ("narrow-audience", lambda p: {"impressions_per_member_reached": np.nan}, "no_data"),
    # recycling-not-expanding: impressions growth >= min_growth and > multiple x reach growth
    (
        "recycling-not-expanding",
        lambda p: {
            "impressions_growth_48h": 1.5,
            "reach_growth_48h": 1.5 / p["growth_multiple"] - EPS,
        },
        "fired",
    ),
    (
        "recycling-not-expanding",
        lambda p: {"impressions_growth_48h": 1.5, "reach_growth_48h": 1.5 / p["growth_multiple"]},
        "quiet",
    ),
    (
        "recycling-not-expanding",
        lambda p: {"impressions_growth_48h": p["min_growth"], "reach_growth_48h": 0.0},
        "fired",
    ),
    (
        "recycling-not-expanding",
        lambda p: {"impressions_growth_48h": p["min_growth"] - EPS, "reach_growth_48h": 0.0},
        "quiet",
    ),
    (
        "recycling-not-expanding",
        lambda p: {
            "post_age_hours": p["min_age_hours"] - EPS,
            "impressions_growth_48h": 1.5,
            "reach_growth_48h": 0.1,
        },
        "not_ready",
    ),
    (
        "recycling-not-expanding",
        lambda p: {"impressions_growth_48h": 1.5, "reach_growth_48h": np.nan},
        "no_data",
    ),
    # low-engagement
    ("low-engagement", lambda p: {"engagement_rate": p["min_rate"] - EPS}, "fired"),
    ("low-engagement", lambda p: {"engagement_rate": p["min_rate"]}, "quiet"),
    (
        "low-engagement",
        lambda p: {"engagement_rate": 0.001, "post_age_hours": p["min_age_hours"] - EPS},
        "not_ready",
    ),
    (
        "low-engagement",
        lambda p: {"engagement_rate": 0.001, "impressions": p["min_impressions"] - 1},
        "not_ready",
    ),
    ("low-engagement", lambda p: {"engagement_rate": np.nan}, "no_data"),
    # hook-or-targeting: 80,000 impressions at 0.3 % is the textbook case
    ("hook-or-targeting", lambda p: {"impressions": 80000.0, "engagement_rate": 0.003}, "fired"),
    (
        "hook-or-targeting",
        lambda p: {"impressions": p["many_impressions"], "engagement_rate": p["max_rate"] - EPS},
        "fired",
    ),
    (
        "hook-or-targeting",
        lambda p: {"impressions": p["many_impressions"] - 1, "engagement_rate": 0.001},
        "quiet",
    ),
    (
        "hook-or-targeting",
        lambda p: {"impressions_vs_account": p["high_multiple"], "engagement_rate": 0.001},
        "fired",
    ),
    (
        "hook-or-targeting",
        lambda p: {"impressions_vs_account": p["high_multiple"] - EPS, "engagement_rate": 0.001},
        "quiet",
    ),
    (
        "hook-or-targeting",
        lambda p: {"impressions": 80000.0, "engagement_rate": p["max_rate"]},
        "quiet",
    ),
    # Unknown baseline but an absolute count that settles it: still fires (three-valued "or").
    (
        "hook-or-targeting",
        lambda p: {
            "impressions": 80000.0,
            "impressions_vs_account": np.nan,
            "engagement_rate": 0.003,
        },
        "fired",
    ),
    (
        "hook-or-targeting",
        lambda p: {"impressions_vs_account": np.nan, "engagement_rate": 0.003},
        "no_data",
    ),
    # top-saves-shares
    (
        "top-saves-shares",
        lambda p: {
            "saves_shares_per_1k_vs_account": p["standout_multiple"],
            "saves_shares_per_1k": p["min_per_1k"],
        },
        "fired",
    ),
    (
        "top-saves-shares",
        lambda p: {
            "saves_shares_per_1k_vs_account": p["standout_multiple"] - EPS,
            "saves_shares_per_1k": p["strong_per_1k"] - EPS,
        },
        "quiet",
    ),
    # ... or, where the account's usual is itself good, plainly above it and strong
    (
        "top-saves-shares",
        lambda p: {
            "saves_shares_per_1k_vs_account": p["clear_multiple"],
            "saves_shares_per_1k": p["strong_per_1k"],
        },
        "fired",
    ),
    (
        "top-saves-shares",
        lambda p: {
            "saves_shares_per_1k_vs_account": p["clear_multiple"] - EPS,
            "saves_shares_per_1k": 9.0,
        },
        "quiet",
    ),
    (
        "top-saves-shares",
        lambda p: {
            "saves_shares_per_1k_vs_account": 5.0,
            "saves_shares_per_1k": p["min_per_1k"] - EPS,
        },
        "quiet",
    ),
    ("top-saves-shares", lambda p: {"saves_shares_per_1k_vs_account": np.nan}, "no_data"),
    # strong-for-followers: 3,000 impressions on 800 followers is strong
    ("strong-for-followers", lambda p: {"impressions_per_follower": 3000 / 800}, "fired"),
    ("strong-for-followers", lambda p: {"impressions_per_follower": p["strong_ratio"]}, "fired"),
    (
        "strong-for-followers",
        lambda p: {"impressions_per_follower": p["strong_ratio"] - EPS},
        "quiet",
    ),
    (
        "strong-for-followers",
        lambda p: {"impressions_per_follower": 9.0, "post_age_hours": p["min_age_hours"] - EPS},
        "not_ready",
    ),
    ("strong-for-followers", lambda p: {"impressions_per_follower": np.nan}, "no_data"),
    # weak-for-followers: the same 3,000 impressions on 50,000 followers is a failure
    ("weak-for-followers", lambda p: {"impressions_per_follower": 3000 / 50000}, "fired"),
    ("weak-for-followers", lambda p: {"impressions_per_follower": p["weak_ratio"] - EPS}, "fired"),
    ("weak-for-followers", lambda p: {"impressions_per_follower": p["weak_ratio"]}, "quiet"),
    (
        "weak-for-followers",
        lambda p: {"impressions_per_follower": 0.01, "post_age_hours": p["min_age_hours"] - EPS},
        "not_ready",
    ),
]


@pytest.mark.parametrize(("rule_id", "make", "expected"), CASES)
def test_both_sides_of_each_threshold(pack: Pack, rule_id: str, make, expected: str):
    rule = pack.ruleset.get(rule_id)
    assert rule is not None, f"the shipped pack has no rule {rule_id}"
    assert outcome(pack, rule_id, **make(dict(rule.spec.params))) == expected


def test_each_rule_in_the_case_table_has_both_sides(pack: Pack):
    covered = {rule_id for rule_id, _, _ in CASES}
    assert covered <= set(pack.ruleset.ids)
    for rule_id in covered:
        outcomes = {expected for r, _, expected in CASES if r == rule_id}
        assert {"fired", "quiet"} <= outcomes, rule_id


def test_findings_carry_the_values_read_and_the_params(pack: Pack):
    frame = pd.DataFrame(
        [{**HEALTHY, "impressions_per_member_reached": 6.2}], index=pd.Index(["p"], name="post")
    )
    (finding,) = evaluate(pack.ruleset, frame).findings()
    assert finding.as_json() == {
        "rule": "narrow-audience",
        "post": "p",
        "severity": "warning",
        "values": {
            "impressions_per_member_reached": 6.2,
            "impressions": 1200.0,
            "members_reached": 600.0,
        },
        "params": {"max_ratio": 5},
    }


def test_findings_are_ordered_by_post_then_severity_then_rule(pack: Pack):
    rows = [
        {
            **HEALTHY,
            "impressions_per_follower": 4.0,
            "engagement_rate": 0.01,
            "impressions_per_member_reached": 6.0,
        },
        {**HEALTHY, "impressions_per_member_reached": 7.0},
    ]
    frame = pd.DataFrame(rows, index=pd.Index(["newer", "older"], name="post"))
    order = [(f.post, f.rule) for f in evaluate(pack.ruleset, frame).findings()]
    assert order == [
        ("newer", "low-engagement"),
        ("newer", "narrow-audience"),
        ("newer", "strong-for-followers"),
        ("older", "narrow-audience"),
    ]


def test_a_pandas_frame_is_judged_as_its_plain_float_columns_whatever_their_types(pack: Pack):
    """Rule tests and the backtest hand the engine pandas frames with nullable or int
    columns; replies hand it Tables of floats: the findings must not depend on which."""
    rng = np.random.default_rng(7)
    n = 40
    rows = {name: value * rng.uniform(0.2, 3.0, n) for name, value in HEALTHY.items()}
    rows["post_age_hours"] = rng.uniform(1, 300, n)
    typed = pd.DataFrame(rows, index=pd.Index([f"p{i:02d}" for i in range(n)], name="post"))
    typed["account"] = "acme"
    typed["engagement_rate"] = pd.array(typed["engagement_rate"], dtype="Float64")
    typed.loc[typed.index[::5], "engagement_rate"] = pd.NA
    typed["comments"] = typed["comments"].round().astype("int64")
    plain = Table.build(
        {
            **{
                name: typed[name].to_numpy(dtype=float, na_value=np.nan)
                for name in typed.columns
                if name != "account"
            },
            "account": np.array(["acme"] * n, dtype=object),
        },
        index=typed.index.tolist(),
        index_name="post",
    )
    found_typed = [(f.post, f.rule, f.values) for f in evaluate(pack.ruleset, typed).findings()]
    found_plain = [(f.post, f.rule, f.values) for f in evaluate(pack.ruleset, plain).findings()]
    assert found_typed == found_plain
    assert len({rule for _, rule, _ in found_typed}) >= 4  # the rows do trigger rules


def test_a_template_that_fails_on_some_values_costs_one_finding_not_the_reply(
    tmp_path: Path, root: Path
):
    """`rules check` renders one branch per template; a lead's edit can still fail on
    values it did not try. That finding says so, where and how to fix; the rest of
    the reply, and `rules test`, carry on."""
    from bot.commands.last10 import render_finding
    from bot.pack import load_pack
    from bot.rule_tests import run_rule_tests

    shutil.copytree(root / "narratives", tmp_path / "narratives")
    shutil.copytree(root / "rules", tmp_path / "rules", ignore=shutil.ignore_patterns("tests"))
    template = tmp_path / "narratives" / "en" / "rules" / "comment-signal.j2"
    text = template.read_text(encoding="utf-8")
    text = text.replace(
        " per comment): the count", " per comment, {{ (values.profile_views * 2)|num }}): the count"
    )
    template.write_text(text, encoding="utf-8")
    pack = load_pack(tmp_path / "rules", tmp_path / "narratives")
    row = {**HEALTHY, "comments": 65.0, "comment_replies": 1.0, "replies_per_comment": 0.015}
    row["profile_views"] = np.nan
    frame = pd.DataFrame([row], index=pd.Index(["p"], name="post"))
    frame["account"] = "acme"
    (finding,) = [f for f in evaluate(pack.ruleset, frame).findings() if f.rule == "comment-signal"]
    words = render_finding(
        pack, finding, account={"name": "Acme", "kind": None}, post={"number": 1}
    )
    assert words["error"].startswith(
        "rules/comment-signal.j2 line 5: TypeError: unsupported operand"
    )
    assert words["text"].startswith(
        "*comment-signal* fired, but its words failed: rules/comment-signal.j2 line 5"
    )
    assert words["text"].endswith(
        "Fix that line: it fails on these values (a rule test with them shows it before release)."
    )

    (tmp_path / "rules" / "tests").mkdir()
    (tmp_path / "rules" / "tests" / "case.yaml").write_text(
        """tests:
  - name: silent comments without profile views
    posts:
      - {id: q, metrics: {post_age_hours: 100, comments: 65, comment_replies: 1, replies_per_comment: 0.015, profile_views: null}}
    expect:
      - {rule: comment-signal, post: q, outcome: fired}
""",
        encoding="utf-8",
    )
    failures = [str(f) for f in run_rule_tests(tmp_path / "rules", pack).failures]
    assert len(failures) == 1
    assert (
        "comment-signal on post q: its words failed: rules/comment-signal.j2 line 5: TypeError"
        in failures[0]
    )
