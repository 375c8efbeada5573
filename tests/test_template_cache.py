"""Compiled templates kept between runs: reused when nothing changed, never stale,
never an error, and never loaded from a folder others could write to."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.config import cache_folder
from bot.narrate.cache import MAX_ENTRIES, TemplateCache, open_cache
from bot.narrate.render import Narrator
from bot.pack import check_pack


@pytest.fixture
def pack_copy(tmp_path: Path, root: Path) -> Path:
    """A copy of the shipped narratives, to edit."""
    narratives = tmp_path / "narratives"
    shutil.copytree(root / "narratives", narratives)
    return narratives


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NARRATOR_CACHE", str(folder))
    return folder


def _no_compiling(narrator: Narrator, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("compiled again although the cache holds it")

    monkeypatch.setattr(narrator.env, "compile", refuse)


def test_a_second_load_uses_the_compiled_templates(
    pack_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
):
    first = Narrator(pack_copy, "en").render("messages/help.j2", front="terminal", admins=[])
    assert list(cache.glob("*.jbc"))
    again = Narrator(pack_copy, "en")
    _no_compiling(again, monkeypatch)
    assert again.render("messages/help.j2", front="terminal", admins=[]) == first


def test_the_same_pack_at_another_path_uses_the_compiled_templates_under_its_own_path(
    pack_copy: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A reload serves a fresh copy of the files: the copy's templates are not compiled
    again, and their code names the copy's files, as a compile from there would."""
    first = Narrator(pack_copy, "en").render("messages/help.j2", front="terminal", admins=[])
    moved = tmp_path / "elsewhere" / "narratives"
    shutil.copytree(pack_copy, moved)
    again = Narrator(moved, "en")
    _no_compiling(again, monkeypatch)
    assert again.render("messages/help.j2", front="terminal", admins=[]) == first
    template = again.env.get_template("messages/help.j2")
    assert template.filename == str(moved / "en" / "messages" / "help.j2")
    codes = [template.root_render_func.__code__]
    codes += [block.__code__ for block in template.blocks.values()]
    while codes:
        code = codes.pop()
        assert code.co_filename == template.filename
        codes += [c for c in code.co_consts if isinstance(c, type(code))]


def test_an_edited_template_is_compiled_again(
    pack_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
):
    help_file = pack_copy / "en" / "messages" / "help.j2"
    Narrator(pack_copy, "en").render("messages/help.j2", front="terminal", admins=[])
    help_file.write_text("Edited help.\n", encoding="utf-8")
    assert Narrator(pack_copy, "en").render("messages/help.j2") == "Edited help.\n"


def test_a_template_that_does_not_compile_is_reported_after_a_good_one_was_cached(
    pack_copy: Path, cache: Path, root: Path
):
    _, problems = check_pack(root / "rules", pack_copy, "en")
    assert problems == []
    (pack_copy / "en" / "messages" / "help.j2").write_text("{% if %}\n", encoding="utf-8")
    _, problems = check_pack(root / "rules", pack_copy, "en")
    assert [(p.file, p.line) for p in problems] == [("narratives/en/messages/help.j2", 1)]
    assert "template syntax error" in problems[0].message


def test_a_damaged_cache_file_is_compiled_again(pack_copy: Path, cache: Path):
    expected = Narrator(pack_copy, "en").render("messages/help.j2", front="terminal", admins=[])
    for path in cache.glob("*.jbc"):
        path.write_bytes(path.read_bytes()[:40])
    narrator = Narrator(pack_copy, "en")
    assert narrator.render("messages/help.j2", front="terminal", admins=[]) == expected


@pytest.mark.parametrize("setting", ["off", ""])
def test_the_cache_can_be_turned_off(
    pack_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
):
    monkeypatch.setenv("NARRATOR_CACHE", setting)
    assert cache_folder() is None
    assert Narrator(pack_copy, "en").env.bytecode_cache is None


def test_the_default_cache_is_the_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NARRATOR_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "insight-narrator" / "templates"


def test_a_cache_that_cannot_be_made_is_no_cache(
    pack_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    taken = tmp_path / "a-file"
    taken.write_text("not a folder")
    monkeypatch.setenv("NARRATOR_CACHE", str(taken / "cache"))
    narrator = Narrator(pack_copy, "en")
    assert narrator.env.bytecode_cache is None
    assert narrator.render("messages/help.j2", front="terminal", admins=[]).strip()


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    assert open_cache(shared) is None
    os.chmod(shared, 0o700)
    assert isinstance(open_cache(shared), TemplateCache)


def test_a_new_cache_folder_is_private(tmp_path: Path):
    assert open_cache(tmp_path / "new" / "cache") is not None
    assert (tmp_path / "new" / "cache").stat().st_mode & 0o077 == 0


def test_a_cache_that_cannot_be_written_still_serves(
    pack_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr("bot.narrate.cache.tempfile.mkstemp", refuse)
    narrator = Narrator(pack_copy, "en")
    assert narrator.render("messages/help.j2", front="terminal", admins=[]).strip()
    assert not list(cache.glob("*"))


def test_a_full_cache_drops_its_oldest_files(
    pack_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
):
    cache.mkdir(mode=0o700)
    for i in range(MAX_ENTRIES):
        old = cache / f"{i:064x}.jbc"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    Narrator(pack_copy, "en").render("messages/help.j2", front="terminal", admins=[])
    left = list(cache.glob("*.jbc"))
    assert len(left) < MAX_ENTRIES
    assert not (cache / f"{0:064x}.jbc").exists()  # the oldest went first
    assert (cache / f"{MAX_ENTRIES - 1:064x}.jbc").exists()
