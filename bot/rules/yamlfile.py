"""Load YAML the way a hand-edited rule file needs: YAML 1.2 (so `no` and `on`
stay text), duplicate keys refused, and the line and column of every key and
value kept for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from bot.errors import Problem

Path_ = tuple[str | int, ...]


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


def load_yaml(path: Path, display: str) -> tuple[Located | None, list[Problem]]:
    """Parse one file; return it located, or the problems that stopped parsing."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(display, 1, 1, "is not UTF-8 text; save it as UTF-8")]
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> tuple[Located | None, list[Problem]]:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        key = str(exc.problem).split('"')[1] if '"' in str(exc.problem) else "?"
        first = _first_key_line(text, key, exc.context_mark, mark)
        return None, [
            Problem(
                display,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
                f"key '{key}' appears twice in the same mapping"
                + (f" (first on line {first})" if first else "")
                + "; keep one",
            )
        ]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "\t" in text:
            hint = " (tabs are not allowed for indentation in YAML; use spaces)"
        return None, [
            Problem(
                display,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
                f"YAML syntax error: {what}{hint}",
            )
        ]
    located = Located(data=None, text=text)
    data = _plain(root, (), located)
    return Located(data=data, text=text, keys=located.keys, values=located.values), []


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


def _plain(node: Any, path: Path_, located: Located) -> Any:
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
            out[str(key)] = _plain(node[key], child, located)
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
            out_list.append(_plain(item, child, located))
        return out_list
    if isinstance(node, str):
        return str(node)
    return node
