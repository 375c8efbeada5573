"""Long commands show progress on a terminal's stderr, and print nothing else there."""

from __future__ import annotations

import io
import os
import pty
import sys
import threading
from pathlib import Path

import pytest

from bot import progress
from bot.cli import cli


def run_on_a_terminal(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, bytes]:
    """Run a command with stderr on a pseudo-terminal (stdout a pipe): (stdout, stderr)."""
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    master, slave = pty.openpty()
    drawn = bytearray()

    def drain() -> None:  # a full terminal buffer would block the bar
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out = io.StringIO()
    with open(slave, "w", encoding="utf-8", closefd=True) as terminal:
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", terminal)
        code = 0
        try:
            cli.main(args, prog_name="narrator", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
    assert not code, out.getvalue()
    reader.join(5)
    os.close(master)
    return out.getvalue(), bytes(drawn)


@pytest.fixture
def env(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "demo.db"))
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    return tmp_path


def test_the_demo_rules_test_and_backtest_show_progress(env, monkeypatch):
    out, drawn = run_on_a_terminal(["demo", "--format", "slack"], monkeypatch)
    assert out.startswith("*Demo Creator: the last 10 posts*")
    assert b"demo-page's last 10 posts" in drawn  # the bar's last step, on stderr
    assert b"Demo Creator" not in drawn  # the narratives only on stdout
    out, drawn = run_on_a_terminal(["rules", "test"], monkeypatch)
    assert out.endswith("all passed.\n")
    # the shipped pack's files are named in full, as the terminal names every path
    assert b"Testing " in drawn
    assert b"/rules/tests/" in drawn
    out, drawn = run_on_a_terminal(
        ["rules", "backtest", "low-engagement", "--account", "demo-creator"], monkeypatch
    )
    assert out.startswith("low-engagement on demo-creator's last 30 posts")
    assert b"Trying low-engagement on demo-creator's posts" in drawn


def test_a_pipe_gets_no_bar(env, root: Path):
    import subprocess

    env_vars = {
        **os.environ,
        "NARRATOR_DB": str(env / "pipe.db"),
        "NARRATOR_RULES": str(root / "rules"),
        "NARRATOR_NARRATIVES": str(root / "narratives"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "rules", "test"],
        env=env_vars,
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
