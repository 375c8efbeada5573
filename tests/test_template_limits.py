"""A template is a program a lead writes: each render is held to a budget of loop
rounds and calls, nesting, text size, number size and time, and going over is a
located refusal, never a hang, a crash or a 20 MB message (issue #10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jinja2 import TemplateError

from bot.narrate.render import Narrator
from bot.pack import check_pack

TEMPLATE = "narratives/en/rules/widening.j2"
PREFIX = f'{TEMPLATE}:2: rule "widening": template fails: '


@pytest.fixture
def workspace(tmp_path: Path, root: Path) -> Path:
    shutil.copytree(root / "rules", tmp_path / "rules", ignore=shutil.ignore_patterns("tests"))
    # English alone: these tests add templates to one language (tests/test_languages.py
    # covers what the others say of a template they lack).
    shutil.copytree(root / "narratives" / "en", tmp_path / "narratives" / "en")
    return tmp_path


def check_finding(workspace: Path, body: str) -> list[str]:
    """Put `body` on line 2 of a rule template and check the pack."""
    (workspace / TEMPLATE).write_text(
        "{% block finding %}\n" + body + "\n{% endblock %}\n", encoding="utf-8"
    )
    _, problems = check_pack(workspace / "rules", workspace / "narratives", "en")
    return [str(p) for p in problems]


STEPS = "it takes more than 20,000 steps (loop rounds and calls); loop over fewer things"
TEXT = "it builds a text or list longer than 100,000; build less"
WIDE = "it asks for text wider than 100,000 characters; ask for less"
NUMBER = "it computes a number more than 30 digits long"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            STEPS,
            id="nested-range",
        ),
        pytest.param(
            "{% set xs = range(50000)|list %}{% for a in xs %}{% for b in xs %}{% endfor %}"
            "{% endfor %}",
            STEPS,
            id="nested-loop-over-a-list",
        ),
        pytest.param(
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(40) }}",
            STEPS,
            id="fanning-macro",
        ),
        pytest.param(
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            "it calls macros more than 50 deep; does a macro call itself?",
            id="recursive-macro",
        ),
        pytest.param('{{ "x " * 10**7 }}', TEXT, id="string-times-a-number"),
        pytest.param("{{ [1] * 10**7 }}", TEXT, id="list-times-a-number"),
        pytest.param(
            '{% set ns = namespace(s="xx") %}{% for i in range(40) %}'
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            TEXT,
            id="doubling-in-a-namespace",
        ),
        pytest.param('{{ ("x" * 1000)|replace("x", "y" * 1000) }}', TEXT, id="replace-that-grows"),
        pytest.param('{{ "%999999999d"|format(1) }}', WIDE, id="format-filter-width"),
        pytest.param('{{ "%999999999d" % 1 }}', WIDE, id="percent-width"),
        pytest.param('{{ "{:>999999999}".format(1) }}', WIDE, id="str-format-width"),
        pytest.param('{{ "x".center(999999999) }}', WIDE, id="center-method"),
        pytest.param('{{ "x"|center(999999999) }}', WIDE, id="center-filter"),
        pytest.param("{{ range(10)|batch(999999999, 0)|list }}", WIDE, id="batch-filter"),
        pytest.param("{{ 10 ** 10 ** 10 }}", NUMBER, id="power"),
        pytest.param("{{ 99999999999999 * 99999999999999 * 99999999999999 }}", NUMBER, id="times"),
    ],
)
def test_a_runaway_template_is_refused_at_check_with_its_place(
    workspace: Path, body: str, message: str
):
    assert check_finding(workspace, body) == [PREFIX + message]


@pytest.mark.parametrize(
    "body",
    [
        '{% include "rules/widening.j2" %}',
        '{% import "rules/widening.j2" as again %}',
        '{% include "partials/loop.j2" %}',
    ],
    ids=["includes-itself", "imports-itself", "through-a-partial"],
)
def test_a_template_that_includes_itself_is_refused_with_its_place(workspace: Path, body: str):
    (workspace / "narratives" / "en" / "partials" / "loop.j2").write_text(
        '{% include "rules/widening.j2" %}'
    )
    assert check_finding(workspace, body) == [
        PREFIX + "it includes, imports or extends itself, or nests too deeply; break the loop"
    ]


def test_a_layout_that_extends_itself_is_refused_with_its_place(workspace: Path):
    (workspace / "narratives" / "en" / "messages" / "help.j2").write_text(
        '\n{% extends "messages/help.j2" %}\n'
    )
    _, problems = check_pack(workspace / "rules", workspace / "narratives", "en")
    (problem,) = problems
    assert problem.file == "narratives/en/messages/help.j2"
    assert problem.line == 2
    assert problem.message == (
        "template fails: it includes, imports or extends itself, or nests too deeply; "
        "break the loop"
    )


def test_lorem_ipsum_of_any_length_is_gone(workspace: Path):
    assert check_finding(workspace, "{{ lipsum(999999) }}") == [
        f"{TEMPLATE}:2:4: rule \"widening\": unknown name 'lipsum'"
    ]


def test_a_template_that_writes_too_much_is_refused(workspace: Path):
    body = "{% for i in range(25) %}{{ 'x' * 10000 }}{% endfor %}"
    assert check_finding(workspace, body) == [
        f'{TEMPLATE}: rule "widening": template fails: it writes more than 200,000 '
        "characters; write less"
    ]


def test_a_huge_number_written_in_a_template_is_refused_where_it_is(workspace: Path):
    for digits in (400, 5000):
        assert check_finding(workspace, "{{ 1" + "0" * (digits - 1) + " }}") == [
            f'{TEMPLATE}:2: rule "widening": template syntax error: a number {digits:,} '
            "digits long; numbers in a rule pack go up to 1,000,000,000,000,000"
        ]


def test_ordinary_loops_calls_and_numbers_still_work(tmp_path: Path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "t.j2").write_text(
        "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}"
        "{% for i in range(3) %}{{ twice(i) }}{% endfor %} "
        '{{ "ab" * 3 }} {{ 2 ** 10 }} {{ "%05d" % 42 }} {{ "x"|center(5) }}|'
        "{{ (values|list)[0] }} {{ 1000000000000000 }}",
        encoding="utf-8",
    )
    narrator = Narrator(tmp_path, "en")
    assert narrator.render("t.j2", values={"a": 1}) == (
        "001122 ababab 1024 00042   x  |a 1000000000000000\n"
    )


def test_a_template_over_its_time_costs_one_render_then_fails_at_once(tmp_path: Path):
    """A render past its deadline stops at the next step; the template is then
    refused at once for as long as the pack serves, so a slow template costs one
    budget, not one per finding."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "slow.j2").write_text(
        "{% block finding %}{% for i in range(10) %}{{ i }}{% endfor %}{% endblock %}"
    )
    (tmp_path / "en" / "fine.j2").write_text("{% block finding %}fine{% endblock %}")
    narrator = Narrator(tmp_path, "en", render_seconds=0.0)
    with pytest.raises(TemplateError, match=r"^it took longer than 0 s to render; "):
        narrator.block("slow.j2", "finding")
    with pytest.raises(TemplateError, match=r"^skipped: it took longer than 0 s on an earlier "):
        narrator.block("slow.j2", "finding")
    assert Narrator(tmp_path, "en").block("slow.j2", "finding") == "0123456789"


