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

Whoever edits the pack is not trusted with the process: the copy takes only the
pack's own regular files (`bot.limits`: no link out of the folders, no linked
folder, no pipe, nothing over the size limit), and each attempt is checked in a
child process under a time and memory budget (`bot.packcheck`), so no edit can
stall the watcher; files identical to a pack that passed that check before (with
this code: `bot.packcache`) are not checked again. Every attempt removes its copy
unless it swapped it in, and an attempt that fails, for whatever reason, is
reported as failing and logged once.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from bot import packcache
from bot.errors import Problem, RuleError
from bot.limits import PackFileError, read_pack_file, survey, walk
from bot.model import to_utc_text
from bot.pack import Pack, check_pack, refused_files
from bot.packcheck import CHECK_MEMORY, CHECK_SECONDS, check_isolated, prepare

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

    def summary(self) -> str:
        """One sentence for health checks and logs."""
        if self.last_attempt_ok:
            return f"serving the pack loaded at {to_utc_text(self.loaded_at)}"
        because = "; ".join(str(p) for p in self.problems[:3])
        more = len(self.problems) - 3
        if more > 0:
            because += f" (and {more} more problem{'s' if more > 1 else ''})"
        return (
            f"serving the last good pack since {to_utc_text(self.loaded_at)}, the newest edit "
            f"is refused because {because}"
        )


@dataclass(frozen=True)
class PackSource:
    """Where a pack was loaded from: a copy of the rule files and templates that
    nothing changes afterwards (or the real folder, when it does not exist)."""

    rules: Path
    narratives: Path


class CopyError(Exception):
    """The files were not copied: some may not be read (`problems`), or one vanished
    or was unreadable mid-copy (`retry`: the next poll tries again)."""

    def __init__(self, problems: list[Problem], *, retry: bool = False) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
        self.retry = retry


def copy_source(rules_dir: Path, narratives: Path, into: Path) -> PackSource:
    """Copy both folders into a new folder under `into`, keeping their names, so a
    problem reads `rules/x.yaml:3:5` whichever copy it was found in. Only the pack's
    own files are copied (see `bot.limits`); raises `CopyError`, leaving nothing
    behind, when one may not or cannot be read."""
    refused = refused_files(rules_dir) + refused_files(narratives)
    if refused:
        raise CopyError(sorted(refused, key=lambda p: p.file))
    target = Path(tempfile.mkdtemp(prefix="pack-", dir=into))
    try:
        source = PackSource(_copy(rules_dir, target / "r"), _copy(narratives, target / "n"))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    if not any(target in folder.parents for folder in (source.rules, source.narratives)):
        target.rmdir()  # neither folder exists: nothing was copied
    return source


def _copy(folder: Path, side: Path) -> Path:
    """The regular files and real folders of `folder`, written afresh under `side`:
    a link inside the pack becomes a copy of what it leads to, never a link."""
    if not folder.is_dir():
        return folder  # the loader reports the missing folder by its real name
    found = survey(folder)
    if found.refused:  # changed since it was looked at
        raise CopyError(refused_files(folder))
    copy = side / folder.name
    real = os.path.realpath(folder)
    try:
        copy.mkdir(parents=True)
        for sub in found.folders:
            (copy / sub.relative_to(folder)).mkdir(parents=True, exist_ok=True)
        for path in found.files:
            (copy / path.relative_to(folder)).write_bytes(read_pack_file(path, folder, real))
    except PackFileError as exc:
        name = f"{folder.name}/{path.relative_to(folder)}"
        raise CopyError([Problem(name, None, None, exc.reason)], retry=exc.transient) from None
    except OSError as exc:
        problem = Problem(
            str(folder),
            None,
            None,
            f"could not be read ({exc.strerror or exc}); check that every file in it is "
            "readable, then save again",
        )
        raise CopyError([problem], retry=True) from None
    return copy


def fingerprint(*folders: Path) -> Fingerprint:
    """Everything under the folders (links and pipes too) with its modification time
    and size, as `lstat` sees it: a new link is a change like a new file."""
    entries = []
    for folder in folders:
        try:
            entries.extend((str(e.path), e.mtime_ns, e.size) for e in walk(folder))
        except PackFileError:
            entries.append((str(folder), -1, -1))  # too many files: the attempt says so
    return tuple(entries)


