"""Broken rule files, one per kind of mistake, each with the exact message a lead will read.

Each tests/rule_files/*.bad.yaml names its expected messages in `# expect:` lines
({file} stands for the file's place, rules/<name>.yaml); *.good.yaml must load clean.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.pack import check_pack
from bot.rules.yamlfile import parse_yaml

FIXTURES = Path(__file__).parent / "rule_files"


def expected_messages(fixture: Path, display: str) -> list[str]:
    lines = fixture.read_text(encoding="utf-8").splitlines()
    return [
        line.split("# expect: ", 1)[1].replace("{file}", display)
        for line in lines
        if line.startswith("# expect: ")
    ]


def check_fixture(fixture: Path, tmp_path: Path, root: Path) -> list[str]:
    rules = tmp_path / "rules"
    rules.mkdir()
    name = fixture.name.replace(".bad.yaml", ".yaml").replace(".good.yaml", ".yaml")
    shutil.copy(fixture, rules / name)
    _, problems = check_pack(rules, root / "narratives", "en")
    return [str(p) for p in problems]


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.bad.yaml")), ids=lambda p: p.stem)
def test_bad_rule_file_gives_exact_messages(fixture: Path, tmp_path: Path, root: Path):
    display = "rules/" + fixture.name.replace(".bad.yaml", ".yaml")
    expected = expected_messages(fixture, display)
    assert expected, f"{fixture.name} has no '# expect:' line"
    assert check_fixture(fixture, tmp_path, root) == expected


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.good.yaml")), ids=lambda p: p.stem)
def test_good_rule_file_loads_clean(fixture: Path, tmp_path: Path, root: Path):
    assert check_fixture(fixture, tmp_path, root) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      min_rate: 0.02\n",
            "      min_rate 0.02\n",
            'rules/engagement.yaml:11:7: a colon is missing after the key: "min_rate 0.02"; '
            'write "min_rate: 0.02"',
        ),
        (
            "  - id: low-engagement\n",
            "  - id low-engagement\n",
            'rules/engagement.yaml:3:5: a colon is missing after the key: "- id low-engagement"; '
            'write "- id: low-engagement"',
        ),
        (
            "rules:\n",
            "rules\n",
            'rules/engagement.yaml:2:1: a colon is missing after the key: "rules"; write "rules:"',
        ),
        (
            "      min_rate: 0.02\n",
            "      min_rate:0.02\n",
            'rules/engagement.yaml:11:7: a colon needs a space after it: "min_rate:0.02"; '
            'write "min_rate: 0.02"',
        ),
        (
            "      min_rate: 0.02\n",
            "      min_rate 0.02  # the floor\n",
            'rules/engagement.yaml:11:7: a colon is missing after the key: "min_rate 0.02  # the '
            'floor"; write "min_rate: 0.02  # the floor"',
        ),
        (
            "  - id: low-engagement\n",
            "  - id low-engagement  # the name\n",
            'rules/engagement.yaml:3:5: a colon is missing after the key: "- id low-engagement  # '
            'the name"; write "- id: low-engagement  # the name"',
        ),
    ],
    ids=[
        "first-key-of-params",
        "first-key-of-list-item",
        "top-level-key",
        "no-space-first-key",
        "comment-after-first-key-of-params",
        "comment-after-first-key-of-list-item",
    ],
)
def test_a_key_without_its_colon_is_told_on_its_own_line(
    old: str, new: str, expected: str, tmp_path: Path, root: Path
):
    """The first key of a mapping, written without its colon, runs on into the next
    line as one value, and the parser stops at the next line's colon: the message
    names the line that lacks the colon, not the next one."""
    rules = tmp_path / "rules"
    rules.mkdir()
    text = (root / "rules" / "engagement.yaml").read_text(encoding="utf-8")
    assert old in text
    (rules / "engagement.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    _, problems = check_pack(rules, root / "narratives", "en")
    assert [str(p) for p in problems] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "tests:\n  - name: one\n    hourly {impressions: [300, 400]}\n",
            'f.yaml:3:5: a colon is missing after the key: "hourly {impressions: [300, 400]}"; '
            'write "hourly: {impressions: [300, 400]}"',
        ),
        (
            "defaults:\n  post {impressions: 1200, clicks: 12}\n",
            'f.yaml:2:3: a colon is missing after the key: "post {impressions: 1200, clicks: 12}"; '
            'write "post: {impressions: 1200, clicks: 12}"',
        ),
        # A value that runs on from a key's line is not a key without its colon.
        (
            "description: Same people\n  again\n  and: again\n",
            'f.yaml:3:6: the value has a colon and a space in it: "and: again"; put the whole '
            "value in quotes: \"and: 'again'\"",
        ),
    ],
    ids=["key-before-braces-later", "key-before-braces-first", "value-running-on"],
)
def test_a_key_without_its_colon_on_its_own_line_or_not(text: str, expected: str):
    _, problems = parse_yaml(text, "f.yaml")
    assert [str(p) for p in problems] == [expected]


def test_the_shipped_pack_has_no_problems(root: Path):
    pack, problems = check_pack(root / "rules", root / "narratives", "en")
    assert [str(p) for p in problems] == []
    assert len(pack.ruleset.rules) >= 7


def test_an_empty_or_missing_rules_folder_is_a_problem(tmp_path: Path, root: Path):
    (tmp_path / "rules").mkdir()
    _, problems = check_pack(tmp_path / "rules", root / "narratives", "en")
    assert [p.message for p in problems] == ["holds no *.yaml rule files"]
    _, problems = check_pack(tmp_path / "nowhere", root / "narratives", "en")
    assert [p.message for p in problems] == ["no such folder of rule files"]


def test_a_misspelt_threshold_in_against_is_a_problem(tmp_path: Path, root: Path):
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    template = tmp_path / "narratives" / "en" / "rules" / "low-engagement.j2"
    text = template.read_text(encoding="utf-8")
    assert "against=params.min_rate)" in text
    template.write_text(text.replace("against=params.min_rate)", "against=params.min_rat)"))
    _, problems = check_pack(root / "rules", tmp_path / "narratives", "en")
    assert problems
    assert any("min_rat" in str(p) and "low-engagement" in str(p) for p in problems), problems


def test_a_language_without_templates_is_one_clear_problem(root: Path):
    _, problems = check_pack(root / "rules", root / "narratives", "de")
    assert [str(p) for p in problems] == [
        "narratives/de: no templates in language 'de' (there are: en, fr); copy narratives/en to "
        "narratives/de and translate it, or set NARRATOR_LOCALE to one of those"
    ]


def test_numbers_written_as_the_narrative_shows_them_are_read_exactly(tmp_path: Path, root: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "engagement.yaml").write_text(
        (root / "rules" / "engagement.yaml")
        .read_text(encoding="utf-8")
        .replace("min_rate: 0.02", "min_rate: 2%")
        .replace("min_impressions: 200", "min_impressions: 1,200")
        .replace("params: {min_rate: 0.015}", "params: {min_rate: 1.5 %}"),
        encoding="utf-8",
    )
    pack, problems = check_pack(rules, root / "narratives", "en")
    assert [str(p) for p in problems] == []
    rule = pack.ruleset.get("low-engagement")
    assert rule is not None
    assert rule.spec.params["min_rate"] == 0.02
    assert rule.spec.params["min_impressions"] == 1200
    assert isinstance(rule.spec.params["min_impressions"], int)
    assert rule.spec.overrides[0].params["min_rate"] == 0.015


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "values.engagement_rate|pct(",
            "values.engagement_rate|percnt(",
            ":2:135: rule \"low-engagement\": unknown filter 'percnt' (did you mean 'pct'?)",
        ),
        (
            "{% if values.engagement_rate <",
            "{% if values.engagement_rate is numbr and values.engagement_rate <",
            ":2:200: rule \"low-engagement\": unknown test 'numbr' (did you mean 'number'?)",
        ),
        (
            "{{ values.interactions|num }}",
            "{{ valus.interactions|num }}",
            ":2:22: rule \"low-engagement\": unknown name 'valus' (did you mean 'values'?)",
        ),
        (
            "{{ values.interactions|num }}",
            "{{ values.interaction|num }}",
            ":2:29: rule \"low-engagement\": template reads 'interaction', which the rule does "
            "not provide (did you mean 'interactions'?)",
        ),
    ],
    ids=["filter", "test", "name", "value"],
)
def test_template_mistakes_give_line_column_and_the_name_meant(
    old: str, new: str, expected: str, tmp_path: Path, root: Path
):
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    template = tmp_path / "narratives" / "en" / "rules" / "low-engagement.j2"
    text = template.read_text(encoding="utf-8")
    assert old in text
    template.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, problems = check_pack(root / "rules", tmp_path / "narratives", "en")
    assert [str(p) for p in problems] == ["narratives/en/rules/low-engagement.j2" + expected]
