"""`rules check` and reload attempts in a child process, under a time and memory budget.

Checking a pack runs what a lead wrote: every template is rendered. The sandbox
holds each render to a budget (`bot.narrate.limits`), but those checks are
cooperative: they run between template steps, so a single step that is slow or
large in C code (one we did not foresee) would still stall the check, and a
thread cannot be stopped from outside. A process can. So the check runs in a
child that may use CHECK_SECONDS and CHECK_MEMORY of address space; past either
it is killed (or fails its allocation) and the pack is refused with a plain
problem, while the caller (the reload watcher) carries on serving.

Children are forked from a fork server that has already imported the pack code,
so an attempt costs a fork, not a Python start-up (about half a second).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, Problem

log = logging.getLogger("narrator.reload")

#: The longest a whole check may take (the shipped pack takes 0.2 s).
CHECK_SECONDS = 60.0
#: The address space the checking process may use (it starts at about 220 MB).
CHECK_MEMORY = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Checked:
    """What a check in a child found: every problem, and the pack's size."""

    problems: tuple[Problem, ...]
    rules: int = 0
    files: int = 0


#: What the fork server imports before it forks anything: the pack code, and what
#: `preload` adds (the reply processes' code, when the bot serves Slack).
_PRELOAD = ["bot.pack"]


def preload(*modules: str) -> None:
    """Have the fork server import `modules` too, so that each child forked from it
    has them already. Effective when said before the server starts (it starts when a
    child is first needed); the terminal's `rules check` does not say it, and so does
    not pay for code only the Slack bot runs."""
    _PRELOAD.extend(m for m in modules if m not in _PRELOAD)


def process_context() -> Any:
    """Where the bot's child processes come from: forked from a fork server that has
    already imported the pack code (a fork, not a Python start-up), else spawned."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:  # Windows: a fresh interpreter per check
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    return context


def prepare() -> None:
    """Say now (ConfigError) if the temporary folder cannot hold the fork server's
    socket, so it is told at start-up, not at the first edit of a running bot. The
    server itself starts when it is first needed (an edit to check, the reply
    processes): a bot whose pack is never edited, and `clock --once`, never start
    one, which costs 0.7 s of processor time importing the pack code."""
    if process_context().get_start_method() != "forkserver":
        return
    import shutil
    import socket
    import tempfile

    # Where and how multiprocessing puts it: <TMPDIR>/pymp-XXXXXXXX/listener-XXXXXXXX.
    folder = tempfile.mkdtemp(prefix="pymp-")
    try:
        with socket.socket(socket.AF_UNIX) as probe:
            probe.bind(os.path.join(folder, "listener-" + "x" * 8))
    except BaseException as exc:
        _say_socket_path(exc)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _say_socket_path(exc: BaseException) -> None:
    """A socket path too long, as a setting to change (else nothing: the caller raises)."""
    if isinstance(exc, OSError) and "path too long" in str(exc):
        # The fork server listens on a socket file in the temporary folder, and a
        # socket's path may not exceed about 100 characters.
        import tempfile

        folder = tempfile.gettempdir()
        raise ConfigError(
            f"the temporary folder {folder} has too long a path ({len(folder)} "
            "characters) for the rule checker's socket: set TMPDIR to a shorter "
            "folder, such as /tmp"
        ) from None


def check_isolated(
    rules_dir: Path,
    narratives: Path,
    locale: str,
    *,
    seconds: float = CHECK_SECONDS,
    memory: int = CHECK_MEMORY,
    as_given: bool = False,
) -> Checked:
    """`check_pack` in a child process; its problems, or one saying why it stopped."""
    context = process_context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_check_in_child,
        args=(send, rules_dir, narratives, locale, memory, as_given),
        name="rule-pack-check",
        daemon=True,
    )
    try:
        process.start()
    except BaseException as exc:
        receive.close()
        send.close()
        _say_socket_path(exc)
        raise
    try:
        send.close()  # the child holds the only writing end: its exit is an EOF here
        outcome = receive.recv() if receive.poll(seconds) else None
    except EOFError:  # the child died without a word (killed by the system)
        outcome = ("died", None)
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
        code = process.exitcode
        process.close()
    if outcome is None:
        return Checked(
            (
                Problem(
                    str(rules_dir),
                    None,
                    None,
                    f"checking the rule pack took longer than {seconds:g} s, so it was "
                    "stopped; a rule or template of the last edit does too much: undo it, "
                    "or run `narrator rules check` to find it",
                ),
            )
        )
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "memory":
        reason = f"needed more than {memory // 2**20:,} MB of memory"
    elif kind == "died":
        reason = f"stopped unexpectedly (exit code {code})"
    else:
        log.error("checking the rule pack %s failed:\n%s", rules_dir, value)
        reason = "failed on an error in the bot (the log has the details)"
    return Checked(
        (
            Problem(
                str(rules_dir),
                None,
                None,
                f"checking the rule pack {reason}, so it was stopped; undo the last edit "
                "and save again",
            ),
        )
    )


def _check_in_child(
    send: Connection, rules_dir: Path, narratives: Path, locale: str, memory: int, as_given: bool
) -> None:
    try:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        except (ImportError, ValueError, OSError):
            pass  # no such limit here (Windows): the time budget still holds
        from bot.pack import check_pack

        pack, problems = check_pack(rules_dir, narratives, locale, as_given=as_given)
        checked = Checked(tuple(problems), len(pack.ruleset.rules), len(pack.ruleset.files))
        send.send(("ok", checked))
    except MemoryError:
        send.send(("memory", None))
    except BaseException:
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()
