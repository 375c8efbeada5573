"""benchmarks/slack_bot.py's 1.3 GB store: said where, and removed unless kept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import slack_bot


def options(**given) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    slack_bot.add_store_options(parser)
    args = parser.parse_args(given.pop("argv", []))
    for name, value in {"accounts": 2, "posts": 3, "snapshots": 4, "seed": 1, **given}.items():
        setattr(args, name, value)
    return args


def test_the_store_goes_to_a_temporary_folder_said_first_and_removed(capsys):
    args = options()
    with slack_bot.store_folder(args) as folder:
        said = capsys.readouterr().out
        assert said.startswith(f"store: in {folder}, about ")
        assert "removed when the run ends (--keep keeps it)" in said
        (folder / f"{slack_bot._store_name(args)}.db").write_bytes(b"x")
    assert not folder.exists()
    assert f"store: removed from {folder}" in capsys.readouterr().out


def test_a_failed_run_removes_it_too(tmp_path: Path):
    args = options(argv=["--store-dir", str(tmp_path / "bench")])
    store = tmp_path / "bench" / f"{slack_bot._store_name(args)}.db"

    def interrupted_run() -> None:
        with slack_bot.store_folder(args) as folder:
            store.write_bytes(b"x")
            (folder / "mine.txt").write_text("not the benchmark's")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    assert not store.exists()
    assert (tmp_path / "bench" / "mine.txt").exists()  # a named folder keeps what else it holds


def test_keep_keeps_it_in_the_named_folder(tmp_path: Path):
    args = options(argv=["--store-dir", str(tmp_path), "--keep"])
    store = tmp_path / f"{slack_bot._store_name(args)}.db"
    with slack_bot.store_folder(args):
        store.write_bytes(b"x")
    assert store.exists()


def test_the_synthetic_store_is_written_in_the_current_schema(tmp_path: Path):
    """The generator writes straight into the tables: a schema change that it does not
    follow (the accounts' time zone column, migration 11) broke every run unseen."""
    from datetime import UTC, datetime

    from bot.store import Store

    path = tmp_path / "bench.db"
    now = datetime(2026, 12, 1, 6, tzinfo=UTC)
    posts, snapshots = slack_bot.generate_store(
        path, accounts=2, posts=3, snapshots=4, seed=1, now=now
    )
    assert (posts, snapshots) == (6, 24)
    with Store(path) as store:
        assert len(store.account_ids()) == 2
        assert store._count("snapshots") == 24
