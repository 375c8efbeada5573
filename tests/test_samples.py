"""`rules check` renders every layout and message: the samples it uses must stay
shaped like the real contexts, and a broken edit must be caught."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Caller, handle
from bot.narrate.samples import SAMPLES
from bot.pack import check_pack


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [shape(value[0])] if value else []
    return "value"


def same_shape(sample: Any, real: Any, path: str = "") -> None:
    """Every key the real context has, the sample has too (and the other way round).
    A rule's params are named by the rule, so only their presence is compared."""
    if path.endswith(".params"):
        return
    if isinstance(real, dict):
        assert isinstance(sample, dict), path
        assert set(sample) == set(real), f"{path}: {set(sample) ^ set(real)}"
        for key in real:
            same_shape(sample[key], real[key], f"{path}.{key}")
    elif isinstance(real, list) and real and isinstance(sample, list) and sample:
        same_shape(sample[0], real[0], f"{path}[0]")


@pytest.mark.parametrize(
    ("command", "template"),
    [
        ("last10 demo-page", "last10.j2"),
        ("post urn:li:activity:7320200000000031676", "messages/post.j2"),
        ("why urn:li:activity:7320200000000031676", "messages/why.j2"),
        ("accounts", "messages/accounts.j2"),
        ("rules", "messages/rules.j2"),
    ],
)
def test_samples_are_shaped_like_real_contexts(demo_store, pack, demo_now, command, template):
    reply = handle(command, store=demo_store, pack=pack, at=demo_now, caller=Caller(front="slack"))
    same_shape(SAMPLES[template][0], reply.context, template)


def test_every_template_file_has_samples_or_is_a_partial_or_rule(root: Path):
    tree = root / "narratives" / "en"
    for path in tree.rglob("*.j2"):
        name = str(path.relative_to(tree))
        if name.startswith(("partials/", "rules/")):
            continue  # partials render inside layouts; rule templates against sample findings
        assert name in SAMPLES, f"{name} has no sample context in bot/narrate/samples.py"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "messages/help.j2",
            "{{ front }} {{ nope }}",
            "narratives/en/messages/help.j2:1:16: unknown name 'nope'",
        ),
        (
            "messages/help.j2",
            "{{ front }}\n{{ 'x' if frnt }}",
            "narratives/en/messages/help.j2:2:11: unknown name 'frnt' (did you mean 'front'?)",
        ),
        (
            "messages/help.j2",
            "{% if front %}unclosed",
            "narratives/en/messages/help.j2:1: template syntax error: Unexpected end of template. "
            "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost "
            "block that needs to be closed is 'if'.",
        ),
        (
            "partials/table.j2",
            "{{ posts[0].impresions|num }}",
            "narratives/en/partials/table.j2:1:13: template reads an undefined value: "
            "'dict object' has no attribute 'impresions'",
        ),
    ],
)
def test_a_broken_layout_or_message_is_reported(name, text, message, tmp_path: Path, root: Path):
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    (tmp_path / "narratives" / "en" / name).write_text(text)
    _, problems = check_pack(root / "rules", tmp_path / "narratives")
    assert message in [str(p) for p in problems]


def test_a_deleted_message_is_reported(tmp_path: Path, root: Path):
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    (tmp_path / "narratives" / "en" / "messages" / "apology.j2").unlink()
    _, problems = check_pack(root / "rules", tmp_path / "narratives")
    assert [str(p) for p in problems] == [
        "narratives/en/messages/apology.j2: missing: narratives/fr has this template and "
        "narratives/en does not; copy it from narratives/fr and translate it"
    ]


def test_a_deleted_message_of_the_only_language_is_reported(tmp_path: Path, root: Path):
    shutil.copytree(root / "narratives" / "en", tmp_path / "narratives" / "en")
    (tmp_path / "narratives" / "en" / "messages" / "apology.j2").unlink()
    _, problems = check_pack(root / "rules", tmp_path / "narratives")
    assert [str(p) for p in problems] == ["narratives/en/messages/apology.j2: template is missing"]