def test_at_run_time_a_runaway_template_costs_its_finding_only(workspace: Path, root: Path):
    """`rules check` tries one branch; values it did not try may start a runaway loop."""
    import numpy as np
    import pandas as pd

    from bot.commands.last10 import render_finding
    from bot.pack import load_pack
    from bot.rules.engine import evaluate

    template = workspace / "narratives" / "en" / "rules" / "comment-signal.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace(
            "{% block finding %}",
            "{% block finding %}{% if values.comments > 100000 %}{% for i in range(100000) %}"
            "{% for j in range(100000) %}{% endfor %}{% endfor %}{% endif %}",
        ),
        encoding="utf-8",
    )
    pack = load_pack(workspace / "rules", workspace / "narratives")
    from tests.test_rules_pack import HEALTHY

    row = {**HEALTHY, "comments": 150000.0, "comment_replies": 1.0, "replies_per_comment": 0.0002}
    row["profile_views"] = np.nan
    frame = pd.DataFrame([row], index=pd.Index(["p"], name="post"))
    frame["account"] = "acme"
    (finding,) = [f for f in evaluate(pack.ruleset, frame).findings() if f.rule == "comment-signal"]
    words = render_finding(
        pack, finding, account={"name": "Acme", "kind": None}, post={"number": 1}
    )
    assert words["error"] == ("rules/comment-signal.j2 line 1: " + STEPS)
    assert words["text"].startswith("*comment-signal* fired, but its words failed: ")


def test_any_error_a_template_raises_is_a_located_problem_not_a_crash(workspace: Path):
    """At run time any error costs its finding only; at check it is a problem, not a
    crash of `rules check` (a KeyError from str.format stopped it)."""
    body = '{{ "{a}".format() }}'
    sparse = PREFIX.replace("fails: ", "fails when a value it shows is missing: ")
    assert check_finding(workspace, body) == [PREFIX + "KeyError: 'a'", sparse + "KeyError: 'a'"]
    layout = workspace / "narratives" / "en" / "messages" / "help.j2"
    layout.write_text("\n" + body + "\n")
    _, problems = check_pack(workspace / "rules", workspace / "narratives", "en")
    assert [str(p) for p in problems] == [
        PREFIX + "KeyError: 'a'",
        sparse + "KeyError: 'a'",
        "narratives/en/messages/help.j2:2: template fails: KeyError: 'a'",
    ]


def test_a_render_kept_waiting_by_a_busy_machine_keeps_its_budget():
    """The budget is processor time: on a loaded machine (a parallel test run, a busy
    server) the shipped last10 template outran 1 s of wall time and the pack was
    refused, though its work was small."""
    import time

    from bot.narrate import limits

    with limits.budget(0.05) as spent:
        time.sleep(0.2)  # waiting for the processor, as under load: no work done
        limits.step()  # the first step reads the clock
        assert spent.steps == 1
    with limits.budget(0.05):
        deadline = time.thread_time() + 0.1
        while time.thread_time() < deadline:  # work: processor time spent
            pass
        with pytest.raises(limits.TemplateTimeError):
            limits.step()
