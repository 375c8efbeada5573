"""`narrator` commands run by tests, as processes forked from one that has already
imported the bot (the way multiprocessing's fork server starts the bot's own pack
checks), not as fresh interpreters.

A fresh `narrator clock --once` spends about 1.5 s of its 1.9 s of processor time
importing Python, the bot and matplotlib before it does 0.4 s of work; the suite runs
about 150 such commands. Each command here is still a process of its own, with its
own pid, arguments, environment, working folder, stdin (/dev/null), stdout and
stderr: killed with SIGKILL it dies mid-send as a real one does, and its exit status
is a real one. What it does not do is start Python or find `narrator` on disk, so
the tests about starting (tests/test_startup.py, the hint's command as the shell runs
it, `pip install .`, `serve` serving requests) run real `narrator` processes and only
commands whose subject is what the command does (or says) come through here.

One zygote process per test worker (started at the first command, stopped when the
worker ends) listens on a Unix socket. For each command it gets the arguments,
environment and folder, and the two files for stdout and stderr (as file
descriptors); it forks, says the child's pid, and, when the child ends, its exit
status. It is single-threaded, so forking it is safe.

    process = popen([NARRATOR, "clock", "--once"], env=..., cwd=...)
    out, err = process.communicate(timeout=120)   # as subprocess.Popen's
    result = run([NARRATOR, "ask", "last10 demo-creator"], env=..., cwd=...)
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

#: What the zygote imports before forking: the command line and everything a
#: command loads on its way (the clock's jobs, the digest's chart, the importers).
PRELOAD = [
    "bot.cli",
    "bot.commands",
    "bot.jobs",
    "bot.clock.loop",
    "bot.digest.send",
    "bot.checkin.send",
    "bot.slack.delivery",
    "bot.ingest",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
]


# -- the test side ---------------------------------------------------------------------


class Zygote:
    """The zygote process of this test worker and a way to reach it."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="zygote-"))
        self.address = str(self.folder / "socket")
        self.process = subprocess.Popen(
            [sys.executable, __file__, self.address], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        if ready.strip() != "ready":
            raise RuntimeError(f"tests/zygote.py did not start: {ready!r}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        if self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


_zygote: Zygote | None = None
_lock = threading.Lock()


def stop() -> None:
    """Stop this process's zygote, if it started one (tests/conftest.py, at the end of
    the run, before the run's temporary folder that holds its socket is removed)."""
    global _zygote
    with _lock:
        if _zygote is not None:
            atexit.unregister(_zygote.close)
            _zygote.close()
            _zygote = None


def _the_zygote() -> Zygote:
    global _zygote
    with _lock:
        if _zygote is None or _zygote.process.poll() is not None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


class Process:
    """A command forked by the zygote, as much of `subprocess.Popen` as the tests use
    (stdout and stderr are always captured, as text)."""

    def __init__(
        self, args: Sequence[str | os.PathLike[str]], env: Mapping[str, str], cwd: str
    ) -> None:
        self.args = [str(a) for a in args]
        self.returncode: int | None = None
        self._said: tuple[str, str] | None = None
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.connect(_the_zygote().address)
        request = json.dumps({"args": self.args, "env": dict(env), "cwd": cwd}).encode()
        socket.send_fds(self._socket, [request + b"\n"], [self._out.fileno(), self._err.fileno()])
        self._buffer = b""
        self._socket.settimeout(60)  # a fork takes milliseconds: a stuck zygote fails
        self.pid = int(self._message()["pid"])
        self._socket.settimeout(None)
        # The exit status is read by a thread of its own, so that any thread may poll,
        # wait or kill (the fake Slack kills from its server thread mid-request).
        self._ended = threading.Event()
        self._lost: str | None = None
        threading.Thread(target=self._watch, name=f"zygote-{self.pid}", daemon=True).start()

    def _message(self) -> dict[str, int]:
        """The zygote's next line."""
        while b"\n" not in self._buffer:
            chunk = self._socket.recv(4096)
            if not chunk:
                raise RuntimeError(f"the zygote went away while {self.args} ran")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _watch(self) -> None:
        try:
            self.returncode = int(self._message()["exit"])
        except (OSError, RuntimeError) as exc:
            self._lost = str(exc)
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode if self._ended.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout)
        if self.returncode is None:
            raise RuntimeError(self._lost)
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # ended since the poll
                os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        if self._said is None:
            self._said = (_text(self._out), _text(self._err))
            self._close()
        return self._said

    def _close(self) -> None:
        if hasattr(self, "_ended") and not self._ended.is_set():
            return  # still running: its watcher reads the socket, and the files are its
        for name in ("_out", "_err", "_socket"):  # what __init__ got to make
            if hasattr(self, name):
                getattr(self, name).close()

    def __del__(self) -> None:  # as for Popen: whoever only waited needs no output
        self._close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.poll() is None:
            self.kill()
            self.wait()
        self._close()


def _text(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", errors="replace").replace("\r\n", "\n")


def popen(
    args: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Process:
    """Start a `narrator` command (args[0] is the program as typed)."""
    return Process(args, os.environ if env is None else env, str(cwd or os.getcwd()))


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a `narrator` command to its end, as `subprocess.run(..., capture_output=True,
    text=True)` would."""
    with popen(args, env=env, cwd=cwd) as process:
        out, err = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.wait(), out, err)


# -- the zygote ------------------------------------------------------------------------


def _serve(address: str) -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    woken, wake = socket.socketpair()
    woken.setblocking(False)
    wake.setblocking(False)
    signal.set_wakeup_fd(wake.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector, nothing else
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(woken, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    parent = os.getppid()
    print("ready", flush=True)
    while os.getppid() == parent:  # a worker that died without closing it: stop too
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is woken:
                while True:
                    try:
                        woken.recv(4096)
                    except BlockingIOError:
                        break
                _reap(children)
                continue
            connection, _ = listener.accept()
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 2)
            while not message.endswith(b"\n"):
                message += connection.recv(1 << 20)
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                listener.close()
                woken.close()
                wake.close()
                for other in children.values():
                    other.close()
                connection.close()
                _child(request, fds)  # never returns
            for fd in fds:
                os.close(fd)
            connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            children[pid] = connection
        _reap(children)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is not None:
            exit_code = os.waitstatus_to_exitcode(status)
            with contextlib.suppress(OSError):  # the test is gone
                connection.sendall(json.dumps({"exit": exit_code}).encode() + b"\n")
            connection.close()


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the command, run it, exit with its status."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in (null, *fds):
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=unbuffered
        )
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
        )
        sys.argv = list(request["args"])
        from bot.cli import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        finally:
            atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


if __name__ == "__main__":
    # The import path a `narrator` script starts with: its own folder first, not tests/.
    sys.path[0] = str(Path(sys.executable).parent)
    _serve(sys.argv[1])
