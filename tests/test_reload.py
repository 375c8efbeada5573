"""Safe reload: a broken edit never replaces the serving rule pack."""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import Problem, RuleError
from bot.reload import PackHolder
from tests.conftest import private_cache

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def workspace(tmp_path: Path, root: Path) -> Path:
    shutil.copytree(root / "rules", tmp_path / "rules")
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    return tmp_path


def ticking_clock():
    ticks = itertools.count()
    return lambda: START + timedelta(minutes=next(ticks))


def edit(path: Path, text: str) -> None:
    """Write and move the modification time forward, as a slow human edit would."""
    path.write_text(text, encoding="utf-8")
    later = time.time_ns() + 1_000_000_000
    os.utime(path, ns=(later, later))


def holder_for(workspace: Path) -> PackHolder:
    return PackHolder(workspace / "rules", workspace / "narratives", "en", ticking_clock())


def settle(holder: PackHolder) -> bool:
    """Two polls: the first sees the change, the second reloads once it has settled."""
    assert holder.poll() is False
    return holder.poll()


def test_a_broken_edit_keeps_the_last_good_pack_serving(workspace: Path):
    holder = holder_for(workspace)
    serving = holder.current()
    rules_before = serving.ruleset.ids
    path = workspace / "rules" / "distribution.yaml"
    edit(
        path,
        path.read_text().replace(
            "impressions_per_member_reached > max_ratio",
            "impressions_per_membr_reached > max_ratio",
        ),
    )
    assert settle(holder) is True
    assert holder.current() is serving
    assert holder.current().ruleset.ids == rules_before
    status = holder.status()
    assert status.last_attempt_ok is False
    assert status.loaded_at == START
    assert [str(p) for p in status.problems] == [
        'rules/distribution.yaml:9:16: rule "narrow-audience": condition: unknown metric or param '
        "'impressions_per_membr_reached' (did you mean 'impressions_per_member_reached'?)"
    ]


def test_fixing_the_edit_swaps_the_new_pack_in(workspace: Path):
    holder = holder_for(workspace)
    path = workspace / "rules" / "distribution.yaml"
    good = path.read_text()
    edit(path, good.replace("max_ratio: 5", "max_ratio: five"))
    settle(holder)
    assert holder.status().last_attempt_ok is False
    edit(path, good.replace("max_ratio: 5", "max_ratio: 4"))
    assert settle(holder) is True
    status = holder.status()
    assert status.last_attempt_ok is True
    assert status.problems == ()
    assert status.loaded_at > START
    assert holder.current().ruleset.get("narrow-audience").spec.params["max_ratio"] == 4


def test_a_broken_template_is_refused_too(workspace: Path):
    holder = holder_for(workspace)
    serving = holder.current()
    edit(
        workspace / "narratives" / "en" / "rules" / "low-engagement.j2",
        "{% block finding %}{{ values.nope }",
    )
    settle(holder)
    assert holder.current() is serving
    (problem,) = holder.status().problems
    assert problem.file == "narratives/en/rules/low-engagement.j2"
    assert "template syntax error" in problem.message


def test_nothing_changed_means_no_reload(workspace: Path):
    holder = holder_for(workspace)
    attempt = holder.status().last_attempt_at
    assert holder.poll() is False
    assert holder.poll() is False
    assert holder.status().last_attempt_at == attempt


def test_a_file_still_being_written_is_not_loaded_half_way(workspace: Path):
    holder = holder_for(workspace)
    path = workspace / "rules" / "audience.yaml"
    edit(path, path.read_text()[:40])  # half-written
    assert holder.poll() is False  # seen, not yet settled
    edit(path, path.read_text() + "")  # the editor keeps writing
    later = time.time_ns() + 2_000_000_000
    os.utime(path, ns=(later, later))
    assert holder.poll() is False  # changed again: wait again
    assert holder.status().last_attempt_ok is True  # nothing was attempted yet


def test_a_process_cannot_start_on_a_broken_pack(workspace: Path):
    (workspace / "rules" / "broken.yaml").write_text("rules: [\n")
    with pytest.raises(RuleError, match="not starting"):
        holder_for(workspace)


