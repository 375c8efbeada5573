"""What a rule pack may hold: its own regular files of bounded size, nothing that
leads out of it, and YAML whose size once read is bounded too (issue #10)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from jinja2 import TemplateError

from bot.pack import check_pack

SECRET = "SLACK_BOT_TOKEN=xoxb-not-a-real-token"

RULE = """  - id: {id}
    description: d
    severity: info
    condition: impressions > {number}
"""


@pytest.fixture
def workspace(tmp_path: Path, root: Path) -> Path:
    shutil.copytree(root / "rules", tmp_path / "rules")
    # English alone: these tests add and break files of one language (the others
    # would each lack them: tests/test_languages.py covers that).
    shutil.copytree(root / "narratives" / "en", tmp_path / "narratives" / "en")
    return tmp_path


def check(workspace: Path) -> list[str]:
    _, problems = check_pack(workspace / "rules", workspace / "narratives", "en")
    return [str(p) for p in problems]


def include_in_a_partial(workspace: Path, name: str) -> None:
    partial = workspace / "narratives" / "en" / "partials" / "definitions.j2"
    partial.write_text(partial.read_text() + f'{{% include "{name}" %}}\n')


@pytest.mark.parametrize("target", ["a file outside", "/proc/self/environ"])
def test_a_template_linked_out_of_the_pack_is_refused_and_never_read(workspace: Path, target: str):
    if target == "a file outside":
        outside = workspace / "secrets.env"
        outside.write_text(SECRET)
        target = str(outside)
    (workspace / "narratives" / "en" / "partials" / "env.j2").symlink_to(target)
    include_in_a_partial(workspace, "partials/env.j2")
    pack, problems = check_pack(workspace / "rules", workspace / "narratives", "en")
    messages = [str(p) for p in problems]
    assert messages[0].startswith("narratives/en/partials/env.j2: leads through a link to ")
    assert messages[0].endswith(
        ", outside narratives/; a rule pack may only read its own files: copy the file "
        "into the folder instead of linking to it"
    )
    assert len(messages) > 1  # the partial that includes it fails too, saying why
    assert all("xoxb" not in m and "SLACK_" not in m for m in messages)
    with pytest.raises(TemplateError, match="outside narratives/") as raised:
        pack.narrator.render("partials/env.j2")
    assert "xoxb" not in str(raised.value)


def test_a_rule_file_linked_out_of_the_pack_is_refused(workspace: Path):
    outside = workspace / "elsewhere.yaml"
    outside.write_text("rules:\n" + RULE.format(id="extra", number=1))
    (workspace / "rules" / "extra.yaml").symlink_to(outside)
    messages = check(workspace)
    assert messages == [
        f"rules/extra.yaml: leads through a link to {outside}, outside rules/; a rule pack "
        "may only read its own files: copy the file into the folder instead of linking to it"
    ]


def test_a_linked_folder_is_refused_whatever_it_holds(workspace: Path):
    shared = workspace / "shared"
    shared.mkdir()
    (shared / "x.j2").write_text("fine")
    (workspace / "narratives" / "en" / "shared").symlink_to(shared)
    assert check(workspace) == [
        "narratives/en/shared: is a link to a folder; a rule pack holds its own folders "
        "only: copy the folder in instead of linking to it"
    ]


def test_a_link_to_a_file_inside_the_pack_is_followed(workspace: Path):
    partials = workspace / "narratives" / "en" / "partials"
    (partials / "alias.j2").symlink_to("header.j2")
    include_in_a_partial(workspace, "partials/alias.j2")
    assert check(workspace) == []


@pytest.mark.parametrize("found_once", [False, True])
def test_a_link_anywhere_in_a_path_is_resolved_before_it_is_read(tmp_path: Path, found_once: bool):
    """`read_pack_file` looks at the names below the pack's folder one by one: a link
    in the middle of a path (a folder swapped for one after the pack was surveyed) is
    resolved in full, and read only if it still leads inside."""
    from bot.limits import PackFileError, read_pack_file

    outside = tmp_path / "outside"
    (outside / "rules").mkdir(parents=True)
    (outside / "rules" / "x.j2").write_text(SECRET)
    pack = tmp_path / "pack" / "narratives"
    (pack / "en" / "partials").mkdir(parents=True)
    (pack / "en" / "partials" / "x.j2").write_text("inside")
    (pack / "en" / "rules").symlink_to(outside / "rules")
    (pack / "fr").symlink_to(pack / "en")  # stays inside
    # Reached through a link to the pack itself: the real root is the link's target.
    alias = tmp_path / "alias"
    alias.symlink_to(pack)
    real = os.path.realpath(alias) if found_once else None

    assert read_pack_file(alias / "en" / "partials" / "x.j2", alias, real) == b"inside"
    assert read_pack_file(alias / "fr" / "partials" / "x.j2", alias, real) == b"inside"
    with pytest.raises(
        PackFileError, match=r"leads through a link to .*/outside/rules/x.j2, outside alias/"
    ):
        read_pack_file(alias / "en" / "rules" / "x.j2", alias, real)
    with pytest.raises(PackFileError, match="outside alias/"):
        read_pack_file(
            alias / "en" / ".." / ".." / ".." / "outside" / "rules" / "x.j2", alias, real
        )


def test_a_pipe_is_refused_not_waited_on(workspace: Path):
    os.mkfifo(workspace / "rules" / "notes.yaml")
    os.mkfifo(workspace / "narratives" / "en" / "partials" / "pipe.j2")
    assert check(workspace) == [
        "narratives/en/partials/pipe.j2: is a pipe, socket or device, not a file; "
        "remove it from the rule pack",
        "rules/notes.yaml: is a pipe, socket or device, not a file; remove it from the rule pack",
    ]


def test_files_over_the_size_limit_are_refused(workspace: Path):
    (workspace / "rules" / "big.yaml").write_text("rules: []\n" + "# padding\n" * 30_000)
    template = workspace / "narratives" / "en" / "rules" / "widening.j2"
    template.write_text(template.read_text() + "{# " + "x" * 300_000 + " #}")
    assert check(workspace) == [
        "narratives/en/rules/widening.j2: is 294 KB; a rule pack file may be at most 256 KB: "
        "split it into several files",
        "rules/big.yaml: is 293 KB; a rule pack file may be at most 256 KB: "
        "split it into several files",
    ]


def test_a_very_long_yaml_line_is_refused_before_it_is_parsed(workspace: Path):
    # ruamel.yaml reads a long comment inside a mapping in quadratic time.
    (workspace / "rules" / "long.yaml").write_text(
        "rules:\n  - id: a\n    # " + "x" * 200_000 + "\n    description: d\n"
    )
    assert check(workspace) == [
        "rules/long.yaml:3:4001: the line is 200,006 characters long; a line may be at most "
        "4,000: break it up"
    ]


def test_a_yaml_alias_bomb_is_refused_where_it_expands(workspace: Path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    (workspace / "rules" / "bomb.yaml").write_text("\n".join(lines) + "\nrules: []\n")
    (problem,) = check(workspace)
    assert problem.startswith("rules/bomb.yaml:")
    assert problem.endswith(
        ": holds more than 20,000 values once its aliases (*name) are expanded; "
        "write the values out instead"
    )


def test_an_alias_for_shared_params_still_loads(workspace: Path):
    (workspace / "rules" / "shared.yaml").write_text(
        "rules:\n"
        "  - id: one\n    description: d\n    severity: info\n"
        "    condition: impressions > least\n    params: &common {least: 3}\n"
        "  - id: two\n    description: d\n    severity: info\n"
        "    condition: impressions > least\n    params: *common\n"
    )
    for name in ("one", "two"):
        (workspace / "narratives" / "en" / "rules" / f"{name}.j2").write_text(
            "{% block finding %}Seen {{ values.impressions|num }}.{% endblock %}"
        )
    assert check(workspace) == []


def test_deeply_nested_yaml_is_refused_where_it_gets_too_deep(workspace: Path):
    (workspace / "rules" / "deep.yaml").write_text("rules:\n  - " + "[" * 1000 + "]" * 1000 + "\n")
    assert check(workspace) == [
        "rules/deep.yaml:2:69: brackets are nested more than 64 deep; a rule file needs a "
        "few levels at most"
    ]


@pytest.mark.parametrize("digits", [17, 400])
def test_a_huge_number_in_a_rule_file_is_refused_where_it_is_written(workspace: Path, digits: int):
    (workspace / "rules" / "huge.yaml").write_text(
        "rules:\n"
        "  - id: huge\n    description: d\n    severity: info\n"
        "    condition: impressions > least\n"
        f"    params: {{least: 1{'0' * (digits - 1)}}}\n"
    )
    assert check(workspace) == [
        f"rules/huge.yaml:6:21: a number {digits:,} digits long; numbers in a rule pack go "
        "up to 1,000,000,000,000,000"
    ]


def test_a_huge_number_in_a_condition_is_refused_where_it_is_written(workspace: Path):
    (workspace / "rules" / "huge.yaml").write_text(
        "rules:\n" + RULE.format(id="huge", number="1" + "0" * 399)
    )
    assert check(workspace) == [
        'rules/huge.yaml:5:30: rule "huge": condition: a number 400 digits long; numbers in '
        "a rule pack go up to 1,000,000,000,000,000"
    ]


def test_too_many_rules_are_refused_before_they_are_checked(workspace: Path):
    rules = "".join(RULE.format(id=f"r{n}", number=n) for n in range(201))
    (workspace / "rules" / "many.yaml").write_text("rules:\n" + rules)
    assert check(workspace) == [
        "rules/many.yaml:1:1: holds 201 rules; a rule pack may hold at most 200: merge or drop some"
    ]
    for part in ("one", "two"):
        rules = "".join(RULE.format(id=f"{part}{n}", number=n) for n in range(100))
        (workspace / "rules" / f"{part}.yaml").write_text("rules:\n" + rules)
    (workspace / "rules" / "many.yaml").unlink()
    assert check(workspace) == [
        f"rules: holds {200 + 17} rules in all; a rule pack may hold at most 200: "
        "merge or drop some"
    ]
