"""Safe reload: serve the last good rule pack, and swap in a new one only when
every rule file and template in it is valid (as Prometheus does on SIGHUP).

A long-running process (the Slack bot) holds a `PackHolder` and calls
`holder.current()` per request. A watcher thread polls `rules/` and
`narratives/`; when their files change and then stay unchanged for one more
poll (editors save in several steps), it reloads. A broken edit leaves the old
pack serving and its problems in `status()`, for logs and for Slack to show.

Each attempt loads from a private copy of the files (a `PackSource`), never from
the files being edited: the serving pack can never read a half-saved template
later, and reply processes load the very same pack from the same copy.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.errors import Problem, RuleError
from bot.pack import Pack, check_pack

log = logging.getLogger("narrator.reload")

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class ReloadStatus:
    """What is serving, and how the last reload attempt went."""

    loaded_at: datetime
    files: tuple[str, ...]
    rules: int
    last_attempt_at: datetime
    last_attempt_ok: bool
    problems: tuple[Problem, ...] = field(default=())


@dataclass(frozen=True)
class PackSource:
    """Where a pack was loaded from: a copy of the rule files and templates that
    nothing changes afterwards (or the real folder, when it does not exist)."""

    rules: Path
    narratives: Path


#: Copies kept besides the serving one: a reply process may still be loading one.
KEPT_SOURCES = 2


def copy_source(rules_dir: Path, narratives: Path, into: Path) -> PackSource:
    """Copy both folders into a new folder under `into`, keeping their names, so a
    problem reads `rules/x.yaml:3:5` whichever copy it was found in."""
    target = Path(tempfile.mkdtemp(prefix="pack-", dir=into))

    def copy(folder: Path, side: str) -> Path:
        if not folder.is_dir():
            return folder  # the loader reports the missing folder by its real name
        return Path(shutil.copytree(folder, target / side / folder.name))

    return PackSource(copy(rules_dir, "r"), copy(narratives, "n"))


def fingerprint(*folders: Path) -> Fingerprint:
    """Every file under the folders with its modification time and size."""
    entries = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class PackHolder:
    """Holds the serving pack; thread-safe. `clock` gives the moments status reports."""

    def __init__(
        self, rules_dir: Path, narratives: Path, locale: str, clock: Callable[[], datetime]
    ) -> None:
        self.rules_dir = rules_dir
        self.narratives = narratives
        self.locale = locale
        self.clock = clock
        self._lock = threading.Lock()
        self._copies = Path(tempfile.mkdtemp(prefix="narrator-packs-"))
        weakref.finalize(self, shutil.rmtree, self._copies, ignore_errors=True)
        self._sources: list[PackSource] = []  # oldest first; the last one is serving
        # Taken before copying: an edit made while the copy is loaded shows as a change.
        self._seen = fingerprint(rules_dir, narratives)
        pack, problems, source = self._load()
        if problems:
            raise RuleError(problems, summary="the rule pack has problems; not starting")
        now = clock()
        self._serve(pack, source)
        self._status = ReloadStatus(now, pack.ruleset.files, len(pack.ruleset.rules), now, True)
        self._pending: Fingerprint | None = None

    def current(self) -> Pack:
        with self._lock:
            return self._pack

    def status(self) -> ReloadStatus:
        with self._lock:
            return self._status

    def source(self) -> PackSource:
        """The copy the serving pack was loaded from: load it again to get the same pack."""
        with self._lock:
            return self._sources[-1]

    def _load(self) -> tuple[Pack, list[Problem], PackSource]:
        """Copy the files and check the copy (a copy with problems is removed)."""
        source = copy_source(self.rules_dir, self.narratives, self._copies)
        pack, problems = check_pack(source.rules, source.narratives, self.locale)
        if problems:
            _remove(source, self._copies)
        return pack, problems, source

    def _serve(self, pack: Pack, source: PackSource) -> list[PackSource]:
        """Swap `pack` in (the lock is held); return the copies no longer needed."""
        self._pack = pack
        self._sources.append(source)
        stale = self._sources[: -1 - KEPT_SOURCES]
        del self._sources[: -1 - KEPT_SOURCES]
        return stale

    def reload(self) -> ReloadStatus:
        """Load everything again; swap only if there is no problem at all."""
        pack, problems, source = self._load()
        now = self.clock()
        stale: list[PackSource] = []
        with self._lock:
            if problems:
                old = self._status
                self._status = ReloadStatus(
                    old.loaded_at, old.files, old.rules, now, False, tuple(problems)
                )
                log.warning(
                    "rule pack reload refused, still serving the pack loaded at %s:\n%s",
                    old.loaded_at.isoformat(),
                    "\n".join(str(p) for p in problems),
                )
            else:
                stale = self._serve(pack, source)
                self._status = ReloadStatus(
                    now, pack.ruleset.files, len(pack.ruleset.rules), now, True
                )
                log.info("rule pack reloaded: %d rules", len(pack.ruleset.rules))
            status = self._status
        for old_source in stale:
            _remove(old_source, self._copies)
        return status

    def poll(self) -> bool:
        """Reload if the files changed and have since settled; True if it reloaded."""
        current = fingerprint(self.rules_dir, self.narratives)
        if current == self._seen:
            self._pending = None
            return False
        if current != self._pending:
            self._pending = current  # changed: wait one poll for the edit to settle
            return False
        self._seen, self._pending = current, None
        self.reload()
        return True

    def watch(self, interval: float, stop: threading.Event) -> threading.Thread:
        """Poll every `interval` seconds in a daemon thread until `stop` is set."""

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.poll()
                except Exception:  # the watcher must outlive any one bad poll
                    log.exception("rule pack watcher failed to poll; trying again")

        thread = threading.Thread(target=loop, name="rule-pack-watcher", daemon=True)
        thread.start()
        return thread


def _remove(source: PackSource, copies: Path) -> None:
    for folder in (source.rules, source.narratives):
        if copies in folder.parents:
            shutil.rmtree(folder.parent.parent, ignore_errors=True)
            return
