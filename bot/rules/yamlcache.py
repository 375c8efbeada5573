"""Rule files already parsed, remembered by their text, so an unchanged file is not
parsed again.

ruamel.yaml keeps every line and column a message may point at, and pays for it:
parsing the shipped rules and their tests is most of what loading a pack costs a
terminal command (about 0.2 s of a `narrator ask`, plus importing the parser). The
outcome of a clean parse (`Located`: the plain data, and where each key and value
sits) depends only on the file's text and this code, so it is kept as JSON in
NARRATOR_CACHE/yaml, under a name hashed from the text and the `bot` package's
source (`bot.packcache`). Any edit or upgrade is a new name; a file with problems, or
with a value JSON does not hold exactly, is parsed every time, so its problems are
always told. Times and dates (a rule test's `at:`) are kept as ISO text with a list
of where they sit, and read back as the same values.

Like the other caches, this is an optimisation and never an error: no folder, an
unsafe one (not ours, writable by others), an unreadable, oversized or malformed
entry means the file is parsed as before. Entries are JSON, never code.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.rules.yamlfile import Located, Path_

#: The largest entry read back (a rule file is at most 256 KB; its places add ~3x).
MAX_ENTRY_BYTES = 4_000_000
#: The most entries kept; the oldest half goes when the folder is full.
MAX_ENTRIES = 500


def recall(text: str) -> Located | None:
    """The parse of `text` remembered from an earlier run, or None."""
    path = _entry(text)
    if path is None:
        return None
    from bot.narrate.cache import read_entry

    data = read_entry(path, MAX_ENTRY_BYTES)
    if data is None:
        return None
    try:
        saved = json.loads(data)
        plain = saved["data"]
        for path, kind in saved.get("times", []):
            plain = _restore(plain, tuple(path), kind)
        return Located(
            data=plain,
            text=text,
            keys=_places(saved["keys"]),
            values=_places(saved["values"]),
        )
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def remember(text: str, located: Located) -> None:
    """Keep a clean parse of `text`, when JSON holds its data exactly."""
    times: list[list[Any]] = []
    plain = _as_json(located.data, (), times)
    if plain is _NOT_JSON:
        return
    path = _entry(text)
    if path is None:
        return
    entry = {
        "data": plain,
        "times": times,
        "keys": [[list(p), line, column] for p, (line, column) in located.keys.items()],
        "values": [[list(p), line, column] for p, (line, column) in located.values.items()],
    }
    try:
        data = json.dumps(entry, ensure_ascii=False, allow_nan=False).encode()
    except ValueError:
        return
    if len(data) <= MAX_ENTRY_BYTES:
        from bot.narrate.cache import write_entry

        write_entry(path, data, keep=MAX_ENTRIES)


def _entry(text: str) -> Path | None:
    """Where the parse of `text` is kept; None when there is no safe cache folder."""
    from bot.config import cache_folder
    from bot.narrate.cache import private_folder
    from bot.packcache import code_version

    base = cache_folder()
    folder = private_folder(base / "yaml") if base is not None else None
    if folder is None:
        return None
    name = hashlib.sha256(
        f"{code_version()}\0".encode() + text.encode("utf-8", "surrogatepass")
    ).hexdigest()
    return folder / f"{name}.json"


def _places(rows: Any) -> dict[Path_, tuple[int, int]]:
    places: dict[Path_, tuple[int, int]] = {}
    for path, line, column in rows:
        if not all(isinstance(step, str | int) for step in path):
            raise TypeError("a place's path holds keys and indexes only")
        places[tuple(path)] = (int(line), int(column))
    return places


_NOT_JSON = object()


def _as_json(value: Any, path: Path_, times: list[list[Any]]) -> Any:
    """`value` as data that comes back from JSON as the very same types and values:
    each time or date as ISO text, its place and kind added to `times`; _NOT_JSON if
    something would not come back the same."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            item = _as_json(item, (*path, key), times) if type(key) is str else _NOT_JSON
            if item is _NOT_JSON:
                return _NOT_JSON
            out[key] = item
        return out
    if kind is list:
        items = [_as_json(item, (*path, i), times) for i, item in enumerate(value)]
        return _NOT_JSON if any(item is _NOT_JSON for item in items) else items
    if kind in (datetime, date):
        times.append([list(path), kind.__name__])
        return value.isoformat()
    if kind is float:
        return value if math.isfinite(value) else _NOT_JSON
    return value if kind in (str, int, bool, type(None)) else _NOT_JSON


def _restore(data: Any, path: Path_, kind: str) -> Any:
    """`data` with the ISO text at `path` read back as a datetime or a date."""
    if not path:
        if kind == "datetime":
            return datetime.fromisoformat(data)
        if kind == "date":
            return date.fromisoformat(data)
        raise TypeError(f"no such kind of time: {kind}")
    step, rest = path[0], path[1:]
    if type(step) is not (str if type(data) is dict else int):
        raise TypeError("a time's path holds keys and indexes only")
    data[step] = _restore(data[step], rest, kind)
    return data
