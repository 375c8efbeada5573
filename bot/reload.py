"""Safe reload: serve the last good rule pack, and swap in a new one only when
every rule file and template in it is valid (as Prometheus does on SIGHUP).

A long-running process (the Slack bot) holds a `PackHolder` and calls
`holder.current()` per request. A watcher thread polls `rules/` and
`narratives/`; when their files change and then stay unchanged for one more
poll (editors save in several steps), it reloads. A broken edit leaves the old
pack serving and its problems in `status()`, for logs and for Slack to show.

Each attempt loads from a private copy of the files (a `PackSource`), never from
the files being edited: the serving pack can never read a half-saved template
later, and reply processes load the very same pack from the same copy. A job
`lease()`s the serving copy and `release()`s it when done; a copy is removed
once it is neither serving nor leased.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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


class CopyError(Exception):
    """The files could not be copied (one vanished or is unreadable mid-copy)."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"{folder}: {reason}")
        self.problem = Problem(
            str(folder),
            None,
            None,
            f"could not be read ({reason}); check that every file in it is readable, "
            "then save again",
        )


def copy_source(rules_dir: Path, narratives: Path, into: Path) -> PackSource:
    """Copy both folders into a new folder under `into`, keeping their names, so a
    problem reads `rules/x.yaml:3:5` whichever copy it was found in. Raises
    `CopyError` (leaving nothing behind) when a file cannot be read."""
    target = Path(tempfile.mkdtemp(prefix="pack-", dir=into))

    def copy(folder: Path, side: str) -> Path:
        if not folder.is_dir():
            return folder  # the loader reports the missing folder by its real name
        try:
            # An editor's lock file (`.#x.yaml`) is often a dangling link: skip those.
            return Path(
                shutil.copytree(folder, target / side / folder.name, ignore_dangling_symlinks=True)
            )
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise CopyError(folder, _reason(exc)) from exc

    source = PackSource(copy(rules_dir, "r"), copy(narratives, "n"))
    if not any(target in folder.parents for folder in (source.rules, source.narratives)):
        target.rmdir()  # neither folder exists: nothing was copied
    return source


def _reason(exc: OSError | shutil.Error) -> str:
    failed = exc.args[0] if isinstance(exc, shutil.Error) and exc.args else None
    if isinstance(failed, list) and failed:  # copytree collects (src, dst, why) per file
        src, _, why = failed[0]
        return f"{Path(src).name}: {why}"
    if isinstance(exc, shutil.Error):
        return str(exc)
    return exc.strerror or str(exc)


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
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._copies, ignore_errors=True)
        self._leases: Counter[PackSource] = Counter()
        # Taken before copying: an edit made while the copy is loaded shows as a change.
        self._seen = fingerprint(rules_dir, narratives)
        pack, problems, source = self._load()
        if problems:
            raise RuleError(problems, summary="the rule pack has problems; not starting")
        assert pack is not None
        assert source is not None
        now = clock()
        self._pack, self._source = pack, source
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
            return self._source

    def close(self) -> None:
        """Remove every copy (at shutdown, once no job holds one). The pack in memory
        keeps answering; a process killed by a signal skips `atexit`, so call this."""
        self._cleanup()

    def lease(self) -> tuple[PackSource, ReloadStatus]:
        """The serving copy and its status, taken together; the copy stays on disk
        until `release()`, however many reloads happen meanwhile."""
        with self._lock:
            self._leases[self._source] += 1
            return self._source, self._status

    def release(self, source: PackSource) -> None:
        with self._lock:
            self._leases[source] -= 1
            if self._leases[source] > 0:
                return
            del self._leases[source]
            if source == self._source:
                return
        _remove(source, self._copies)

    def _load(self) -> tuple[Pack | None, list[Problem], PackSource | None]:
        """Copy the files and check the copy (a copy with problems is removed)."""
        try:
            source = copy_source(self.rules_dir, self.narratives, self._copies)
        except CopyError as exc:
            return None, [exc.problem], None
        pack, problems = check_pack(source.rules, source.narratives, self.locale)
        if problems:
            _remove(source, self._copies)
            # Name the real folders, not the copy, in what the lead reads.
            real = {str(source.rules): str(self.rules_dir)}
            real[str(source.narratives)] = str(self.narratives)
            problems = [_renamed(problem, real) for problem in problems]
        return pack, problems, source

    def reload(self) -> ReloadStatus:
        """Load everything again; swap only if there is no problem at all."""
        return self._attempt()[0]

    def _attempt(self) -> tuple[ReloadStatus, bool]:
        """Reload; also say whether the files could be read at all (if not, try again)."""
        pack, problems, source = self._load()
        now = self.clock()
        retired: PackSource | None = None
        with self._lock:
            if problems or pack is None or source is None:
                old = self._status
                self._status = ReloadStatus(
                    old.loaded_at, old.files, old.rules, now, False, tuple(problems)
                )
                repeated = not old.last_attempt_ok and old.problems == tuple(problems)
                (log.info if repeated else log.warning)(
                    "rule pack reload refused, still serving the pack loaded at %s:\n%s",
                    old.loaded_at.isoformat(),
                    "\n".join(str(p) for p in problems),
                )
            else:
                if not self._leases[self._source]:
                    retired = self._source
                self._pack, self._source = pack, source
                self._status = ReloadStatus(
                    now, pack.ruleset.files, len(pack.ruleset.rules), now, True
                )
                log.info("rule pack reloaded: %d rules", len(pack.ruleset.rules))
            status = self._status
        if retired is not None:
            _remove(retired, self._copies)
        return status, source is not None

    def poll(self) -> bool:
        """Reload if the files changed and have since settled; True if it reloaded."""
        current = fingerprint(self.rules_dir, self.narratives)
        if current == self._seen:
            self._pending = None
            return False
        if current != self._pending:
            self._pending = current  # changed: wait one poll for the edit to settle
            return False
        self._pending = None
        _, read = self._attempt()
        if read:  # a copy that failed (a file vanished mid-copy) is tried again
            self._seen = current
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


def _renamed(problem: Problem, real: dict[str, str]) -> Problem:
    file, message = problem.file, problem.message
    for copy, folder in real.items():
        file, message = file.replace(copy, folder), message.replace(copy, folder)
    return replace(problem, file=file, message=message)


def _remove(source: PackSource, copies: Path) -> None:
    for folder in (source.rules, source.narratives):
        if copies in folder.parents:
            shutil.rmtree(folder.parent.parent, ignore_errors=True)
            return
