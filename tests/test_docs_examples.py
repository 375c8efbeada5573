"""Every `narrator …` example in README.md and docs/*.md runs as written.

An example is a command line in a fenced code block whose program is `narrator` (or
`.venv/bin/narrator`), alone or after `&&`, with optional `NAME=value` settings before
it; placeholders in prose (`narrator import FILE...`) are synopses, not examples. The
examples of each file run in order, each a process of its own (forked from one that has
imported the bot, tests/zygote.py; the demo's hint below runs `narrator` as typed), in a
folder of their own that
holds the demo data (`narrator demo`'s store as narrator.db), docs/sample-posts.csv, and
the files of INPUTS under the names the examples give them; Slack is the fake Web API
server the Slack tests use (SLACK_API_URL, SLACK_BOT_TOKEN), LinkedIn the fake REST API
(NARRATOR_LINKEDIN_API_URL, NARRATOR_LINKEDIN_TOKEN). Each must exit 0 without an
apology or a traceback.

A block that cannot run in a test (`serve` runs until stopped) follows the line
`<!-- not run by tests/test_docs_examples.py: REASON -->`; its commands are only parsed
(so their options still exist), and NOT_RUN lists every one of them: keep it short.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from bot.cli import cli
from bot.demo import demo_batch
from bot.store import Store
from tests import zygote
from tests.linkedin_fake import TOKEN as LINKEDIN_TOKEN
from tests.linkedin_fake import FakeLinkedIn, serve
from tests.slack.fakes import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.workbooks import (
    creator_sheets,
    page_sheets,
    single_post_sheets,
    write_xls,
    write_xlsx,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NARRATOR = Path(sys.executable).with_name("narrator")
MARK = "<!-- not run by tests/test_docs_examples.py:"

#: The only examples not run, as (file, command as written): each needs a marked block.
NOT_RUN = {
    ("docs/slack-setup.md", "narrator serve --port 3000"),  # serves until stopped
    ("docs/slack-setup.md", "narrator serve --socket"),  # serves until stopped
}

#: Files the examples name that stand for a team's own LinkedIn exports: made here
#: as LinkedIn lays them out. A new example that imports a new name needs a line here.
INPUTS: dict[str, Callable[[Path], object]] = {
    "Content_2026.xlsx": lambda path: write_xlsx(path, creator_sheets()),
    "Content_2026-02-01_2026-02-28_Jane.xlsx": lambda path: write_xlsx(path, creator_sheets()),
    "PostAnalytics_Jane_7410.xlsx": lambda path: write_xlsx(path, single_post_sheets()),
    "page-content.xls": lambda path: write_xls(path, page_sheets()),
}


@dataclass(frozen=True)
class Example:
    file: str  # relative to the repository, as the failure names it
    line: int
    written: str  # the command as the docs write it, from `narrator` on
    args: tuple[str, ...]  # after the program
    settings: tuple[tuple[str, str], ...]  # NAME=value written before it
    run: bool  # False in a block marked as not run

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: `{self.written}`"


def examples(path: Path) -> Iterator[Example]:
    """The examples of one Markdown file, in order."""
    name = str(path.relative_to(ROOT))
    fence: str | None = None
    marked = False
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = raw.strip()
        if fence is None:
            if stripped.startswith(("```", "~~~")):
                fence = stripped[:3]
                block_marked, marked = marked, False
            elif stripped:
                marked = stripped.startswith(MARK)
            continue
        if stripped.startswith(fence):
            fence = None
            continue
        if not pending:
            start = number
        pending += stripped.removeprefix("$ ")
        if pending.endswith("\\"):  # a command continued on the next line
            pending = pending[:-1] + " "
            continue
        line, pending = pending, ""
        yield from _commands(name, start, line, run=not block_marked)


def _commands(name: str, number: int, line: str, *, run: bool) -> Iterator[Example]:
    try:
        words = shlex.split(line, comments=True)
    except ValueError as exc:  # an unclosed quote: not a command a shell would run
        if "narrator" in line:
            raise AssertionError(f"{name}:{number}: `{line}` cannot be read: {exc}") from None
        return
    texts = re.split(r"\s+#\s", line)[0].split("&&")  # as written, for messages
    while words:
        segment = words[: words.index("&&")] if "&&" in words else words
        words = words[len(segment) + 1 :]
        text = texts.pop(0).strip() if texts else ""
        settings = []
        while segment and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", segment[0]):
            settings.append(tuple(segment.pop(0).split("=", 1)))
        if segment and Path(segment[0]).name == "narrator":
            written = re.sub(r"^(\S+=\S*\s+)*\S*narrator", "narrator", text)
            yield Example(name, number, written, tuple(segment[1:]), tuple(settings), run)


ALL = [example for path in DOCS for example in examples(path)]


def test_the_docs_have_examples_and_every_exception_is_listed():
    assert len([e for e in ALL if e.run]) >= 10, "the example extractor found too few"
    assert any(e.file == "README.md" and e.args[:1] == ("demo",) for e in ALL)
    skipped = {(e.file, e.written) for e in ALL if not e.run}
    assert skipped == NOT_RUN, (
        "the examples in blocks marked as not run must be exactly NOT_RUN in "
        f"tests/test_docs_examples.py; marked but not listed: {sorted(skipped - NOT_RUN)}; "
        f"listed but not marked (or gone): {sorted(NOT_RUN - skipped)}"
    )


@pytest.mark.parametrize("example", [e for e in ALL if not e.run], ids=str)
def test_an_example_not_run_still_parses(example: Example):
    """Its command and options exist, though it cannot run in a test."""
    try:
        ctx = cli.make_context("narrator", list(example.args), resilient_parsing=False)
        command: click.Command = cli
        args = list(example.args)
        while isinstance(command, click.Group) and args:
            _, command, args = command.resolve_command(ctx, args)
            ctx = command.make_context(command.name, args, parent=ctx)
            args = ctx.protected_args + ctx.args if isinstance(command, click.Group) else []
    except click.ClickException as exc:
        raise AssertionError(f"{example} does not parse: {exc.format_message()}") from None


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs-demo") / "narrator.db"
    with Store(path) as store:
        store.write(demo_batch())
    return path


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    slack = FakeSlack()
    try:
        with serve(FakeLinkedIn()) as linkedin:
            yield {
                "SLACK_API_URL": slack.api_url,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "NARRATOR_LINKEDIN_API_URL": linkedin,
                "NARRATOR_LINKEDIN_TOKEN": LINKEDIN_TOKEN,
            }
    finally:
        slack.close()


FILES = sorted({e.file for e in ALL if e.run})


@pytest.mark.parametrize("name", FILES)
def test_every_example_runs_as_written(
    name: str, tmp_path: Path, demo_db: Path, fakes: dict[str, str]
):
    shutil.copy(demo_db, tmp_path / "narrator.db")
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "sample-posts.csv", tmp_path / "docs" / "sample-posts.csv")
    for input_name, make in INPUTS.items():
        make(tmp_path / input_name)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NARRATOR_", "SLACK_", "PYTHON"))
    }
    env["NARRATOR_CACHE"] = os.environ.get("NARRATOR_CACHE", "off")  # the run's, not the user's
    env.update(fakes)
    for example in [e for e in ALL if e.file == name and e.run]:
        result = zygote.run(
            [NARRATOR, *example.args],
            cwd=tmp_path,
            env={**env, **dict(example.settings)},
            timeout=300,
        )
        said = (result.stdout[-1500:] + "\n" + result.stderr[-1500:]).strip()
        assert result.returncode == 0, (
            f"{example} exited with {result.returncode} (run in a folder with the demo data, "
            f"docs/sample-posts.csv and {', '.join(INPUTS)}); it said:\n{said}"
        )
        for bad in ("Sorry, something went wrong", "Traceback"):
            assert bad not in result.stdout + result.stderr, f"{example} failed inside:\n{said}"


def test_the_sample_csv_imports(tmp_path: Path):
    """docs/sample-posts.csv is the complete example docs/data-format.md promises."""
    result = zygote.run(
        [NARRATOR, "import", ROOT / "docs" / "sample-posts.csv"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
        | {"NARRATOR_CACHE": os.environ.get("NARRATOR_CACHE", "off")},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(
        ": 1 account, 2 posts (2 new, 0 updated), 6 snapshots (6 new, 0 changed, 0 unchanged).\n"
    )


@pytest.mark.parametrize("on_path", [False, True])
def test_the_demo_hint_runs_as_printed(on_path: bool, tmp_path: Path):
    """The closing hint names the program as the user ran it: the path they typed
    (`.venv/bin/narrator`, before any venv is activated), or `narrator` when that is
    what their shell finds."""
    typed = os.path.relpath(NARRATOR, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
    env["NARRATOR_CACHE"] = os.environ.get("NARRATOR_CACHE", "off")  # the run's, not the user's
    folders = [p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != NARRATOR.parent]
    env["PATH"] = os.pathsep.join([str(NARRATOR.parent)] * on_path + folders)
    # The demo as the user typed it (the zygote gives it the same argv[0] and PATH);
    # its hint, below, as their shell runs it: the real program, found on disk.
    demo = zygote.run([typed, "demo"], cwd=tmp_path, env=env, timeout=300)
    assert demo.returncode == 0, demo.stderr
    hint = re.search(r"Try: (.*)\)$", demo.stderr.strip())
    assert hint, demo.stderr
    program = "narrator" if on_path else typed
    assert hint.group(1).startswith(f'{program} ask "last10 demo-page" --at ')
    shown = subprocess.run(
        hint.group(1), shell=True, cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert "Northwind Analytics" in shown.stdout  # demo-page's name
