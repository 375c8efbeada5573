"""`rules check` and reload attempts run in a child process under a time and memory
budget: whatever a rule or template does, the caller gets its answer."""

from __future__ import annotations

from pathlib import Path

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
