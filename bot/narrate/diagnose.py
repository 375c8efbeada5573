"""Template errors in plain words: the column on the line, and a did-you-mean.

Jinja says "No filter named 'percnt'." and the line. A lead fixing a template
also wants the column, and the name they meant: looked for with difflib among
the filters and tests the environment has and the names a template may read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_TESTS

_UNKNOWN = re.compile(r"No (filter|test) named '([^']+)'")
_UNDEFINED = re.compile(r"^'([^']+)' is undefined$")
_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'$")


@dataclass(frozen=True)
class Said:
    """An error explained: its line and column (1-based, if found) and the words."""

    line: int | None
    column: int | None
    message: str


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)`, or nothing when nothing is close."""
    choices = [k for k in known if k.isidentifier()]
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_name(
    exc: BaseException, env: Any, source: str, line: int | None, names: Iterable[str] = ()
) -> Said | None:
    """An unknown filter, test or name, with its place in `source` (on `line` if it
    is there, else where it first is: Jinja finds an unknown test only when the
    test runs, and names the line its block starts on) and a suggestion; None for
    any other error."""
    text = getattr(exc, "message", None) or str(exc)
    found = _UNKNOWN.search(text)
    if found:
        kind, name = found.groups()
        known = env.filters if kind == "filter" else env.tests
        pattern = (
            rf"\|\s*({re.escape(name)})\b"
            if kind == "filter"
            else rf"\bis\s+(?:not\s+)?({re.escape(name)})\b"
        )
        # The narratives' own filters (num, pct, ratio...) first: the ones leads use.
        builtin = DEFAULT_FILTERS if kind == "filter" else DEFAULT_TESTS
        own = [k for k in known if k not in builtin]
        hint = did_you_mean(name, own) or did_you_mean(name, known)
        return Said(*_place(source, line, pattern), f"unknown {kind} '{name}'{hint}")
    found = _UNDEFINED.search(text)
    if found:
        name = found.group(1)
        known = [*names, *env.globals]
        return Said(
            *_place(source, line, rf"(?<![\w.])({re.escape(name)})\b"),
            f"unknown name '{name}'{did_you_mean(name, known)}",
        )
    return None


def attribute_column(line: str | None, name: str) -> int | None:
    """The column of `.name` (or `['name']`) on `line`."""
    return _column(line, rf"\.({re.escape(name)})\b|\[['\"]({re.escape(name)})['\"]\]")


def missing_attribute(exc: BaseException) -> str | None:
    """The attribute an UndefinedError says is missing, if it says so."""
    found = _ATTRIBUTE.search(str(exc))
    return found.group(1) if found else None


def _place(source: str, line: int | None, pattern: str) -> tuple[int | None, int | None]:
    """The line and column of `pattern` in `source`: on `line` first, else anywhere."""
    lines = source.splitlines()
    order = list(range(1, len(lines) + 1))
    if line is not None and 0 < line <= len(lines):
        order.remove(line)
        order.insert(0, line)
    for number in order:
        column = _column(lines[number - 1], pattern)
        if column is not None:
            return number, column
    return line, None


def _column(line: str | None, pattern: str) -> int | None:
    if line is None:
        return None
    found = re.search(pattern, line)
    if found is None:
        return None
    group = next(i for i in range(1, (found.lastindex or 0) + 1) if found.group(i) is not None)
    return found.start(group) + 1
