"""Reply jobs for the reply-process tests. They live in a module of their own so
that a reply process (started with spawn) can import them by name."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from bot.slack.services import Services


def sleep_then_write(services: Services, path: str, seconds: float) -> None:
    """Hold a reply process for `seconds`, then leave a mark that the job ran."""
    time.sleep(seconds)
    Path(path).write_text(str(os.getpid()), encoding="utf-8")


def append_pid_after(services: Services, path: str, seconds: float) -> None:
    """Hold a reply process for `seconds`, then add a line: one line per run."""
    time.sleep(seconds)
    with open(path, "a", encoding="utf-8") as marks:
        marks.write(f"{os.getpid()}\n")


def write_param(services: Services, path: str, rule_id: str, param: str) -> None:
    """Write the value of a rule's param in the pack this job was given."""
    (rule,) = [rule for rule in services.holder.current().ruleset.rules if rule.id == rule_id]
    Path(path).write_text(str(rule.spec.params[param]), encoding="utf-8")


def die(services: Services, request: dict[str, Any]) -> None:
    """Kill the reply process running this job, as the kernel's OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)
