"""A fast start: the CLI imports what a command needs when it runs it.

Timings live in benchmarks/startup.py; these tests hold what makes them possible:
`narrator --help` and `--version` load none of the heavy libraries, and `ask`
none of the Slack, chart or import machinery.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import private_cache

HEAVY = (
    "pandas",
    "numpy",
    "pydantic",
    "jinja2",
    "ruamel",
    "sqlite_utils",
    "babel",
    "slack_bolt",
    "slack_sdk",
    "matplotlib",
    "httpx",
    "uvicorn",
    "starlette",
    "python_calamine",
)


def _loaded_after(
    args: list[str], env_root: Path, tmp_path: Path, cache: str = "off", db: Path | None = None
) -> set[str]:
    """Run `narrator ARGS` in a fresh interpreter; which HEAVY packages it imported."""
    script = (
        "import sys, json\n"
        "from bot.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r}, prog_name='narrator')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout.flush()\n"
        f"print('\\n' + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))), file=sys.stderr)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "NARRATOR_DB": str(db or tmp_path / "startup.db"),
        "NARRATOR_RULES": str(env_root / "rules"),
        "NARRATOR_NARRATIVES": str(env_root / "narratives"),
        "NARRATOR_CACHE": cache,
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["rules", "--help"], ["ask", "--help"]]
)
def test_help_and_version_load_no_heavy_library(args: list[str], root: Path, tmp_path: Path):
    assert _loaded_after(args, root, tmp_path) == set()


def test_ask_loads_only_what_a_reply_needs(root: Path, tmp_path: Path):
    """With no cache: the pack is parsed and checked in full first, on numpy alone too."""
    loaded = _loaded_after(["ask", "help"], root, tmp_path)
    assert {"jinja2", "numpy", "ruamel"} <= loaded  # it did run the command, from the YAML
    assert loaded.isdisjoint(
        {"slack_bolt", "slack_sdk", "matplotlib", "httpx", "uvicorn", "starlette"}
        | {"pandas", "sqlite_utils"}
    )


@pytest.mark.parametrize(
    "command",
    ["last10 demo-creator", "why urn:li:activity:7320100000000015838", "post 7320200000000031676"],
)
def test_a_reply_from_the_store_loads_neither_pandas_nor_sqlite_utils(
    command: str, root: Path, tmp_path: Path, demo_db: Path
):
    """Importing pandas (which sqlite-utils loads too) costs more than a reply's work:
    the metrics, the rules and the words run on numpy alone. With the run's cache, as
    a reply usually runs: the pack known good (the test above has none)."""
    loaded = _loaded_after(["ask", command], root, tmp_path, os.environ["NARRATOR_CACHE"], demo_db)
    assert {"numpy", "jinja2"} <= loaded  # it did run the command
    assert loaded.isdisjoint({"pandas", "sqlite_utils"})


def test_a_second_ask_reads_the_parsed_rules_without_the_yaml_parser(root: Path, tmp_path: Path):
    cache = str(private_cache(tmp_path / "cache"))  # templates compiled, nothing parsed
    first = _loaded_after(["ask", "help"], root, tmp_path, cache)
    assert "ruamel" in first  # the pack was parsed, then remembered
    again = _loaded_after(["ask", "help"], root, tmp_path, cache)
    assert "jinja2" in again  # it did run the command
    assert "ruamel" not in again


@pytest.mark.parametrize("args", [["serve"], ["serve", "--socket"], ["clock"], ["clock", "--once"]])
def test_a_missing_slack_setting_is_said_before_the_bot_is_loaded(
    args: list[str], root: Path, tmp_path: Path
):
    """No Slack token: `serve` and `clock` say so at once, not after loading the store,
    the rules engine and Slack's libraries (about a second)."""
    assert _loaded_after(args, root, tmp_path).isdisjoint(
        {"pandas", "numpy", "sqlite_utils", "slack_bolt", "slack_sdk", "jinja2", "matplotlib"}
    )


def test_the_clocks_work_loads_neither_pandas_nor_sqlite_utils():
    """The clock (digests, check-ins) is a process of its own, started often by cron
    or a platform: its jobs measure and judge as replies do, on numpy alone."""
    script = (
        "import sys\n"
        "import bot.jobs, bot.clock.loop, bot.digest.build, bot.checkin.build, bot.checkin.send\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'sqlite_utils', 'numpy'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "['numpy']"
