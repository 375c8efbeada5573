"""Safe reload: serve the last good rule pack, and swap in a new one only when
every rule file and template in it is valid (as Prometheus does on SIGHUP).

A long-running process (the Slack bot) holds a `PackHolder` and calls
`holder.current()` per request. A watcher thread polls `rules/` and
`narratives/`; when their files change and then stay unchanged for one more
poll (editors save in several steps), it reloads. A broken edit leaves the old
pack serving and its problems in `status()`, for logs and for Slack to show.
"""

from __future__ import annotations

import logging
import threading
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
        pack, problems = check_pack(rules_dir, narratives, locale)
        if problems:
            raise RuleError(problems, summary="the rule pack has problems; not starting")
        now = clock()
        self._pack = pack
        self._status = ReloadStatus(now, pack.ruleset.files, len(pack.ruleset.rules), now, True)
        self._seen = fingerprint(rules_dir, narratives)
        self._pending: Fingerprint | None = None

    def current(self) -> Pack:
        with self._lock:
            return self._pack

    def status(self) -> ReloadStatus:
        with self._lock:
            return self._status

    def reload(self) -> ReloadStatus:
        """Load everything again; swap only if there is no problem at all."""
        pack, problems = check_pack(self.rules_dir, self.narratives, self.locale)
        now = self.clock()
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
                self._pack = pack
                self._status = ReloadStatus(
                    now, pack.ruleset.files, len(pack.ruleset.rules), now, True
                )
                log.info("rule pack reloaded: %d rules", len(pack.ruleset.rules))
            return self._status

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