def test_the_watcher_thread_reloads_on_its_own(workspace: Path):
    holder = holder_for(workspace)
    stop = threading.Event()
    thread = holder.watch(0.02, stop)
    try:
        path = workspace / "rules" / "distribution.yaml"
        edit(path, path.read_text().replace("max_ratio: 5", "max_ratio: 6"))
        deadline = time.monotonic() + 10
        while holder.current().ruleset.get("narrow-audience").spec.params["max_ratio"] != 6:
            assert time.monotonic() < deadline, "the watcher did not reload within 10 s"
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert holder.status().last_attempt_ok is True


def test_the_pack_is_loaded_from_a_copy_that_edits_cannot_reach(workspace: Path):
    holder = holder_for(workspace)
    source = holder.source()
    original = workspace / "rules" / "distribution.yaml"
    copied = source.rules / "distribution.yaml"
    assert source.rules.name == "rules"
    assert source.narratives.name == "narratives"
    assert copied != original
    assert copied.read_text() == original.read_text()
    good = original.read_text()
    edit(original, "rules: [")
    shutil.rmtree(workspace / "narratives")
    assert copied.read_text() == good
    assert (source.narratives / "en" / "last10.j2").is_file()
    assert holder.reload().last_attempt_ok is False
    assert holder.source() == source  # the refused attempt left the serving copy alone


def test_old_copies_are_removed_and_refused_ones_never_kept(workspace: Path):
    holder = holder_for(workspace)
    first = holder.source()
    copies = first.rules.parent.parent.parent
    path = workspace / "rules" / "distribution.yaml"
    good = path.read_text()
    for ratio in (6, 7, 8):
        edit(path, good.replace("max_ratio: 5", f"max_ratio: {ratio}"))
        assert holder.reload().last_attempt_ok is True
    assert not first.rules.exists()
    assert list(copies.iterdir()) == [holder.source().rules.parent.parent]
    edit(path, "rules: [")
    assert holder.reload().last_attempt_ok is False
    assert list(copies.iterdir()) == [holder.source().rules.parent.parent]
    assert (holder.source().rules / "distribution.yaml").read_text().count("max_ratio: 8") == 1


def test_a_leased_copy_outlives_any_number_of_reloads(workspace: Path):
    """A reply job holds the copy it was given until it is done with it."""
    holder = holder_for(workspace)
    leased, status = holder.lease()
    assert status == holder.status()
    again, _ = holder.lease()  # a second job on the same copy
    path = workspace / "rules" / "distribution.yaml"
    good = path.read_text()
    for ratio in (6, 7, 8, 9):
        edit(path, good.replace("max_ratio: 5", f"max_ratio: {ratio}"))
        assert holder.reload().last_attempt_ok is True
    assert "max_ratio: 5" in (leased.rules / "distribution.yaml").read_text()
    holder.release(leased)
    assert leased.rules.exists()  # the second job still holds it
    holder.release(again)
    assert not leased.rules.exists()
    serving, _ = holder.lease()
    holder.release(serving)
    assert serving.rules.exists()  # the serving copy is never removed


def test_a_dangling_link_such_as_an_editor_lock_file_is_skipped(workspace: Path):
    holder = holder_for(workspace)
    (workspace / "rules" / ".#distribution.yaml").symlink_to("user@host.1234:1700000000")
    path = workspace / "rules" / "distribution.yaml"
    edit(path, path.read_text().replace("max_ratio: 5", "max_ratio: 6"))
    assert holder.reload().last_attempt_ok is True
    assert "max_ratio: 6" in (holder.source().rules / "distribution.yaml").read_text()


def test_a_pipe_is_refused_not_copied_and_removing_it_reloads(workspace: Path):
    holder = holder_for(workspace)
    copies = holder.source().rules.parent.parent.parent
    path = workspace / "rules" / "distribution.yaml"
    edit(path, path.read_text().replace("max_ratio: 5", "max_ratio: 6"))
    pipe = workspace / "rules" / "notes.yaml"
    os.mkfifo(pipe)  # reading it would wait for a writer for ever
    assert settle(holder) is True
    status = holder.status()
    assert status.last_attempt_ok is False
    assert [str(p) for p in status.problems] == [
        "rules/notes.yaml: is a pipe, socket or device, not a file; remove it from the rule pack"
    ]
    assert len(list(copies.iterdir())) == 1  # nothing was copied
    pipe.unlink()
    assert settle(holder) is True
    assert holder.status().last_attempt_ok is True
    assert "max_ratio: 6" in (holder.source().rules / "distribution.yaml").read_text()


