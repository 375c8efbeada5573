"""Shared fixtures: the real rule pack, real SQLite stores, the demo data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.demo import DEMO_NOW, demo_batch
from bot.pack import Pack, load_pack
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def pack() -> Pack:
    """The shipped rule pack, loaded exactly as the bot loads it."""
    return load_pack(ROOT / "rules", ROOT / "narratives", "en")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store in a real SQLite file."""
    with Store(tmp_path / "test.db") as s:
        yield s


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the demo data (read-only by convention)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store(path) as s:
        s.write(demo_batch())
        yield s


@pytest.fixture(scope="session")
def demo_now():
    return DEMO_NOW


def check_golden(name: str, text: str) -> None:
    """Compare `text` with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text(encoding="utf-8")
