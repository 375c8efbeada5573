"""`rules check` and reload attempts run in a child process under a time and memory
budget: whatever a rule or template does, the caller gets its answer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bot.pack import check_pack
from bot.packcheck import check_isolated


def test_a_check_in_a_child_finds_what_a_check_in_process_finds(tmp_path: Path, root: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "rules:\n  - id: x\n    description: d\n    severity: info\n    condition: impresions > 1\n"
    )
    checked = check_isolated(rules, root / "narratives", "en")
    _, problems = check_pack(rules, root / "narratives", "en")
    assert checked.problems == tuple(problems)
    shipped = check_isolated(root / "rules", root / "narratives", "en")
    assert (shipped.problems, shipped.rules, shipped.files) == ((), 17, 6)


def test_a_check_over_its_time_is_stopped_with_a_plain_problem(root: Path):
    (problem,) = check_isolated(root / "rules", root / "narratives", "en", seconds=0).problems
    assert str(problem) == (
        f"{root / 'rules'}: checking the rule pack took longer than 0 s, so it was stopped; "
        "a rule or template of the last edit does too much: undo it, or run "
        "`narrator rules check` to find it"
    )


def test_a_check_over_its_memory_is_stopped_with_a_plain_problem(root: Path):
    # Less than the checking process itself needs: its first allocations fail.
    checked = check_isolated(root / "rules", root / "narratives", "en", memory=50 * 2**20)
    assert [str(p) for p in checked.problems] == [
        f"{root / 'rules'}: checking the rule pack needed more than 50 MB of memory, so it "
        "was stopped; undo the last edit and save again"
    ]


def test_start_up_refuses_exactly_the_temporary_folders_the_checker_cannot_use(
    root: Path, request: pytest.FixtureRequest
):
    """`prepare` (at start-up) only tries a socket where the fork server will put its
    own, without starting it: the longest folder it accepts runs a check in a child,
    and one character more is refused at once, in words."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.errors import ConfigError\n"
        "from bot.packcheck import check_isolated, prepare\n"
        "from multiprocessing import active_children\n"
        "try:\n"
        "    prepare()\n"
        "except ConfigError as exc:\n"
        "    print('refused:', exc); sys.exit(0)\n"
        "import multiprocessing.forkserver as fs\n"
        "print('server started early:', fs._forkserver._forkserver_pid is not None)\n"
        "checked = check_isolated(Path(sys.argv[1]) / 'rules', Path(sys.argv[1]) / 'narratives', 'en')\n"
        "print('checked:', checked.rules, 'rules,', len(checked.problems), 'problems')\n"
    )
    said = {}
    short = tempfile.gettempdir() if len(tempfile.gettempdir()) < 60 else "/tmp"
    scratch = tempfile.mkdtemp(prefix="t-", dir=short)  # tmp_path is too long already
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    for extra in (0, 1):
        base = f"{scratch}/{extra}"
        # The longest path a socket takes is 107 bytes; multiprocessing adds 32 to TMPDIR.
        folder = Path(base + "d" * (75 + extra - len(base)))
        folder.mkdir()
        done = subprocess.run(
            [sys.executable, "-c", script, str(root)],
            env={**os.environ, "TMPDIR": str(folder)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        said[extra] = done.stdout
    assert said[0] == "server started early: False\nchecked: 17 rules, 0 problems\n"
    assert said[1].startswith("refused: the temporary folder ")
    assert "too long a path (76 characters)" in said[1]
    assert "set TMPDIR to a shorter folder, such as /tmp" in said[1]


def test_a_child_of_the_fork_server_has_the_code_preloaded_before_it(root: Path):
    """What `preload` names, the fork server imports before it forks: a reply process
    starts with the reply code imported (`narrator serve --processes N` says it), a
    child of a server started without it does not."""
    script = (
        "import sys\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from bot.packcheck import preload, process_context\n"
        "if sys.argv[1] == 'serve':\n"
        "    from bot.slack.processes import REPLY_CODE\n"
        "    preload(*REPLY_CODE)\n"
        "with ProcessPoolExecutor(1, mp_context=process_context()) as pool:\n"
        "    ask = \"[m in __import__('sys').modules for m in ('bot.pack', "
        "'bot.slack.listeners.command')]\"\n"
        "    print(pool.submit(eval, ask).result())\n"
    )
    said = {}
    for how in ("serve", "check"):
        done = subprocess.run(
            [sys.executable, "-c", script, how],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        said[how] = done.stdout
    assert said == {"serve": "[True, True]\n", "check": "[True, False]\n"}