def test_a_pack_that_cannot_be_copied_stops_start_up_with_a_plain_message(workspace: Path):
    os.mkfifo(workspace / "rules" / "notes.yaml")
    with pytest.raises(RuleError) as raised:
        holder_for(workspace)
    assert str(raised.value).startswith("rules/notes.yaml: is a pipe, socket or device")


def test_problems_name_the_real_folders_not_the_copy(workspace: Path):
    holder = holder_for(workspace)
    for path in (workspace / "rules").glob("*.yaml"):
        path.unlink()
    (problem,) = holder.reload().problems
    assert problem.file == str(workspace / "rules")
    assert problem.message == "holds no *.yaml rule files"


def test_rule_errors_cross_process_boundaries_whole():
    error = RuleError([Problem("rules/a.yaml", 3, 5, "unknown key", rule="x")], summary="no")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RuleError
    assert copy.problems == error.problems
    assert str(copy) == str(error)


def test_refused_reloads_of_missing_folders_leave_nothing_behind(workspace: Path):
    holder = holder_for(workspace)
    copies = holder.source().rules.parent.parent.parent
    shutil.rmtree(workspace / "rules")
    shutil.rmtree(workspace / "narratives")
    for _ in range(3):
        assert holder.reload().last_attempt_ok is False
    assert list(copies.iterdir()) == [holder.source().rules.parent.parent]


def test_the_same_problems_again_are_not_warned_about_again(
    workspace: Path, caplog: pytest.LogCaptureFixture
):
    holder = holder_for(workspace)
    path = workspace / "rules" / "distribution.yaml"
    edit(path, "rules: [")
    with caplog.at_level(logging.DEBUG, logger="narrator.reload"):
        for _ in range(3):
            assert holder.reload().last_attempt_ok is False
        edit(path, "rules: 3\n")
        assert holder.reload().last_attempt_ok is False
    levels = [r.levelname for r in caplog.records if "reload refused" in r.getMessage()]
    assert levels == ["WARNING", "DEBUG", "DEBUG", "WARNING"]


def test_releasing_more_than_was_leased_changes_nothing(workspace: Path):
    holder = holder_for(workspace)
    leased, _ = holder.lease()
    holder.release(leased)
    holder.release(leased)  # one too many: ignored
    again, _ = holder.lease()
    path = workspace / "rules" / "distribution.yaml"
    edit(path, path.read_text().replace("max_ratio: 5", "max_ratio: 6"))
    assert holder.reload().last_attempt_ok is True
    assert again.rules.exists()  # still leased once, so still kept
    holder.release(again)
    assert not again.rules.exists()


def copies_of(holder: PackHolder) -> list[Path]:
    return sorted((holder.source().rules.parent.parent.parent).iterdir())


def test_the_copy_never_follows_a_link_out_of_the_pack(workspace: Path):
    """Issue #10: a link to /proc/self/environ or a linked folder was copied as if it
    were the pack's own, and then served."""
    holder = holder_for(workspace)
    serving = holder.current()
    secret = workspace / "secrets.env"
    secret.write_text("SLACK_BOT_TOKEN=xoxb-not-a-real-token")
    partials = workspace / "narratives" / "en" / "partials"
    (partials / "env.j2").symlink_to(secret)
    (workspace / "narratives" / "en" / "everything").symlink_to(workspace)
    definitions = partials / "definitions.j2"
    edit(definitions, definitions.read_text() + '{% include "partials/env.j2" %}\n')
    status = holder.reload()
    assert status.last_attempt_ok is False
    assert holder.current() is serving
    assert [str(p) for p in status.problems] == [
        "narratives/en/everything: is a link to a folder; a rule pack holds its own folders "
        "only: copy the folder in instead of linking to it",
        f"narratives/en/partials/env.j2: leads through a link to {secret}, outside "
        "narratives/; a rule pack may only read its own files: copy the file into the "
        "folder instead of linking to it",
    ]
    assert copies_of(holder) == [holder.source().rules.parent.parent]
    copied = list(holder.source().narratives.rglob("*"))
    assert not any(p.is_symlink() for p in copied)
    assert not any("xoxb" in p.read_text() for p in copied if p.is_file())


