"""Load YAML the way a hand-edited rule file needs: YAML 1.2 (so `no` and `on`
stay text), duplicate keys refused, and the line and column of every key and
value kept for error messages.

Whoever edits the rules can write any YAML, so reading one is bounded: the file
is read through `bot.limits` (a regular file of the pack, 256 KB at most), no line
is longer than MAX_LINE (ruamel.yaml reads a long comment line in quadratic
time; the limit also keeps out integers too long for Python to read), brackets
nest MAX_NESTING deep at most, no number is larger than `limits.MAX_NUMBER`, and
aliases (`*name`) may not expand the file past
MAX_VALUES values (a "billion laughs" would otherwise take all memory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import Problem
from bot.limits import PackFileError, number_too_large, read_pack_file
from bot.rules.yamlsyntax import duplicate_key, explain

Path_ = tuple[str | int, ...]

#: The longest line of a rule file.
MAX_LINE = 4000
#: The deepest brackets may nest ([ and {); rule files need three or four levels.
MAX_NESTING = 64
#: The most values (mappings, lists and scalars) a file may hold once aliases are expanded.
MAX_VALUES = 20_000


class _Refused(Exception):
    """A value the file may not hold, and its path (to locate it)."""

    def __init__(self, path: Path_, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Located:
    """Plain data (dicts, lists, scalars) plus where each piece sits in the file.

    `keys[path]` is the (line, column) of a mapping key, `values[path]` that of a
    value; both 1-based. A path is the tuple of keys and indexes from the root.
    """

    data: Any
    text: str
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest located ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return (1, 1)


def load_yaml(path: Path, display: str, root: Path) -> tuple[Located | None, list[Problem]]:
    """Parse one file of the folder `root`; return it located, or the problems that
    stopped parsing."""
    try:
        text = read_pack_file(path, root).decode("utf-8")
    except PackFileError as exc:
        return None, [Problem(display, None, None, exc.reason)]
    except UnicodeDecodeError:
        return None, [Problem(display, 1, 1, "is not UTF-8 text; save it as UTF-8")]
    from bot.rules import yamlcache  # a clean parse of the same text, kept from a run before

    located = yamlcache.recall(text)
    if located is not None:
        return located, []
    located, problems = parse_yaml(text, display)
    if located is not None and not problems:
        yamlcache.remember(text, located)
    return located, problems


def parse_yaml(text: str, display: str) -> tuple[Located | None, list[Problem]]:
    refused = _check_shape(text, display)
    if refused is not None:
        return None, [refused]
    # Imported here: a file parsed before comes from bot.rules.yamlcache without it.
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except RecursionError:  # nested in blocks, not brackets: no place to point at
        return None, [
            Problem(
                display,
                1,
                1,
                "is nested too deeply to read; a rule file needs a few levels at most",
            )
        ]
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        key = str(exc.problem).split('"')[1] if '"' in str(exc.problem) else "?"
        first = _first_key_line(text, key, exc.context_mark, mark)
        line = mark.line + 1 if mark else None
        return None, [
            Problem(
                display,
                line,
                mark.column + 1 if mark else None,
                duplicate_key(text, line, key, first),
            )
        ]
    except MarkedYAMLError as exc:
        said = explain(exc, text)
        return None, [Problem(display, said.line, said.column, said.message)]
    located = Located(data=None, text=text)
    try:
        data = _plain(root, (), located, [0])
    except _Refused as exc:
        line, column = located.where(exc.path)
        return None, [Problem(display, line, column, exc.message)]
    return Located(data=data, text=text, keys=located.keys, values=located.values), []


def _check_shape(text: str, display: str) -> Problem | None:
    """A line too long or brackets too deep, found before the parser meets them."""
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            return Problem(
                display,
                number,
                MAX_LINE + 1,
                f"the line is {len(line):,} characters long; a line may be at most "
                f"{MAX_LINE:,}: break it up",
            )
    depth = 0
    for index, char in enumerate(text):
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                line, column = _position(text, index)
                return Problem(
                    display,
                    line,
                    column,
                    f"brackets are nested more than {MAX_NESTING} deep; a rule file needs a "
                    "few levels at most",
                )
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of a character of `text`."""
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _first_key_line(text: str, key: str, start: Any, duplicate: Any) -> int | None:
    """The line (from 1) where a mapping first gives `key`: the parser only says where
    the mapping starts, so look for the key at the duplicate's column from there on
    (a mapping written on one line is found on its own line)."""
    if start is None or duplicate is None:
        return None
    lines = text.splitlines()
    for number in range(start.line, min(duplicate.line, len(lines))):
        line = lines[number]
        indent, rest = line[: duplicate.column], line[duplicate.column :]
        if not indent.strip(" -") and re.match(re.escape(key) + r"\s*:", rest):
            return number + 1
    return start.line + 1


def _plain(node: Any, path: Path_, located: Located, count: list[int]) -> Any:
    """Plain data from ruamel's nodes, located; `count` is the number of values so far.

    An alias is the very node it names, so a value reached twice is expanded twice:
    counting every value bounds what aliases can expand to."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarbool import ScalarBoolean

    count[0] += 1
    if count[0] > MAX_VALUES:
        raise _Refused(
            path,
            f"holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded; "
            "write the values out instead",
        )
    if isinstance(node, CommentedMap):
        out = {}
        for key in node:
            child = (*path, str(key))
            try:
                kl, kc = node.lc.key(key)
                located.keys[child] = (kl + 1, kc + 1)
                vl, vc = node.lc.value(key)
                located.values[child] = (vl + 1, vc + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out[str(key)] = _plain(node[key], child, located, count)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for index, item in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
                located.values[child] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out_list.append(_plain(item, child, located, count))
        return out_list
    if isinstance(node, str):
        return str(node)
    too_large = number_too_large(node)
    if too_large:
        raise _Refused(path, too_large)
    # Plain Python numbers, not ruamel's subclasses that remember how they were written:
    # the same values whether parsed now or remembered (bot.rules.yamlcache).
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, int) and not isinstance(node, bool):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime):  # ruamel's TimeStamp, which remembers its spelling
        return datetime.fromisoformat(node.isoformat())
    return node
