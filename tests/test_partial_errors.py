"""A mistake in a partial (a template that layouts, messages and rule templates pull
in with include, import or from) is named where it is: the partial's file, line and
column, once, however many templates pull the partial in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.pack import check_pack

PARTIALS = "narratives/en/partials"


@pytest.fixture
def workspace(tmp_path: Path, root: Path) -> Path:
    shutil.copytree(root / "rules", tmp_path / "rules", ignore=shutil.ignore_patterns("tests"))
    # English alone: these tests break files of one language.
    shutil.copytree(root / "narratives" / "en", tmp_path / "narratives" / "en")
    return tmp_path


def edit(workspace: Path, name: str, line: int, old: str, new: str) -> None:
    """Replace `old` with `new` on `line` (1-based) of partials/`name`."""
    path = workspace / PARTIALS / name
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], f"{name}:{line} no longer holds {old!r}"
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def check(workspace: Path, **options: bool) -> list[str]:
    _, problems = check_pack(workspace / "rules", workspace / "narratives", "en", **options)
    return [str(p) for p in problems]


# (partial, line, text there, the mistake, what `rules check` says). pending.j2 is
# included by last10.j2, messages/post.j2 and (through partials/digest-account.j2)
# digest.j2; numbers.j2 is imported by twelve rule templates and by pending.j2.
MISTAKES = {
    "unknown-filter": (
        "table.j2",
        4,
        "|compact|rjust(11)",
        "|compcat|rjust(11)",
        "table.j2:4:129: unknown filter 'compcat' (did you mean 'compact'?)",
    ),
    "unknown-filter-included-thrice": (
        "pending.j2",
        36,
        "|age }}",
        "|aeg }}",
        "pending.j2:36:46: unknown filter 'aeg' (did you mean 'age'?)",
    ),
    "unknown-name": (
        "pending.j2",
        36,
        "{{ rule_count }}",
        "{{ rule_cuont }}",
        "pending.j2:36:101: unknown name 'rule_cuont' (did you mean 'rule_count'?)",
    ),
    "undefined-value": (
        "table.j2",
        4,
        "p.impressions|compact",
        "p.impresions|compact",
        "table.j2:4:117: template reads an undefined value: 'dict object' has no attribute "
        "'impresions'",
    ),
    "syntax-error": (
        "table.j2",
        4,
        "{{ p.number|string|rjust(2) }}",
        "{{ p.number|string|rjust(2) }",
        "table.j2:4: template syntax error: unexpected '}'",
    ),
    "macro-unknown-filter": (
        "numbers.j2",
        3,
        "{{ item }}",
        "{{ item|upperr }}",
        "numbers.j2:3:379: unknown filter 'upperr' (did you mean 'upper'?)",
    ),
    # The names a macro could read there, its loop's included: not any one rule's.
    "macro-unknown-name": (
        "numbers.j2",
        3,
        "{{ item }}",
        "{{ itme }}",
        "numbers.j2:3:374: unknown name 'itme' (did you mean 'item'?)",
    ),
    "macro-undefined-value": (
        "numbers.j2",
        3,
        "{{ item }}",
        "{{ item.nope }}",
        "numbers.j2:3:379: template reads an undefined value: 'str object' has no attribute 'nope'",
    ),
    "macro-syntax-error": (
        "numbers.j2",
        3,
        "{{ item }}",
        "{{ item }",
        "numbers.j2:3: template syntax error: unexpected '}'",
    ),
}


@pytest.mark.parametrize(("name", "line", "old", "new", "said"), MISTAKES.values(), ids=MISTAKES)
def test_a_mistake_in_a_partial_is_named_in_the_partial_once(
    workspace: Path, name: str, line: int, old: str, new: str, said: str
):
    edit(workspace, name, line, old, new)
    assert check(workspace) == [f"{PARTIALS}/{said}"]


def test_a_partial_is_named_by_the_path_as_typed(workspace: Path, monkeypatch):
    monkeypatch.chdir(workspace.parent)
    typed = Path(workspace.name) / ".." / workspace.name
    edit(workspace, "table.j2", 4, "|compact|rjust(11)", "|compcat|rjust(11)")
    _, problems = check_pack(typed / "rules", typed / "narratives", "en", as_given=True)
    assert [str(p) for p in problems] == [
        f"{typed}/{PARTIALS}/table.j2:4:129: unknown filter 'compcat' (did you mean 'compact'?)"
    ]


def test_a_mistake_in_the_including_template_is_still_named_there(workspace: Path):
    layout = workspace / "narratives" / "en" / "last10.j2"
    text = layout.read_text(encoding="utf-8")
    assert '{% include "partials/table.j2" %}' in text
    layout.write_text(
        text.replace(
            '{% include "partials/table.j2" %}', '{{ nope }}{% include "partials/table.j2" %}'
        ),
        encoding="utf-8",
    )
    line = text[: text.index('{% include "partials/table.j2" %}')].count("\n") + 1
    assert check(workspace) == [f"narratives/en/last10.j2:{line}:4: unknown name 'nope'"]
