"""Rule packs already checked, remembered between runs so a command does not check
the same pack again.

Checking a pack (every rule tried on sample rows, every template of every language
rendered against its samples) is most of the time a terminal command spends before
it answers, and it gives the same answer for the same files and the same code. A
pack that passed every check leaves a marker named by a hash of everything the
answer depends on: each file of the rules and narratives folders (path and bytes),
the language, and the source of the whole `bot` package, Python's and Jinja's
versions. The next load of an identical pack loads it (rules parsed and compiled,
templates found, every file still refused or accepted by the same survey) without
running the checks again; any edit, upgrade or code change is a new name, so the
full check runs. Only clean packs are remembered: a pack with problems is checked
every time, so its problems are always told.

Each language's layouts and messages, rendered against their sample contexts, read no
rule: a clean render of them is remembered apart (`layouts_key`, named by the
narratives folder, the language and the code), so an edit of the rules alone, checked
in full, does not render them again.

Like the template cache, this is an optimisation and never an error: no cache folder,
an unsafe one (not ours, writable by others) or an unreadable file means the full
check runs, as before.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

from bot.limits import survey

_BOT = Path(__file__).resolve().parent

#: The most packs remembered (each edit of a pack is a new one); the oldest half goes
#: when the folder is full.
MAX_PACKS = 200


def key(rules_dir: Path, narratives: Path, locale: str) -> str | None:
    """The hash naming this pack and this code, or None when a file cannot be read."""
    return _key((rules_dir, narratives), locale)


def layouts_key(narratives: Path, locale: str) -> str | None:
    """The hash naming one language's layouts and messages checked against their sample
    contexts: they read no rule, so an edit of the rules alone keeps the name."""
    return _key((narratives,), f"layouts\0{locale}")


def _key(folders: tuple[Path, ...], what: str) -> str | None:
    digest = hashlib.sha256()
    digest.update(f"{what}\0{code_version()}\0".encode())
    for folder in folders:
        found = survey(folder)
        digest.update(f"{folder.name}\0{len(found.refused)}\0".encode())
        for path in sorted(found.files):
            try:
                data = path.read_bytes()
            except OSError:
                return None
            digest.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogatepass"))
            digest.update(b"\0%d\0" % len(data))
            digest.update(data)
    return digest.hexdigest()


def locate(rules_dir: Path, narratives: Path, locale: str) -> tuple[Path | None, str | None]:
    """The cache folder (NARRATOR_CACHE) and this pack's name in it; (None, None) when
    packs are not remembered, a name of None when a file cannot be read."""
    from bot.config import cache_folder

    folder = cache_folder()
    return folder, key(rules_dir, narratives, locale) if folder else None


def checked(folder: Path | None, name: str | None) -> bool:
    """Whether a pack named `name` passed every check before."""
    place = _folder(folder)
    return bool(place and name and (place / name).is_file())


def remember(folder: Path | None, name: str | None) -> None:
    """Note that the pack named `name` passed every check."""
    from bot.narrate.cache import write_entry

    place = _folder(folder)
    if place is None or not name:
        return
    write_entry(place / name, b"", keep=MAX_PACKS)


def _folder(folder: Path | None) -> Path | None:
    """`folder`/packs, created private; None when missing or not safe to trust."""
    from bot.narrate.cache import private_folder

    return private_folder(folder / "packs") if folder is not None else None


@functools.cache
def code_version() -> str:
    """The source of every module of the package, and the versions that run it."""
    from jinja2 import __version__ as jinja_version

    digest = hashlib.sha256(f"{sys.version}\0{jinja_version}\0".encode())
    for path in sorted(_BOT.rglob("*.py")):
        digest.update(path.relative_to(_BOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
