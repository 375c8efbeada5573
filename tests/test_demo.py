"""The demo, end to end: intended findings, golden output, determinism across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands import handle
from bot.demo import DEMO_NOW, INTENDED_ACCOUNT_FINDINGS, demo_batch, intended_findings
from bot.pack import Pack
from bot.store import Store
from tests import zygote
from tests.conftest import check_golden

ACCOUNTS = ("demo-creator", "demo-page")


def fired_by_post(data: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {p["id"]: set() for p in data["posts"]}
    for finding in data["findings"]:
        if "post" in finding:
            out[finding["post"]].add(finding["rule"])
    return out


def fired_on_account(data: dict) -> set[str]:
    return {f["rule"] for f in data["findings"] if f.get("account") == data["account"]}


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("later", [timedelta(0), timedelta(days=30)])
def test_last10_flags_exactly_the_posts_built_for_each_diagnostic(
    demo_store: Store, pack: Pack, account: str, later: timedelta
):
    reply = handle(f"last10 {account}", store=demo_store, pack=pack, at=DEMO_NOW + later)
    intended = intended_findings()
    active = set(pack.ruleset.ids)
    got = fired_by_post(reply.data)
    assert len(got) == 10
    for post, rules in got.items():
        assert rules == intended[post] & active, post


@pytest.mark.parametrize("account", ACCOUNTS)
def test_account_patterns_are_the_ones_built(demo_store: Store, pack: Pack, account: str):
    reply = handle(f"last10 {account}", store=demo_store, pack=pack, at=DEMO_NOW)
    assert fired_on_account(reply.data) == INTENDED_ACCOUNT_FINDINGS[account]


def test_every_post_rule_is_shown_by_some_demo_post(demo_store: Store, pack: Pack):
    shown: set[str] = set()
    for account in ACCOUNTS:
        reply = handle(f"last10 {account}", store=demo_store, pack=pack, at=DEMO_NOW)
        shown |= {f["rule"] for f in reply.data["findings"]}
    post_rules = {r.id for r in pack.ruleset.rules if r.spec.scope == "post"}
    assert post_rules <= shown


def test_healthy_posts_are_the_majority_of_the_demo():
    intended = intended_findings()
    healthy = [post for post, rules in intended.items() if not rules]
    assert len(healthy) > len(intended) / 2


def test_the_demo_data_is_the_same_every_time():
    assert demo_batch() == demo_batch()


def test_the_young_post_is_too_early_to_tell(demo_store: Store, pack: Pack):
    reply = handle("last10 demo-creator", store=demo_store, pack=pack, at=DEMO_NOW)
    newest = reply.data["posts"][0]
    assert newest["post_age_hours"] == 10
    assert "_#1 is 10 hours old: too early to tell for" in reply.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_golden_last10_json(demo_store: Store, pack: Pack, account: str):
    reply = handle(f"last10 {account}", store=demo_store, pack=pack, at=DEMO_NOW)
    text = json.dumps(reply.data, indent=2, ensure_ascii=False) + "\n"
    check_golden(f"last10-{account}.json", text)


def run_cli(args: list[str], db: Path, seed: str) -> subprocess.CompletedProcess[str]:
    """`narrator ARGS` in a fresh interpreter with hash seed `seed` (its own sets'
    order): for what must not depend on it, and the terminal in a real pipe."""
    root = Path(__file__).resolve().parent.parent
    env = {**_cli_env(db, root), "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )


def forked_cli(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    """`narrator ARGS` in a process of its own forked by the zygote (tests/zygote.py):
    for what a command prints and writes, not how it starts."""
    root = Path(__file__).resolve().parent.parent
    program = str(Path(sys.executable).with_name("narrator"))
    return zygote.run([program, *args], env=_cli_env(db, root), cwd=root, timeout=120)


def _cli_env(db: Path, root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NARRATOR_DB": str(db),
        "NARRATOR_RULES": str(root / "rules"),
        "NARRATOR_NARRATIVES": str(root / "narratives"),
    }


def test_demo_output_is_golden_and_identical_across_processes(tmp_path: Path):
    # The mrkdwn Slack would get; tests/test_terminal.py pins the terminal's text.
    first = run_cli(["demo", "--format", "slack"], tmp_path / "a.db", "1")
    second = run_cli(["demo", "--format", "slack"], tmp_path / "b.db", "2")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    check_golden("demo.txt", first.stdout)
    # Rebuilding the demo in the same store gives the same words again.
    third = forked_cli(["demo", "--format", "slack"], tmp_path / "a.db")
    assert third.stdout == first.stdout


def test_ask_json_from_a_fresh_process_flags_the_built_posts(tmp_path: Path):
    db = tmp_path / "demo.db"
    assert forked_cli(["demo"], db).returncode == 0
    result = forked_cli(["ask", "last10 demo-creator", "--format", "json"], db)  # as of now
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    intended = intended_findings()
    for post, rules in fired_by_post(data).items():
        assert rules <= intended[post]
    flagged = {p for p, rules in fired_by_post(data).items() if rules}
    assert flagged, "as of now, the built posts still show their diagnostics"
