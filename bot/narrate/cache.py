"""Compiled templates kept between runs, so a command does not compile the pack again.

Compiling the narratives is most of the time a pack takes to load. Each compiled
template is kept as a file named by a hash of everything its code depends on: the
template's text and name, the Jinja and Python versions, the environment's options,
filters and tests, and the source of the modules that shape the compilation
(`bot.narrate.env`, `bot.limits`). An edited template, an upgrade or a changed
sandbox is a new name, never a stale hit. Only code that compiled cleanly is kept,
so a cached template passed every check a fresh compile makes; every render check
of the pack still runs.

The template's path is not part of the name: the same pack at another path (each
reload checks and serves a fresh copy of the files, see bot/reload.py) uses the same
compiled code. The path is only written into the code objects (their co_filename,
which tracebacks show), so the code loaded is given the path of the file being
loaded, exactly as if it had been compiled from there.

The cache is an optimisation and never an error: an unwritable, missing or unsafe
folder (not ours, or writable by others: its files are loaded as code) means
templates are compiled as before. It holds at most `MAX_ENTRIES` files of at most
`MAX_FILE_BYTES` each; the oldest go first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

from jinja2 import BytecodeCache, Environment
from jinja2 import __version__ as jinja_version
from jinja2.bccache import Bucket

MAX_ENTRIES = 2000
MAX_FILE_BYTES = 4_000_000
_SUFFIX = ".jbc"

#: Modules whose source decides what a template compiles to (the parse-time checks and
#: the loop and concatenation budgets written into the code).
_HERE = Path(__file__).resolve().parent
_SHAPING = (_HERE / "env.py", _HERE.parent / "limits.py")


class TemplateCache(BytecodeCache):
    """Compiled templates in `folder`, one file per template version (see the module)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = hashlib.sha256(
            "\0".join((fingerprint(environment), name, source)).encode("utf-8", "surrogatepass")
        ).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        if bucket.code is not None:
            # Jinja compiles with "<template>" for a template without a file.
            bucket.code = _with_filename(bucket.code, filename or "<template>")
        return bucket

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{bucket.key}{_SUFFIX}"

    def load_bytecode(self, bucket: Bucket) -> None:
        data = read_entry(self._path(bucket), MAX_FILE_BYTES)
        if data is None:
            return
        try:
            bucket.bytecode_from_string(data)
        except Exception:  # a truncated or foreign file: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = bucket.bytecode_to_string()
        if len(data) <= MAX_FILE_BYTES:
            write_entry(self._path(bucket), data, keep=MAX_ENTRIES)


def read_entry(path: Path, limit: int) -> bytes | None:
    """A cache file's bytes; None when it is missing, unreadable or over `limit`."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > limit:
                return None
            return f.read(limit + 1)
    except OSError:
        return None


def write_entry(path: Path, data: bytes, *, keep: int) -> None:
    """Write a cache file, the folder holding at most `keep` files of its kind (the
    oldest half goes when it is full); never an error."""
    try:
        _trim(path.parent, path.suffix, keep)
        # Written aside and renamed: a reader never sees half a file.
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass


def _with_filename(code: CodeType, filename: str) -> CodeType:
    """`code` and the code objects inside it (macros, blocks, loops' functions) naming
    `filename`, as compile(source, filename) would have made them."""
    if code.co_filename == filename:
        return code
    consts = tuple(
        _with_filename(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


def open_cache(folder: Path | None) -> TemplateCache | None:
    """A cache in `folder`, created private if missing; None when there is no folder or
    it is not safe to load code from (not ours, writable by others, not a folder)."""
    safe = private_folder(folder)
    return TemplateCache(safe) if safe is not None else None


def private_folder(folder: Path | None) -> Path | None:
    """`folder`, created private (0700) if missing; None when there is none, it cannot
    be made, or it is not safe to trust (not a folder, not ours, writable by others)."""
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    return folder


def fingerprint(environment: Environment) -> str:
    """What, besides a template's own text, its compiled code depends on."""
    return _fingerprint(
        type(environment).__qualname__,
        tuple(sorted(environment.filters)),
        tuple(sorted(environment.tests)),
        tuple(sorted(environment.extensions)),
        _options(environment),
    )


def _options(environment: Environment) -> tuple[Any, ...]:
    syntax = tuple(
        repr(getattr(environment, name, None))
        for name in (
            "block_start_string",
            "block_end_string",
            "variable_start_string",
            "variable_end_string",
            "comment_start_string",
            "comment_end_string",
            "line_statement_prefix",
            "line_comment_prefix",
            "trim_blocks",
            "lstrip_blocks",
            "newline_sequence",
            "keep_trailing_newline",
            "optimized",
            "is_async",
        )
    )
    finalize = getattr(environment.finalize, "__qualname__", None)
    return (*syntax, environment.autoescape is not False, finalize)


@functools.lru_cache(maxsize=32)
def _fingerprint(*parts: Any) -> str:
    digest = hashlib.sha256()
    digest.update(repr((sys.version, sys.implementation.cache_tag, jinja_version)).encode())
    digest.update(repr(parts).encode())
    digest.update(_shaping_sources())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _shaping_sources() -> bytes:
    digest = hashlib.sha256()
    for path in _SHAPING:
        digest.update(path.read_bytes())
    return digest.digest()


def _trim(folder: Path, suffix: str, keep: int) -> None:
    """Make room for one more file: drop the oldest half when the folder is full."""
    entries = []
    with os.scandir(folder) as scan:
        for entry in scan:
            if entry.name.endswith(suffix):
                entries.append(entry)
    if len(entries) < keep:
        return
    entries.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime)
    for entry in entries[: len(entries) // 2 + 1]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
