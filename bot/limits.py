"""What a rule pack may hold, and reading its files (rules/, narratives/) without trusting them.

Whoever can edit the pack can write any file name there, including a link to
`/proc/self/environ` or a named pipe. So every rule file and template is read
through `read_pack_file`: it must be a regular file whose real path (links
resolved) lies inside the folder it was found in, and no larger than
`MAX_FILE_BYTES`. A link that stays inside the folder is followed (a French
partial may link to the English one); anything else is refused by name.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: The largest number a rule file, condition or template may write (thresholds and
#: counts are far below; beyond it Python's int turns slow, and float conversion fails).
MAX_NUMBER = 10**15
#: The largest rule file, rule test file or template (the shipped ones are under 8 KB).
MAX_FILE_BYTES = 256 * 1024
#: The most rules in the pack (each is compiled, rendered four times at check, and
#: evaluated on every reply; the shipped pack has 16).
MAX_RULES = 200
#: The most files (and folders) rules/ or narratives/ may hold: each is copied and
#: looked at on every poll of the watcher.
MAX_ENTRIES = 1000


def number_too_large(value: object) -> str | None:
    """Why a number written in the pack is refused, or None if it is fine."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if abs(value) <= MAX_NUMBER:
        return None
    # str() of an int over 4,300 digits raises: count digits from the bits instead.
    bits = abs(value).bit_length()
    digits = len(str(abs(value))) if bits < 10_000 else int(bits * 0.30103) + 1
    return digits_too_long(digits)


def digits_too_long(digits: int) -> str:
    return f"a number {digits:,} digits long; numbers in a rule pack go up to {MAX_NUMBER:,}"


class PackFileError(Exception):
    """A pack file that must not be read; `reason` says why and how to fix it.
    `transient`: it could not be opened (it vanished mid-save): try again later."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB"


def inside(path: Path, root: Path, real_root: str | None = None) -> Path:
    """The real path of `path`, if it lies inside the real `root`; else PackFileError.

    Below the real root (`real_root`, when the caller found it once for many files),
    each name of `path` is looked at with one `lstat`, not a whole `realpath`, which
    looks at every folder from `/` down, for the file and again for the root (reading
    the shipped pack's 166 files took 42 ms that way, 16 ms this way; copying it, 58
    ms and 25 ms); a path with a link in it is resolved in full."""
    top_text = real_root or os.path.realpath(root)
    try:
        names = path.relative_to(root).parts
    except ValueError:
        names = ("..",)  # not written under root: resolve it in full
    if ".." not in names:
        real_text = top_text
        for name in names:
            real_text = os.path.join(real_text, name)
            try:
                linked = stat.S_ISLNK(os.lstat(real_text).st_mode)
            except OSError:
                break  # gone or unreadable: the full resolution and the open say so
            if linked:
                break
        else:
            return Path(real_text)
    top = Path(top_text)
    real = Path(os.path.realpath(path))
    if real != top and top not in real.parents:
        raise PackFileError(
            f"leads through a link to {real}, outside {root.name}/; a rule pack may only "
            "read its own files: copy the file into the folder instead of linking to it"
        )
    return real


def read_pack_file(path: Path, root: Path, real_root: str | None = None) -> bytes:
    """The bytes of a pack file, checked as the module says; PackFileError if refused.
    `real_root`: `os.path.realpath(root)`, found once by a caller reading many files.

    The file is opened without blocking and checked on the open descriptor, so a
    pipe swapped in after the check can neither block the read nor be read.
    """
    real = inside(path, root, real_root)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise PackFileError(
            f"cannot be read ({exc.strerror or exc}); check that it exists and is readable",
            transient=True,
        ) from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PackFileError(not_regular(info.st_mode))
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise PackFileError(too_large(max(info.st_size, len(data))))
    return data


def not_regular(mode: int) -> str:
    kind = "a folder" if stat.S_ISDIR(mode) else "a pipe, socket or device"
    return f"is {kind}, not a file; remove it from the rule pack"


def too_large(size: int) -> str:
    return (
        f"is {kb(size)}; a rule pack file may be at most {kb(MAX_FILE_BYTES)}: "
        "split it into several files"
    )


@dataclass(frozen=True)
class Entry:
    """One thing found under a pack folder, as `lstat` saw it (links not followed)."""

    path: Path
    mode: int
    mtime_ns: int
    size: int


def walk(folder: Path) -> Iterator[Entry]:
    """Everything under `folder`, in name order, never descending into a linked folder.

    Stops with PackFileError after MAX_ENTRIES entries."""
    count = 0
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            names = sorted(os.listdir(current))
        except OSError:
            continue  # vanished or unreadable: the copy (or the loader) says so
        children = []
        for name in names:
            path = current / name
            try:
                info = os.lstat(path)
            except OSError:
                continue
            count += 1
            if count > MAX_ENTRIES:
                raise PackFileError(
                    f"holds more than {MAX_ENTRIES:,} files and folders; a rule pack is "
                    "rules and templates only: move the rest elsewhere"
                )
            yield Entry(path, info.st_mode, info.st_mtime_ns, info.st_size)
            if stat.S_ISDIR(info.st_mode):
                children.append(path)
        pending.extend(reversed(children))


@dataclass(frozen=True)
class Survey:
    """What a pack folder holds: the files that may be read (regular, or linked to a
    regular file inside the folder), its real sub-folders, and what is refused and why."""

    files: tuple[Path, ...]
    folders: tuple[Path, ...]
    refused: tuple[tuple[Path, str], ...]


def survey(folder: Path) -> Survey:
    """Look at everything under `folder` (a missing folder holds nothing)."""
    files: list[Path] = []
    folders: list[Path] = []
    refused: list[tuple[Path, str]] = []
    try:
        for entry in walk(folder):
            if stat.S_ISDIR(entry.mode):
                folders.append(entry.path)
            elif stat.S_ISLNK(entry.mode):
                reason = _link_refusal(entry.path, folder)
                if reason is None:
                    files.append(entry.path)
                elif reason:
                    refused.append((entry.path, reason))
            elif not stat.S_ISREG(entry.mode):
                refused.append((entry.path, not_regular(entry.mode)))
            elif entry.size > MAX_FILE_BYTES:
                refused.append((entry.path, too_large(entry.size)))
            else:
                files.append(entry.path)
    except PackFileError as exc:
        refused.append((folder, exc.reason))
    return Survey(tuple(files), tuple(folders), tuple(refused))


def _link_refusal(path: Path, folder: Path) -> str | None:
    """Why a link is refused, None if it leads to a file that may be read, or ""
    for a dangling link (an editor's lock file, `.#x.yaml`): nothing to read, skipped."""
    try:
        info = os.stat(path)
    except OSError:
        return ""
    if stat.S_ISDIR(info.st_mode):
        return (
            "is a link to a folder; a rule pack holds its own folders only: copy the "
            "folder in instead of linking to it"
        )
    try:
        inside(path, folder)
    except PackFileError as exc:
        return exc.reason
    if not stat.S_ISREG(info.st_mode):
        return not_regular(info.st_mode)
    if info.st_size > MAX_FILE_BYTES:
        return too_large(info.st_size)
    return None