def test_a_runaway_template_is_refused_and_a_later_fix_loads(workspace: Path):
    """Issue #10: a nested range pinned the reload thread for good."""
    holder = holder_for(workspace)
    template = workspace / "narratives" / "en" / "rules" / "low-engagement.j2"
    good = template.read_text()
    edit(
        template,
        good.replace(
            "{% block finding %}",
            "{% block finding %}{% for i in range(100000) %}{% for j in range(100000) %}"
            "{% endfor %}{% endfor %}",
        ),
    )
    assert settle(holder) is True
    status = holder.status()
    assert status.last_attempt_ok is False
    assert [p.message for p in status.problems] == [
        "template fails: it takes more than 20,000 steps (loop rounds and calls); "
        "loop over fewer things"
    ]
    edit(template, good.replace("{% block finding %}", "{% block finding %}Fixed. "))
    assert settle(holder) is True
    assert holder.status().last_attempt_ok is True


def test_an_attempt_over_its_time_budget_is_stopped_and_reported(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    holder = holder_for(workspace)
    # A cache of its own: another test's run may have checked this very edit already
    # (bot.packcache), and a pack known good is not checked again.
    monkeypatch.setenv("NARRATOR_CACHE", str(private_cache(tmp_path / "own-cache")))
    serving = holder.current()
    holder.check_seconds = 0.0  # whatever the edit, the check cannot finish in time
    path = workspace / "rules" / "distribution.yaml"
    edit(path, path.read_text().replace("max_ratio: 5", "max_ratio: 6"))
    status = holder.reload()
    assert status.last_attempt_ok is False
    assert holder.current() is serving
    (problem,) = status.problems
    assert problem.file == str(workspace / "rules")
    assert problem.message.startswith(
        "checking the rule pack took longer than 0 s, so it was stopped"
    )
    assert copies_of(holder) == [holder.source().rules.parent.parent]
    assert status.summary().startswith(
        "serving the last good pack since 2026-11-23T09:00:00Z, the newest edit is refused "
        f"because {workspace / 'rules'}: checking the rule pack took longer than 0 s"
    )


def test_a_pack_that_passed_before_is_not_checked_again_but_any_edit_is(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Checking a pack in a child process (rendering every template) is most of what a
    bot start or a reload costs; the same files with the same code give the same
    answer, so a pack that passed once is loaded without it (bot.packcache)."""
    monkeypatch.setenv("NARRATOR_CACHE", str(private_cache(tmp_path / "own-cache")))
    holder = holder_for(workspace)  # checked in full, and remembered
    holder.check_seconds = 0.0  # from here on, any check that runs is stopped
    assert holder.reload().last_attempt_ok is True  # the same files: no check ran
    assert holder_for(workspace).status().last_attempt_ok is True  # a new bot, too
    path = workspace / "rules" / "distribution.yaml"
    edit(path, path.read_text() + "\n# an edit that changes nothing but a comment\n")
    status = holder.reload()
    assert status.last_attempt_ok is False
    assert status.problems[0].message.startswith("checking the rule pack took longer than 0 s")


def test_an_unexpected_error_leaves_no_copy_a_failing_status_and_one_log_line(
    workspace: Path, caplog: pytest.LogCaptureFixture
):
    """Issue #10: an error nobody foresaw (here a macro calling itself, which raised
    RecursionError) leaked a copy of the pack on every poll, logged a traceback each
    time, and health still said the last reload was fine."""
    holder = holder_for(workspace)
    template = workspace / "narratives" / "en" / "rules" / "low-engagement.j2"
    edit(
        template,
        template.read_text().replace(
            "{% block finding %}",
            "{% block finding %}{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        ),
    )
    with caplog.at_level(logging.DEBUG, logger="narrator.reload"):
        assert settle(holder) is True
        for _ in range(6):
            holder.poll()
    status = holder.status()
    assert status.last_attempt_ok is False
    assert copies_of(holder) == [holder.source().rules.parent.parent]
    refusals = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(refusals) == 1
    assert "calls macros more than 50 deep" in refusals[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