class PackHolder:
    """Holds the serving pack; thread-safe. `clock` gives the moments status reports."""

    def __init__(
        self,
        rules_dir: Path,
        narratives: Path,
        locale: str,
        clock: Callable[[], datetime],
        *,
        check_seconds: float = CHECK_SECONDS,
        check_memory: int = CHECK_MEMORY,
    ) -> None:
        self.rules_dir = rules_dir
        self.narratives = narratives
        self.locale = locale
        self.clock = clock
        self.check_seconds = check_seconds
        self.check_memory = check_memory
        self._refused: tuple[Problem, ...] | None = None  # the problems last logged
        self._failure: str | None = None  # the last unexpected error logged
        self._lock = threading.Lock()
        self._copies = Path(tempfile.mkdtemp(prefix="narrator-packs-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._copies, ignore_errors=True)
        self._leases: Counter[PackSource] = Counter()
        prepare()  # the checker of later edits: a temporary folder it cannot use is told now
        # Taken before copying: an edit made while the copy is loaded shows as a change.
        self._seen = fingerprint(rules_dir, narratives)
        pack, problems, source, _ = self._load()
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

    def _load(self) -> tuple[Pack | None, list[Problem], PackSource | None, bool]:
        """Copy the files and check the copy in a child process; a copy that is not
        returned is removed, whatever happened. The last value says whether to try
        again at the next poll (a file vanished mid-copy)."""
        try:
            source = copy_source(self.rules_dir, self.narratives, self._copies)
        except CopyError as exc:
            return None, exc.problems, None, exc.retry
        pack: Pack | None = None
        try:
            # Files identical to a pack that passed every check before, with this code,
            # need no check again (bot.packcache): the child would say the same.
            folder, name = packcache.locate(source.rules, source.narratives, self.locale)
            problems = []
            if not packcache.checked(folder, name):
                checked = check_isolated(
                    source.rules,
                    source.narratives,
                    self.locale,
                    seconds=self.check_seconds,
                    memory=self.check_memory,
                )
                problems = list(checked.problems)
                if not problems:
                    packcache.remember(folder, name)
            if not problems:
                # The child rendered every template; load what it checked, no more.
                pack, problems = check_pack(
                    source.rules, source.narratives, self.locale, render=False
                )
        finally:
            if pack is None or problems:
                _remove(source, self._copies)
        if problems:
            # Name the real folders, not the copy, in what the lead reads.
            real = {str(source.rules): str(self.rules_dir)}
            real[str(source.narratives)] = str(self.narratives)
            return None, [_renamed(problem, real) for problem in problems], None, False
        return pack, [], source, False

    def reload(self) -> ReloadStatus:
        """Load everything again; swap only if there is no problem at all."""
        return self._attempt()[0]

    def _attempt(self) -> tuple[ReloadStatus, bool]:
        """Reload; also say whether the attempt is done with these files (if not, a
        file could not be read mid-copy: try again)."""
        try:
            pack, problems, source, retry = self._load()
        except Exception as exc:  # a bug of ours: refuse the edit, say so, log it once
            pack, problems, source, retry = None, [self._unexpected(exc)], None, False
        now = self.clock()
        retired: PackSource | None = None
        with self._lock:
            if pack is None or source is None:
                old = self._status
                self._status = ReloadStatus(
                    old.loaded_at, old.files, old.rules, now, False, tuple(problems)
                )
                # The same refusal again (a file that keeps failing to copy) is not news.
                repeated = self._refused == tuple(problems)
                self._refused = tuple(problems)
                (log.debug if repeated else log.warning)(
                    "rule pack reload refused, still serving the pack loaded at %s:\n%s",
                    old.loaded_at.isoformat(),
                    "\n".join(str(p) for p in problems),
                )
            else:
                self._refused = self._failure = None
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
        return status, not retry

    def _unexpected(self, exc: Exception) -> Problem:
        """An attempt that failed on an error in the bot: its traceback is logged once."""
        key = f"{type(exc).__name__}: {exc}"
        if key != self._failure:
            self._failure = key
            log.error("a rule pack reload attempt failed on an error in the bot", exc_info=exc)
        return Problem(
            str(self.rules_dir),
            None,
            None,
            f"the edit could not be checked: the bot failed ({type(exc).__name__}; the log "
            "has the details); save again to retry",
        )

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
        _, done = self._attempt()
        if done:  # a copy that failed (a file vanished mid-copy) is tried again
            self._seen = current
        return True

    def watch(self, interval: float, stop: threading.Event) -> threading.Thread:
        """Poll every `interval` seconds in a daemon thread until `stop` is set."""

        def loop() -> None:
            last: str | None = None
            while not stop.wait(interval):
                try:
                    self.poll()
                except Exception as exc:  # the watcher must outlive any one bad poll
                    # ...and say so once, not every few seconds.
                    key = f"{type(exc).__name__}: {exc}"
                    if key != last:
                        log.exception("rule pack watcher failed to poll; trying again")
                    last = key
                else:
                    last = None

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
