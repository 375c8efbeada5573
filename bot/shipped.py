"""Where the shipped rule pack and guides are: inside the installed package, or beside it.

A wheel carries `rules/`, `narratives/` and the guides of `docs/` in `bot/_pack/`
(setup.py copies them there when it builds). A source checkout or an editable install
has no copy: the pack is the repository's own `rules/` and `narratives/`, beside the
`bot` package, so an edit there is what the bot reads, without installing again.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: The folders a rule pack holds, as `narrator init` copies them.
FOLDERS = ("rules", "narratives")


def shipped_pack() -> Path:
    """The folder holding the shipped `rules/` and `narratives/`."""
    inside = PACKAGE / "_pack"
    if (inside / "rules").is_dir():
        return inside
    checkout = PACKAGE.parent
    if (checkout / "rules").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    # An installation that lost its pack: name where it should be, so the loader's
    # "no such folder" points at the fix (install the package again).
    return inside


def guide(name: str) -> str:
    """Where the guide `docs/NAME` is, as a message can name it: a path from the current
    folder when it is inside it (`docs/rules.md`, in a checkout), else in full (in the
    installed package), so that the file a message points at is there to open."""
    path = shipped_pack() / "docs" / name
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):  # the current folder is gone
        return str(path)
