"""Rule files parsed before are remembered by their text (bot/rules/yamlcache.py): the
same text gives the same data and places without the parser; an edit, a file with
problems, a value JSON cannot hold or a damaged entry is parsed afresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.rules.yamlfile import load_yaml

RULE = """\
rules:
  - id: quiet-week  # a comment
    scope: account
    when: posts_last_7d < min_posts
    params:
      min_posts: 2
      share: 1.50
      flag: true
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NARRATOR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "yaml"


def write(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "rule.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.is_dir() else []


def test_a_clean_file_is_remembered_and_read_back_the_same(tmp_path: Path, cache: Path):
    path = write(tmp_path / "rules", RULE)
    first, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert problems == []
    assert first is not None
    assert len(entries(cache)) == 1
    again, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert problems == []
    assert again is not None
    assert again.data == first.data
    assert again.keys == first.keys
    assert again.values == first.values
    assert again.text == RULE
    params = again.data["rules"][0]["params"]
    assert [type(params[k]) for k in ("min_posts", "share", "flag")] == [int, float, bool]
    assert again.where(("rules", 0, "when")) == (4, 11)


def test_the_parser_is_not_even_imported_for_a_remembered_file(tmp_path: Path, cache: Path):
    path = write(tmp_path / "rules", RULE)
    load_yaml(path, "rules/rule.yaml", path.parent)
    code = (
        "import sys; from pathlib import Path; from bot.rules.yamlfile import load_yaml; "
        f"located, problems = load_yaml(Path({str(path)!r}), 'r', Path({str(path.parent)!r})); "
        "print(located.data['rules'][0]['id'], problems, 'ruamel.yaml' in sys.modules)"
    )
    env = {**os.environ, "NARRATOR_CACHE": str(cache.parent)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["quiet-week", "[]", "False"]


def test_an_edit_is_parsed_afresh_and_its_problems_told(tmp_path: Path, cache: Path):
    path = write(tmp_path / "rules", RULE)
    load_yaml(path, "rules/rule.yaml", path.parent)
    write(tmp_path / "rules", RULE.replace("    scope: account", "    scope account"))
    located, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert located is None
    assert [(p.file, p.line) for p in problems] == [("rules/rule.yaml", 3)]
    assert len(entries(cache)) == 1  # the broken text is not remembered
    located, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert located is None
    assert len(problems) == 1


def test_a_value_json_cannot_hold_exactly_is_parsed_every_time(tmp_path: Path, cache: Path):
    path = write(tmp_path / "rules", RULE + "blob: !!binary aGVsbG8=\n")
    located, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert problems == []
    assert located is not None
    assert located.data["blob"] == b"hello"
    assert entries(cache) == []


def test_times_and_dates_are_remembered_as_the_same_values(tmp_path: Path, cache: Path):
    """A rule test's `at:` is a time: its file is remembered too, and the times come
    back as the plain datetimes (and dates) a fresh parse gives."""
    times = (
        "at: 2026-03-10T00:00:00Z\n"
        "local: 2026-03-10T09:30:00+01:00\n"
        "naive: 2026-03-10T09:30:00\n"
        "days: [2026-11-02, {on: 2026-11-03}]\n"
    )
    path = write(tmp_path / "rules", RULE + times)
    first, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert problems == []
    assert first is not None
    assert len(entries(cache)) == 1
    again, _ = load_yaml(path, "rules/rule.yaml", path.parent)
    assert again is not None
    assert again.data == first.data
    assert type(again.data["at"]) is datetime
    assert again.data["at"] == datetime(2026, 3, 10, tzinfo=UTC)
    assert again.data["local"].utcoffset() == timedelta(hours=1)
    assert again.data["naive"].tzinfo is None
    assert again.data["days"] == [date(2026, 11, 2), {"on": date(2026, 11, 3)}]
    assert again.where(("days", 1, "on")) == first.where(("days", 1, "on"))


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b'{"data": {}, "keys": [[["a"], "x", 1]], "values": []}',
        b'{"data": {}, "keys": [[[{"a": 1}], 1, 1]], "values": []}',
        b'{"data": {}}',
    ],
)
def test_a_damaged_entry_means_the_file_is_parsed(tmp_path: Path, cache: Path, damage: bytes):
    path = write(tmp_path / "rules", RULE)
    first, _ = load_yaml(path, "rules/rule.yaml", path.parent)
    (entry,) = entries(cache)
    entry.write_bytes(damage)
    again, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert problems == []
    assert again is not None
    assert again.data == first.data
    assert json.loads(entry.read_bytes())["data"] == first.data  # and kept right again


def test_a_cache_folder_others_can_write_is_not_used(tmp_path: Path, cache: Path):
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    path = write(tmp_path / "rules", RULE)
    located, problems = load_yaml(path, "rules/rule.yaml", path.parent)
    assert problems == []
    assert located is not None
    assert entries(cache) == []
