"""Bytecode written once, before the test workers start (run by tests/conftest.py).

The README's test command installs without uv's --compile-bytecode, which compiles
every file of every dependency, their own test suites included: about 5,200 files,
16 s on two cores. The bot and the tests import about 1,100 of them. Where
PYTHONDONTWRITEBYTECODE is set (as on the machine this was measured on) nothing
would ever be written, and each test worker and each of the ~200 processes the tests
start would compile what it imports from source. So the run unsets it for itself,
its workers and their processes (a module first imported by one of them is written
once, for all), and the controlling pytest process runs this, in three processes at
once, before it starts the workers (which would otherwise all compile the same
libraries at the same moment):

    python tests/bytecode.py modules     # the bot's modules and every library they
                                         # import, compiled and written as Python
                                         # does by default
    python tests/bytecode.py later       # the libraries a command imports only when
                                         # it needs them (LATER): 6 and 7 s, at once,
                                         # where one process took 10.5 s
    python tests/bytecode.py tests       # the test modules as pytest rewrites them
                                         # (its assertion messages), into the cache
                                         # pytest reads (each worker would otherwise
                                         # rewrite all of them: about 4 s each)

All three only save time: a worker finding nothing written compiles and rewrites what it
needs itself, and reads a file only if its source hash still matches.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib
import pkgutil
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

#: Libraries the bot imports only when a command needs them (so importing its modules
#: does not reach them), and the tests' own.
LATER = [
    "babel",
    "matplotlib.backends.backend_agg",
    "matplotlib.figure",
    "pandas",
    "python_calamine",
    "rich.progress",
    "ruamel.yaml",
    "slack_bolt",
    "sqlite_utils",
    "uvicorn",
    "uvicorn.lifespan.on",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "openpyxl",
    "pytest",
    "websockets",
    "xdist",
    "xlwt",
]


def bot(*, imported: bool) -> None:
    """The bot's own bytecode; with `imported`, that of each library its modules
    import too (by importing them all, with bytecode writing on)."""
    sys.dont_write_bytecode = False
    import bot

    compileall.compile_dir(bot.__path__[0], quiet=2, workers=0)
    if imported:
        for found in pkgutil.walk_packages(bot.__path__, "bot."):
            if not found.name.endswith(".__main__"):  # runs the command line
                importlib.import_module(found.name)


def later() -> None:
    """The bytecode of the libraries in LATER (by importing them)."""
    sys.dont_write_bytecode = False
    for name in LATER:
        with contextlib.suppress(ImportError):  # uvloop where there is none
            importlib.import_module(name)


def rewritten_tests() -> None:
    """Each test module and conftest.py as pytest rewrites it, in pytest's own cache
    file beside it. pytest's rewriter is not a public interface: if it has changed,
    say so and leave the workers to rewrite the modules themselves."""
    try:
        from _pytest.assertion.rewrite import PYC_TAIL, _rewrite_test, _write_pyc
    except ImportError as exc:
        print(f"tests/bytecode.py: pytest's rewriter has moved ({exc})", file=sys.stderr)
        return

    class State:  # all _write_pyc asks of pytest's AssertionState
        @staticmethod
        def trace(message: str) -> None:
            pass

    for path in sorted([*TESTS.rglob("test_*.py"), *TESTS.rglob("conftest.py")]):
        cache = path.parent / "__pycache__"
        cache.mkdir(exist_ok=True)
        try:
            # No Config: the rewrite asks it only for enable_assertion_pass_hook,
            # which pyproject.toml leaves off.
            source_hash, code = _rewrite_test(path, None)  # type: ignore[arg-type]
            _write_pyc(State(), code, source_hash, cache / (path.name[:-3] + PYC_TAIL))  # type: ignore[arg-type]
        except (TypeError, AttributeError) as exc:
            print(f"tests/bytecode.py: pytest's rewriter has changed ({exc})", file=sys.stderr)
            return


if __name__ == "__main__":
    {
        "modules": lambda: bot(imported=True),
        "later": later,
        "tests": rewritten_tests,
        "bot": lambda: bot(imported=False),
    }[sys.argv[1]]()
