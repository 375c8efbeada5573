"""Packs that passed every check are remembered (bot/packcache.py): an identical pack
loads without the checks, and any edit is checked in full again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import packcache
from bot.errors import RuleError
from bot.pack import load_pack
from tests.conftest import private_cache


@pytest.fixture
def pack_copy(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(root / "rules", tmp_path / "pack" / "rules")
    shutil.copytree(root / "narratives", tmp_path / "pack" / "narratives")
    monkeypatch.setenv("NARRATOR_CACHE", str(private_cache(tmp_path / "cache")))
    return tmp_path / "pack"


def test_a_clean_pack_is_remembered_and_loads_the_same(pack_copy: Path, tmp_path: Path):
    rules, narratives = pack_copy / "rules", pack_copy / "narratives"
    name = packcache.key(rules, narratives, "en")
    assert not packcache.checked(tmp_path / "cache", name)
    first = load_pack(rules, narratives, "en")
    assert packcache.checked(tmp_path / "cache", name)
    again = load_pack(rules, narratives, "en")
    assert again.ruleset.ids == first.ruleset.ids
    assert again.languages == first.languages


def test_an_edit_after_a_clean_check_is_checked_in_full(pack_copy: Path):
    rules, narratives = pack_copy / "rules", pack_copy / "narratives"
    load_pack(rules, narratives, "en")  # clean: remembered
    template = narratives / "fr" / "rules" / "low-engagement.j2"
    # Only the render check sees this: the template parses, but reads a value no rule shows.
    text = template.read_text(encoding="utf-8")
    assert "{% block finding %}" in text
    edited = text.replace("{% block finding %}", "{% block finding %}{{ values.nothing_shown }}")
    template.write_text(edited, encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_pack(rules, narratives, "en")
    assert "narratives/fr/rules/low-engagement.j2" in str(raised.value)


def test_a_pack_with_problems_is_never_remembered(pack_copy: Path, tmp_path: Path):
    rules, narratives = pack_copy / "rules", pack_copy / "narratives"
    (narratives / "en" / "messages" / "busy.j2").unlink()
    name = packcache.key(rules, narratives, "en")
    for _ in range(2):
        with pytest.raises(RuleError):
            load_pack(rules, narratives, "en")
    assert not packcache.checked(tmp_path / "cache", name)


def test_a_cache_folder_others_can_write_is_not_trusted(pack_copy: Path, tmp_path: Path):
    packs = tmp_path / "cache" / "packs"
    packs.mkdir(parents=True)
    packs.chmod(0o777)
    rules, narratives = pack_copy / "rules", pack_copy / "narratives"
    name = packcache.key(rules, narratives, "en")
    (packs / str(name)).touch()  # planted by someone else: must not skip the checks
    assert not packcache.checked(tmp_path / "cache", name)
    load_pack(rules, narratives, "en")
    assert sorted(p.name for p in packs.iterdir()) == [name]


def test_the_packs_remembered_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every edit of a pack is a new pack: the oldest are forgotten, not kept forever."""
    monkeypatch.setattr(packcache, "MAX_PACKS", 10)
    folder = tmp_path / "cache"
    for index in range(25):
        packcache.remember(folder, f"{index:064x}")
    left = list((folder / "packs").iterdir())
    assert 0 < len(left) <= 10
    assert packcache.checked(folder, f"{24:064x}")  # the newest is kept


def test_a_rules_edit_renders_the_rules_templates_but_not_the_layouts_again(
    pack_copy: Path, monkeypatch: pytest.MonkeyPatch
):
    """Layouts and messages read no rule: once one language's rendered clean, an edit of
    the rules alone checks the rules and their templates, not the layouts; an edit of a
    layout renders them again and tells what is wrong."""
    import bot.pack

    rendered: list[str] = []
    render_layouts = bot.pack._render_layouts

    def counting(narrator, narratives, shown):  # type: ignore[no-untyped-def]
        rendered.append(narrator.locale)
        return render_layouts(narrator, narratives, shown)

    monkeypatch.setattr(bot.pack, "_render_layouts", counting)
    rules, narratives = pack_copy / "rules", pack_copy / "narratives"
    load_pack(rules, narratives, "en")
    assert sorted(rendered) == ["en", "fr"]
    rule_file = next(iter(sorted(rules.glob("*.yaml"))))
    rule_file.write_text(rule_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    rendered.clear()
    load_pack(rules, narratives, "en")  # checked in full: not the same pack
    assert rendered == []
    layout = narratives / "en" / "messages" / "busy.j2"
    layout.write_text(layout.read_text(encoding="utf-8") + "{{ 1 / 0 }}", encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_pack(rules, narratives, "en")
    assert rendered == ["en", "fr"]
    assert "narratives/en/messages/busy.j2" in str(raised.value)
