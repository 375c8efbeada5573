"""`narrator rules test`: the shipped pack's own tests pass, and failures read well."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.pack import Pack, load_pack
from bot.rule_tests import rule_test_files, run_rule_tests


def test_the_shipped_rule_tests_pass(root: Path, pack: Pack):
    report = run_rule_tests(root / "rules", pack)
    assert [str(f) for f in report.failures] == []
    assert report.tests >= 15


def test_every_shipped_rule_is_tested_on_both_sides(root: Path, pack: Pack):
    """Each rule has at least one expectation that it fires and one that it stays quiet."""
    from ruamel.yaml import YAML

    seen: dict[str, set[str]] = {}
    for path in rule_test_files(root / "rules"):
        for case in YAML(typ="safe").load(path.read_text())["tests"]:
            for expected in case["expect"]:
                seen.setdefault(expected["rule"], set()).add(expected["outcome"])
    for rule_id in pack.ruleset.ids:
        assert {"fired", "quiet"} <= seen.get(rule_id, set()), rule_id


def run_fixture(text: str, tmp_path: Path, root: Path) -> list[str]:
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "tests").mkdir()
    (rules / "tests" / "case.yaml").write_text(text, encoding="utf-8")
    pack = load_pack(rules, root / "narratives")
    return [str(f) for f in run_rule_tests(rules, pack).failures]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            """tests:
  - name: wrong outcome
    posts:
      - {id: p, metrics: {impressions_per_member_reached: 4.9, impressions: 100, members_reached: 20}}
    expect:
      - {rule: narrow-audience, post: p, outcome: fired}
""",
            [
                'rules/tests/case.yaml:6:9: test "wrong outcome": narrow-audience on post p: '
                "expected fired, got quiet (impressions_per_member_reached=4.9, impressions=100, "
                "members_reached=20, max_ratio=5). max_ratio is 5 in rules/distribution.yaml, and "
                "this expectation holds only with max_ratio below 4.9: it was written for another "
                "max_ratio. If the change is meant, update the test (expect quiet, or change its "
                "numbers); if not, set max_ratio back"
            ],
        ),
        (
            """tests:
  - name: wrong words
    posts:
      - {id: p, metrics: {impressions_per_member_reached: 6, impressions: 1200, members_reached: 200}}
    expect:
      - {rule: narrow-audience, post: p, outcome: fired, says: ["1:7"]}
""",
            [
                'rules/tests/case.yaml:6:9: test "wrong words": narrow-audience on post p: expected '
                "the narrative to say '1:7'; it says: *Narrow audience.* 1,200 impressions came from "
                "200 people (1:6.0): each saw it about 6 times. That is past 1:5, where LinkedIn "
                "stops finding new readers and keeps serving the same small circle. Write the "
                "opening of your next post like #1 for someone outside your usual circle, so "
                "LinkedIn finds new readers instead of repeating it to the same 200."
            ],
        ),
        (
            """tests:
  - name: typos
    posts:
      - {id: p, metrics: {impresions: 4}}
    expect:
      - {rule: narrow-audiance, post: p, outcome: fired}
""",
            [
                "rules/tests/case.yaml:4:27: test \"typos\": unknown post metric 'impresions' "
                "(did you mean 'impressions'?)"
            ],
        ),
        (
            """tests:
  - name: unknown rule and post
    posts:
      - {id: p, metrics: {impressions: 4}}
    expect:
      - {rule: narrow-audiance, post: p, outcome: fired}
      - {rule: narrow-audience, post: q, outcome: fired}
      - {rule: off-target, post: p, outcome: fired}
""",
            [
                'rules/tests/case.yaml:6:9: test "unknown rule and post": unknown rule '
                "'narrow-audiance' (did you mean 'narrow-audience'?)",
                "rules/tests/case.yaml:7:9: test \"unknown rule and post\": unknown post 'q'",
                'rules/tests/case.yaml:8:9: test "unknown rule and post": off-target judges '
                "accounts, not posts; name the account instead",
            ],
        ),
        (
            """tests:
  - name: malformed
    posts:
      - {id: p}
    expect:
      - {rule: narrow-audience, post: p, outcome: fires}
