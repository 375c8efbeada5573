"""The repository checks itself: quick start, CI, docs and code stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.metrics.catalogue import ACCOUNT_METRICS, POST_METRICS


def quick_start(root: Path) -> list[str]:
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_the_quick_start_has_exactly_two_commands(root: Path):
    commands = quick_start(root)
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert commands[0].endswith("narrator demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command(root: Path):
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start(root)[1] in ci.splitlines()


def test_the_test_command_benchmark_times_the_readme_command(root: Path):
    """benchmarks/quick_start.py times what README.md says, part by part."""
    import sys

    sys.path.insert(0, str(root / "benchmarks"))
    try:
        import quick_start as benchmark
    finally:
        sys.path.remove(str(root / "benchmarks"))
    command = benchmark.readme_test_command()
    assert command == quick_start(root)[1]
    assert command.split(" && ")[-1] == ".venv/bin/python -m pytest"


def test_the_run_keeps_its_temporary_files_in_a_folder_of_its_own(tmp_path: Path):
    """tests/conftest.py points TMPDIR at a folder of the run's (in memory where there
    is room), which every worker and process it starts inherits, and removes it after
    a run that passed: no test writes its files to the disk's /tmp, or leaves them."""
    import os
    import tempfile

    run = Path(tempfile.gettempdir())
    assert run.name.startswith("narrator-tests-")
    assert os.environ["TMPDIR"] == str(run)
    assert tmp_path.is_relative_to(run)


def test_the_run_folder_is_in_memory_unless_tmpdir_names_one(monkeypatch, tmp_path: Path):
    import tempfile

    from conftest import _memory_folder, _use_run_folder

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    given = Path(_use_run_folder())
    assert given.parent == tmp_path
    assert tempfile.gettempdir() == str(given)
    monkeypatch.delenv("TMPDIR")
    tempfile.tempdir = None
    default = tempfile.gettempdir()  # the system's, TMPDIR unset
    tempfile.tempdir = None
    chosen = Path(_use_run_folder())
    try:
        assert chosen.name.startswith("narrator-tests-")
        assert chosen.parent == Path("/dev/shm" if _memory_folder() else default)
    finally:
        chosen.rmdir()


def test_metrics_doc_lists_exactly_the_catalogue(root: Path):
    doc = (root / "docs" / "metrics.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([a-z_0-9]+) \| (.+?) \|$", doc, flags=re.M)
    assert rows == [(m.name, m.unit, m.meaning) for m in (*POST_METRICS, *ACCOUNT_METRICS)]


def test_every_cli_command_is_documented(root: Path):
    doc = (root / "docs" / "commands.md").read_text(encoding="utf-8")

    def walk(group, prefix):
        for name, command in group.commands.items():
            path = f"{prefix} {name}"
            yield path
            if hasattr(command, "commands"):
                yield from walk(command, path)

    for path in walk(cli, "narrator"):
        assert f"`{path}" in doc, f"{path} is not in docs/commands.md"


def test_every_cli_command_has_help_text():
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert command.help, name
        assert runner.invoke(cli, [name, "--help"]).exit_code == 0


def test_every_shipped_rule_is_in_the_guide(root: Path, pack):
    guide = (root / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule_id in pack.ruleset.ids:
        assert f"`{rule_id}`" in guide, rule_id


def test_lint_is_clean(root: Path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_manifest_matches_the_bot(root: Path):
    from ruamel.yaml import YAML

    manifest = YAML(typ="safe").load((root / "slack-app-manifest.yml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/linkedin"
    assert command["should_escape"] is True  # `link ACCOUNT @user` needs escaped mentions
    assert command["url"].endswith("/slack/events")
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]
    from bot.commands import SUBCOMMANDS

    for sub in SUBCOMMANDS:
        if sub != "help":
            assert sub in command["usage_hint"], sub
    # users.info (a digest's default time zone) needs users:read; every scope asked
    # for is explained in the setup guide.
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert "users:read" in scopes
    setup = (root / "docs" / "slack-setup.md").read_text(encoding="utf-8")
    for scope in scopes:
        assert f"`{scope}`" in setup, scope


def test_the_procfile_runs_the_documented_processes(root: Path):
    lines = dict(line.split(": ", 1) for line in (root / "Procfile").read_text().splitlines())
    assert lines["web"] == "narrator serve --port $PORT --processes 2"
    assert lines["worker"] == "narrator serve --socket --processes 2"
    assert lines["release"] == "narrator migrate && narrator rules check && narrator rules test"
    # One clock process runs every timed job; a second by accident sends nothing twice.
    assert lines["clock"] == "narrator clock"
