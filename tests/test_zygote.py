"""tests/zygote.py: a command forked by the zygote is a process of its own, with the
arguments, folder, environment, output and exit status it was given, as a fresh
`narrator` process would have."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from tests import zygote

NARRATOR = str(Path(sys.executable).with_name("narrator"))


def test_each_command_has_its_own_folder_environment_output_and_status(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
    made = zygote.run([NARRATOR, "migrate"], cwd=first, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    assert (first / "narrator.db").is_file()  # the default store, in the folder given
    # A setting given to one command is not seen by the next.
    elsewhere = zygote.run(
        [NARRATOR, "migrate"], cwd=second, env={**env, "NARRATOR_DB": "other.db"}, timeout=120
    )
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert (second / "other.db").is_file()
    again = zygote.run([NARRATOR, "migrate"], cwd=second, env=env, timeout=120)
    assert (second / "narrator.db").is_file()
    assert again.returncode == 0
    # Usage errors exit 2, naming the program as typed; stdout and stderr stay apart.
    wrong = zygote.run([NARRATOR, "rules", "nonsense"], cwd=first, env=env, timeout=120)
    assert wrong.returncode == 2
    assert wrong.stdout == ""
    assert "Usage: narrator rules" in wrong.stderr
    assert "No such command 'nonsense'" in wrong.stderr


def test_a_killed_command_dies_of_its_signal(tmp_path: Path):
    env = {**os.environ, "NARRATOR_DB": str(tmp_path / "demo.db")}
    with zygote.popen([NARRATOR, "demo"], cwd=tmp_path, env=env) as process:
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
        assert process.poll() == -signal.SIGKILL
