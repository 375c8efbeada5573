"""Shared fixtures: the real rule pack, real SQLite stores, the demo data.

The suite runs in parallel (pytest-xdist, `-n auto` in pyproject.toml: a worker a
core and one more, see below): tests run in several processes at once, in any order. A test stays safe by following these rules:

* Files go under `tmp_path` (or `tmp_path_factory`), never the repository or the
  current folder; a command run in a subprocess gets NARRATOR_DB in `tmp_path`.
* Servers listen on port 0 (the system picks a free port) and report it, as the fakes
  in tests/slack/fakes.py and tests/linkedin_fake.py do; no fixed port.
* Environment changes go through `monkeypatch`; never `os.chdir` (use a subprocess's
  `cwd=` or monkeypatch.chdir).
* A session fixture is built once per worker process: share only what is read-only
  (the pack, the demo store) and never write to it.
* Wait for a condition (a poll with a deadline, as `FakeSlack.wait_for_calls` does),
  not for a fixed time; where the code waits (intervals, retries, backoff), make the
  wait a parameter or setting and pass a short one.
* Temporary files go in one folder per run, in memory where there is /dev/shm
  (TMPDIR, set below; `_use_run_folder` says why), removed when the run passes.
* Compiled templates are cached in one folder per run (NARRATOR_CACHE, set below);
  subprocesses inherit it.
* Before the workers start, the bytecode of the bot, its libraries and the rewritten
  test modules is written once (tests/bytecode.py says why).
* A `narrator` command whose subject is what it does (a clock tick, a sync, a docs
  example) runs forked from a process that has imported the bot (tests/zygote.py):
  a process of its own, without Python's start-up. Tests about starting, signals or
  pipes run the real `narrator` program.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bot.pack import Pack
    from bot.store import Store

# The bot is imported by the fixtures that use it, not here: the controlling process
# (which runs no test) starts the workers sooner without it.

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker a core, and one more for the moments a test waits (on a
    server thread, a reply pool, a killed process). Measured on 2 cores, whole runs in
    turn: 2 workers 130 s, 3 workers 118-136 s, 4 workers 138-141 s. Four were best
    while most commands ran as fresh processes a test waited on (3 min 37 s against
    4 min 15 s with two); since they are forked from the zygote (tests/zygote.py), a
    fourth worker only adds contention."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    # One template cache for the run, made by the controlling process and inherited by
    # the workers (started after this), so the user's own cache is never written.
    if not hasattr(config, "workerinput"):
        config.stash[_TMPDIR] = (_use_run_folder(), os.environ.get("TMPDIR"))
        folder = tempfile.mkdtemp(prefix="narrator-test-cache-")
        config.stash[_CACHE] = (folder, os.environ.get("NARRATOR_CACHE"))
        os.environ["NARRATOR_CACHE"] = folder
        # Bytecode is written, once, by whichever process first imports a module
        # (tests/bytecode.py says why); the workers and their processes inherit this.
        config.stash[_NO_BYTECODE] = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        _write_bytecode(parallel=_workers(config) > 1)
    if hasattr(config, "workerinput") or _workers(config) == 0:
        # The process's fork server (one, started by whichever test first checks a pack
        # or starts reply processes) imports the reply processes' code, as a serving
        # bot's does: their tests then fork them without importing it again each time.
        from bot.packcheck import preload
        from bot.slack.processes import REPLY_CODE

        preload(*REPLY_CODE)


#: Free space /dev/shm needs before the run puts its temporary files there.
MEMORY_FOLDER_FREE = 2 * 1024**3


def _use_run_folder() -> str:
    """Make a temporary folder for the run and point TMPDIR (so tmp_path, tempfile and
    every process started) at it: in memory (/dev/shm) where there is one, unless
    TMPDIR names a folder already. The tests write and remove thousands of files and
    SQLite databases; on a disk that syncs and discards them (this machine's), that
    cost a quarter of the run: 157 s against 126 s, system time 58 s against 17 s.
    The folder is removed at the end of a run that passed (with what multiprocessing
    and the zygotes leave), kept after one that failed (pytest keeps the failed
    tests' tmp_path in it)."""
    parent = os.environ.get("TMPDIR") or _memory_folder()
    folder = tempfile.mkdtemp(prefix="narrator-tests-", dir=parent)
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    return folder


def _memory_folder() -> str | None:
    shm = "/dev/shm"
    try:
        if not (os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK)):
            return None
        info = os.statvfs(shm)
    except OSError:
        return None
    return shm if info.f_bavail * info.f_frsize >= MEMORY_FOLDER_FREE else None


def _workers(config: pytest.Config) -> int:
    """How many worker processes this run has (0: the tests run in this one)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return 0
    return int(config.getoption("numprocesses") or 0)


def _write_bytecode(*, parallel: bool) -> None:
    """tests/bytecode.py says why: the bytecode of the bot, the libraries and the
    rewritten test modules, written once before the workers start, in three processes
    at once (a run in one process writes only the bot's: it imports and rewrites the
    rest itself)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    script = str(Path(__file__).with_name("bytecode.py"))
    parts = ["modules", "later", "tests"] if parallel else ["bot"]
    running = [subprocess.Popen([sys.executable, script, part], env=env) for part in parts]
    for process in running:
        if process.wait() != 0:
            raise pytest.UsageError(f"tests/bytecode.py {process.args[-1]} failed (above)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT] = int(exitstatus)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_TMPDIR, None)
    if run is not None and exitstatus != 0:
        terminalreporter.write_line(
            f"The run's temporary files (failed tests' tmp_path) are kept in {run[0]}"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    # What this process keeps in the run's folder (removed below) goes first: the
    # zygote's socket, and multiprocessing's folder (the fork server's socket), whose
    # removal it would otherwise try, and fail, at exit (a run without workers).
    zygote = sys.modules.get("tests.zygote")
    if zygote is not None:
        zygote.stop()
    util = sys.modules.get("multiprocessing.util")
    if util is not None:
        util._exit_function()
    run = config.stash.get(_TMPDIR, None)
    if run is not None:
        folder, before = run
        if config.stash.get(_EXIT, 1) == 0:
            shutil.rmtree(folder, ignore_errors=True)
        if before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before
        tempfile.tempdir = None
    made = config.stash.get(_CACHE, None)
    if made is not None:
        folder, before = made
        shutil.rmtree(folder, ignore_errors=True)
        if before is None:
            os.environ.pop("NARRATOR_CACHE", None)
        else:
            os.environ["NARRATOR_CACHE"] = before
        no_bytecode = config.stash.get(_NO_BYTECODE, None)
        if no_bytecode is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = no_bytecode


_CACHE = pytest.StashKey[tuple[str, "str | None"]]()
_TMPDIR = pytest.StashKey[tuple[str, "str | None"]]()
_EXIT = pytest.StashKey[int]()
_NO_BYTECODE = pytest.StashKey["str | None"]()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def pack() -> Pack:
    """The shipped rule pack, loaded exactly as the bot loads it."""
    from bot.pack import load_pack

    return load_pack(ROOT / "rules", ROOT / "narratives", "en")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store in a real SQLite file."""
    from bot.store import Store

    with Store(tmp_path / "test.db") as s:
        yield s


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the demo data (read-only by convention)."""
    from bot.demo import demo_batch
    from bot.store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store(path) as s:
        s.write(demo_batch())
        yield s


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data in a closed SQLite file, written once per worker (read-only: copy
    it with `demo_db`, never open it)."""
    from bot.demo import demo_batch
    from bot.store import Store

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    with Store(path) as s:
        s.write(demo_batch())
    # The last connection closed: SQLite folded the WAL into the file and removed it,
    # so the file alone is the whole database and a copy of it is a sound one.
    assert not Path(f"{path}-wal").exists()
    assert not Path(f"{path}-shm").exists()
    return path


@pytest.fixture
def demo_db(tmp_path: Path, demo_template: Path) -> Path:
    """A store of this test's own holding the demo data (`tmp_path / "bot.db"`), as
    `Store(...).write(demo_batch())` would leave it, without writing it again."""
    path = tmp_path / "bot.db"
    shutil.copyfile(demo_template, path)
    return path


def private_cache(folder: Path) -> Path:
    """A cache folder of a test's own (set NARRATOR_CACHE to it), holding the run's
    compiled templates but nothing else: for a test about the other caches (packs
    known good, parsed YAML), which needs them empty, not about compiling templates
    (compiling the 151 shipped templates again costs over a second). Entries are
    linked, not copied: the cache replaces a file, never writes into one."""
    folder.mkdir(parents=True, exist_ok=True)
    run = os.environ.get("NARRATOR_CACHE")
    for entry in Path(run).glob("*.jbc") if run else ():
        try:
            os.link(entry, folder / entry.name)
        except OSError:
            shutil.copyfile(entry, folder / entry.name)
    return folder


@pytest.fixture(scope="session")
def demo_now():
    from bot.demo import DEMO_NOW

    return DEMO_NOW


def check_golden(name: str, text: str) -> None:
    """Compare `text` with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text(encoding="utf-8")
