"""The rule pack travels with the package, `narrator init` copies it for a team, and
messages name files as the user typed them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import load_settings
from bot.shipped import shipped_pack

TYPO = ("condition: engagement_rate < min_rate", "condition: engagment_rate < min_rate")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A terminal in an empty folder, with no pack setting: the shipped pack applies."""
    for name in ("NARRATOR_PACK", "NARRATOR_RULES", "NARRATOR_NARRATIVES", "NARRATOR_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_a_checkout_reads_the_repository_pack(root: Path):
    """An editable install has no copy: an edit of rules/ shows without installing."""
    assert shipped_pack() == root
    settings = load_settings()
    assert (settings.rules, settings.narratives) == (root / "rules", root / "narratives")


def test_init_copies_the_pack_and_prints_the_one_setting(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(cli, ["init", "team-pack"])
    assert result.exit_code == 0, result.output
    pack = tmp_path / "team-pack"
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Copied the rule pack into team-pack: 6 rule files with 6 test")
    assert f"    export NARRATOR_PACK={pack}" in lines
    assert sorted(p.name for p in (pack / "rules").glob("*.yaml")) == sorted(
        p.name for p in (shipped_pack() / "rules").glob("*.yaml")
    )
    assert (pack / "rules" / "tests" / "engagement.yaml").is_file()
    assert (pack / "narratives" / "en" / "last10.j2").is_file()
    # The setting it printed is the one the bot reads.
    os.environ["NARRATOR_PACK"] = str(pack)
    try:
        settings = load_settings()
        checked = runner.invoke(cli, ["rules", "check"])
    finally:
        del os.environ["NARRATOR_PACK"]
    assert (settings.rules, settings.narratives) == (pack / "rules", pack / "narratives")
    assert checked.exit_code == 0, checked.output
    # A second init never writes over a team's edits.
    again = runner.invoke(cli, ["init", "team-pack"])
    assert again.exit_code == 1
    assert again.stderr.startswith("team-pack/rules already exists")


def test_the_old_settings_still_win_over_the_pack(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NARRATOR_PACK", str(tmp_path))
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    settings = load_settings()
    assert (settings.rules, settings.narratives) == (root / "rules", root / "narratives")


def test_a_pack_setting_without_a_pack_says_how_to_make_one(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NARRATOR_PACK", str(tmp_path / "nowhere"))
    result = runner.invoke(cli, ["ask", "help"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"bad setting: NARRATOR_PACK: {tmp_path / 'nowhere'} has no rules/ folder; make a pack "
        f"there with narrator init {tmp_path / 'nowhere'}, or point NARRATOR_PACK at the "
        "folder that holds rules/ and narratives/\n"
    )


def _broken_copy(tmp_path: Path) -> Path:
    """A copy of the pack with one typo in a rule and one in a template."""
    pack = tmp_path / "copy"
    for name in ("rules", "narratives"):
        shutil.copytree(shipped_pack() / name, pack / name)
    rules = pack / "rules" / "engagement.yaml"
    assert TYPO[0] in rules.read_text()
    rules.write_text(rules.read_text().replace(*TYPO))
    (pack / "narratives" / "en" / "messages" / "help.j2").write_text("{{ nope | nosuch }}\n")
    return pack


@pytest.mark.parametrize("typed", ["copy", "copy/rules", "./copy/rules/", "{tmp}/copy"])
def test_a_copied_pack_is_checked_with_its_own_templates_and_named_as_typed(
    typed: str, runner: CliRunner, tmp_path: Path
):
    """Before, a copy of rules/ was checked with the current folder's narratives/ and
    its problems named `rules/engagement.yaml`, as if the shipped pack were broken."""
    _broken_copy(tmp_path)
    typed = typed.format(tmp=tmp_path)
    result = runner.invoke(cli, ["rules", "check", typed])
    assert result.exit_code == 1
    folder = Path(typed)
    pack = folder if folder.name == "copy" else folder.parent
    files = sorted({line.split(":")[0] for line in result.stdout.splitlines()})
    assert files == [
        str(pack / "narratives" / "en" / "messages" / "help.j2"),
        str(pack / "rules" / "engagement.yaml"),
    ]
    assert "did you mean 'engagement_rate'" in result.stdout
    assert result.stderr == "2 problems found.\n"


def test_a_rules_folder_alone_is_checked_with_the_configured_templates_and_says_so(
    runner: CliRunner, tmp_path: Path
):
    pack = _broken_copy(tmp_path)
    shutil.move(pack / "rules", tmp_path / "lone-rules")
    result = runner.invoke(cli, ["rules", "check", "lone-rules"])
    assert result.exit_code == 1
    assert result.stdout.startswith("lone-rules/engagement.yaml:")
    assert "help.j2" not in result.stdout  # the shipped templates are sound
    assert result.stderr == (
        "lone-rules has no narratives/ folder beside it: its rules are checked with the "
        f"configured templates in {shipped_pack() / 'narratives'}.\n1 problem found.\n"
    )


@pytest.mark.parametrize("command", ["check", "test"])
def test_a_rule_file_or_a_missing_folder_is_refused_in_words_before_any_check(
    command: str, runner: CliRunner, tmp_path: Path
):
    """Before, `rules check copy/rules/engagement.yaml` said its rules were checked with
    the configured templates, then that it was "no such folder of rule files"."""
    pack = tmp_path / "copy"
    for name in ("rules", "narratives"):
        shutil.copytree(shipped_pack() / name, pack / name)
    result = runner.invoke(cli, ["rules", command, "copy/rules/engagement.yaml"])
    assert result.exit_code == 1
    assert result.stdout == ""
    said = result.stderr
    assert said.startswith("copy/rules/engagement.yaml is a file: name its folder instead, as in ")
    assert said.endswith(f" rules {command} copy\n")  # after the program, as it was typed
    assert "configured templates" not in result.stderr
    result = runner.invoke(cli, ["rules", command, "nothere"])
    assert result.exit_code == 1
    assert result.stderr == (
        "nothere: no such folder; name a pack folder or a folder of rule files\n"
    )


def test_a_pack_of_one_rule_file_is_counted_in_the_singular(runner: CliRunner, tmp_path: Path):
    pack = tmp_path / "one"
    shutil.copytree(shipped_pack() / "narratives", pack / "narratives")
    (pack / "rules").mkdir()
    shutil.copy(shipped_pack() / "rules" / "engagement.yaml", pack / "rules")
    result = runner.invoke(cli, ["rules", "check", "one"])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(" in 1 file: all good.\n")


def test_rule_tests_of_a_copied_pack_are_named_as_typed(runner: CliRunner, tmp_path: Path):
    pack = tmp_path / "copy"
    for name in ("rules", "narratives"):
        shutil.copytree(shipped_pack() / name, pack / name)
    tests = pack / "rules" / "tests" / "engagement.yaml"
    quiet = "{rule: low-engagement, post: floor, outcome: quiet}"
    assert quiet in tests.read_text()
    text = tests.read_text()
    line = text[: text.index(quiet)].count("\n") + 1
    tests.write_text(text.replace(quiet, quiet.replace("quiet", "fired")))
    result = runner.invoke(cli, ["rules", "test", "copy"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"copy/rules/tests/engagement.yaml:{line}:")
    assert "low-engagement" in result.stdout


def test_pip_install_dot_works_from_any_folder(tmp_path: Path, root: Path):
    """A real, non-editable install (the wheel `pip install .` builds) into a fresh venv
    finds its rule pack from any folder, with the source tree gone."""
    source = tmp_path / "src"
    for name in ("bot", "rules", "narratives", "docs"):
        shutil.copytree(
            root / name, source / name, ignore=shutil.ignore_patterns("__pycache__", ".*")
        )
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(root / name, source / name)
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    # The dependencies are this venv's (no download in a test); the package is built from
    # the copy, as `pip install .` builds it, and installed into the fresh venv.
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", source],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    subprocess.run(
        [*pip, "--python", python, "install", "--no-deps", wheel], check=True, capture_output=True
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    shutil.rmtree(source)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("NARRATOR_", "PYTHON", "SLACK_"))
    }
    env["NARRATOR_CACHE"] = os.environ.get("NARRATOR_CACHE", "off")  # the run's, not the user's

    def narrator(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [fresh / "bin" / "narrator", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    where = subprocess.run(
        [python, "-c", "import bot.shipped as s; print(s.shipped_pack())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(Path(site) / "bot" / "_pack")
    check = narrator("rules", "check")
    assert check.returncode == 0, check.stderr
    assert check.stdout.endswith("files: all good.\n")
    demo = narrator("demo")
    assert demo.returncode == 0, demo.stderr
    assert f"Created the store {elsewhere / 'narrator.db'}" in demo.stderr
    assert "Demo Creator" in demo.stdout
    init = narrator("init", "ours")
    assert init.returncode == 0, init.stderr
    assert (elsewhere / "ours" / "rules" / "tests" / "engagement.yaml").is_file()
    # The guide it points at is installed too (before, "docs/rules.md": not there).
    guide = Path(site) / "bot" / "_pack" / "docs" / "rules.md"
    assert f"({guide} says how to edit them)" in init.stdout
    assert guide.read_text() == (root / "docs" / "rules.md").read_text()