""",
            [
                "rules/tests/case.yaml:4:9: posts, item 1: give the post either "
                "'metrics', or 'snapshots' / 'hourly'",
                "rules/tests/case.yaml:6:51: expect, item 1, outcome: 'fires' is not allowed: "
                "Input should be 'fired', 'quiet', 'not_ready', 'no_data' or 'undefined'",
            ],
        ),
        (
            """tests:
  - name: snapshots need a moment
    posts:
      - {id: p, published_at: 2026-03-01T09:00:00Z, snapshots: [{hours: 1, impressions: 5}]}
    expect:
      - {rule: narrow-audience, post: p, outcome: no_data}
""",
            [
                'rules/tests/case.yaml:2:11: test "snapshots need a moment": posts given by '
                "snapshots need the test's 'at' time"
            ],
        ),
        (
            """tests:
  - name: a time without a zone
    at: 2026-03-05T09:00:00Z
    posts:
      - {id: p, published_at: 2026-03-01T09:00:00, snapshots: [{hours: 1, impressions: 5}]}
    expect:
      - {rule: narrow-audience, post: p, outcome: no_data}
""",
            [
                "rules/tests/case.yaml:5:31: posts, item 1, published_at: '2026-03-01T09:00:00' has no "
                "time zone: add Z for UTC or an offset such as +01:00"
            ],
        ),
        (
            """tests:
  - name: a missing colon
    posts:
      - {id: p, metrics: {impressions: 4}}
    expect
      - {rule: narrow-audience, post: p, outcome: fired}
""",
            [
                'rules/tests/case.yaml:5:5: a colon is missing after the key: "expect"; '
                'write "expect:"'
            ],
        ),
    ],
    ids=["outcome", "says", "typo", "unknown", "malformed", "no-at", "no-zone", "yaml"],
)
def test_failures_say_where_and_what(text: str, expected: list[str], tmp_path: Path, root: Path):
    assert run_fixture(text, tmp_path, root) == expected


def test_a_rules_folder_without_tests_runs_none(tmp_path: Path, root: Path):
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    report = run_rule_tests(rules, load_pack(rules, root / "narratives"))
    assert (report.files, report.tests, report.failures) == (0, 0, ())


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("engagement.yaml", "min_rate: 0.02\n", "min_rate: 0.018\n"),
            "low-engagement on post low: expected fired, got quiet (post_age_hours=200, "
            "impressions=1206, engagement_rate=0.0199, interactions=24, min_rate=0.018, "
            "min_age_hours=24, min_impressions=200). min_rate is 0.018 in rules/engagement.yaml, "
            "and this expectation holds only with min_rate above 0.0199: it was written for "
            "another min_rate. If the change is meant, update the test (expect quiet, or change "
            "its numbers); if not, set min_rate back",
        ),
        (
            ("engagement.yaml", "params: {min_rate: 0.015}", "params: {min_rate: 0.017}"),
            "low-engagement on post page-ok: expected quiet, got fired (post_age_hours=200, "
            "impressions=1200, engagement_rate=0.016, interactions=40, min_rate=0.017, "
            "min_age_hours=24, min_impressions=200). min_rate is 0.017 in rules/engagement.yaml "
            "(the override for company pages), and this expectation holds only with min_rate "
            "0.016 or less: it was written for another min_rate. If the change is meant, update "
            "the test (expect fired, or change its numbers); if not, set min_rate back",
        ),
    ],
    ids=["default", "override"],
)
def test_a_changed_threshold_is_named_with_the_value_the_test_needs(
    edit: tuple[str, str, str], expected: str, tmp_path: Path, root: Path
):
    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules)
    name, old, new = edit
    text = (rules / name).read_text(encoding="utf-8")
    assert old in text
    (rules / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    failures = [
        str(f) for f in run_rule_tests(rules, load_pack(rules, root / "narratives")).failures
    ]
    assert any(f.endswith(expected) for f in failures), failures


def test_test_values_may_be_written_as_the_narrative_shows_them(tmp_path: Path, root: Path):
    text = """tests:
  - name: 1.99% is below the 2% floor
    posts:
      - {id: p, metrics: {engagement_rate: 1.99%, impressions: "1,206", interactions: 24, post_age_hours: 200}}
    expect:
      - {rule: low-engagement, post: p, outcome: fired, says: ["24 interactions on 1,206 impressions is 1.99%"]}
"""
    assert run_fixture(text, tmp_path, root) == []
