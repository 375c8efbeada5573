"""Digests delivered by the clock, exactly once, against the fake Slack on 127.0.0.1.

The crash tests run `narrator clock --once` as processes of their own (forked from one
that has imported the bot: tests/zygote.py) and kill them (SIGKILL,
from inside the fake Slack) at each step of a send; whatever step it died at, the
next clock run leaves exactly one digest in the channel.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock.loop import tick
from bot.digest.send import DigestJobs
from bot.pack import load_pack
from bot.slack.delivery import Poster, clock_client
from bot.slack.services import FixedClock
from bot.store import Store, Subscription
from tests import zygote
from tests.slack.fakes import BOT_TOKEN, FakeSlack

CHANNEL = "C0DEMO0001"
#: Monday 23 November 2026, 09:00 in Paris.
MONDAY_9_PARIS = "2026-11-23T09:00:00+01:00"
DUE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NARRATOR = str(Path(sys.executable).parent / "narrator")


@pytest.fixture
def setup(demo_db: Path, root: Path) -> Iterator[tuple[Path, FakeSlack]]:
    db = demo_db
    with Store(db) as store:
        store.subscribe(_subscription())
    fake = FakeSlack()
    yield db, fake
    fake.close()


def _subscription(quiet: str = "digest") -> Subscription:
    return Subscription(
        channel=CHANNEL,
        day="mon",
        time="09:00",
        zone="Europe/Paris",
        quiet=quiet,
        accounts=("demo-creator",),
        created_by="test",
        created_at="2026-11-01T00:00:00Z",
    )


def env(db: Path, root: Path, fake: FakeSlack) -> dict[str, str]:
    return {
        **os.environ,
        "NARRATOR_DB": str(db),
        "NARRATOR_RULES": str(root / "rules"),
        "NARRATOR_NARRATIVES": str(root / "narratives"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "NARRATOR_POST_INTERVAL": "0",
    }


def clock_once(db: Path, root: Path, fake: FakeSlack, at: str) -> zygote.Process:
    """`narrator clock --once --at AT`, a process of its own (forked: tests/zygote.py)."""
    return zygote.popen([NARRATOR, "clock", "--once", "--at", at], env=env(db, root, fake))


def digests(fake: FakeSlack) -> list[dict[str, Any]]:
    """The digest messages in the channel (thread replies excluded)."""
    return [m for m in fake.messages(CHANNEL, "digest:") if "thread_ts" not in m]


def later(minutes: int) -> str:
    return (datetime.fromisoformat(MONDAY_9_PARIS) + timedelta(minutes=minutes)).isoformat()


#: (method, phase) at which the process is killed, and what the ledger must say after.
STEPS = {
    "before the claim": ("auth.test", "received"),
    "after the claim": ("chat.postMessage", "received"),
    "after posting": ("chat.postMessage", "done"),
    "after recording": ("files.getUploadURLExternal", "received"),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_clock_killed_at_any_step_of_a_send_leaves_exactly_one_digest(setup, root, step):
    db, fake = setup
    method, phase = STEPS[step]
    processes: list[zygote.Process] = []

    def kill(called: str, body: dict[str, Any], at: str) -> str | None:
        if (called, at) == (method, phase) and processes and processes[0].poll() is None:
            processes[0].kill()
            processes[0].wait()
            return "drop"
        return None

    fake.on_method = kill
    processes.append(clock_once(db, root, fake, MONDAY_9_PARIS))
    processes[0].communicate(timeout=120)
    assert processes[0].returncode == -9, f"the clock was not killed {step}"
    fake.on_method = None
    # The next run comes once the dead process's claim has lapsed (5 minutes), still
    # well inside the grace window; a third changes nothing.
    for minutes in (6, 30):
        rerun = clock_once(db, root, fake, later(minutes))
        _out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
    (digest,) = digests(fake)
    assert digest["metadata"]["event_payload"] == {"run": "digest:C0DEMO0001/2026-W48", "part": 0}
    assert digest["text"] == "*Weekly digest: 16 Nov to 22 Nov 2026* (Europe/Paris)"
    with Store(db) as store:
        (run,) = store.runs("digest:")
    assert (run.period, run.status, run.result) == ("2026-W48", "done", digest["ts"])
    if step != "after recording":  # that run had sent its chart already... or died at it
        assert len(fake.files) == 1
        assert fake.files[0]["thread_ts"] == digest["ts"]


def test_two_clocks_started_together_send_one_digest(setup, root):
    db, fake = setup
    both = [clock_once(db, root, fake, MONDAY_9_PARIS) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    assert len(digests(fake)) == 1
    assert len(fake.method_calls("chat.postMessage")) == 1
    said = sorted(out.split(": ", 1)[1].split()[0] for out, _ in outputs)
    assert said in (["busy", "done"], ["done", "finished"])


def test_running_the_clock_again_and_again_sends_once(setup, root):
    db, fake = setup
    for _ in range(3):
        run = clock_once(db, root, fake, MONDAY_9_PARIS)
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert len(digests(fake)) == 1
    assert "digest:C0DEMO0001 2026-W48 (due 2026-11-23T08:00:00Z): finished" in out


def jobs(root: Path, fake: FakeSlack, **kwargs: Any) -> DigestJobs:
    pack = load_pack(root / "rules", root / "narratives", "en")
    poster = Poster(clock_client(fake.api_url, BOT_TOKEN), interval=0)
    return DigestJobs(pack=lambda: pack, poster=poster, grace=timedelta(hours=6), **kwargs)


@pytest.mark.parametrize(
    ("late", "sent"),
    [(timedelta(hours=2), 1), (timedelta(hours=6, minutes=1), 0)],
)
def test_a_digest_missed_while_down_is_sent_inside_the_grace_window_only(setup, root, late, sent):
    db, fake = setup
    work = jobs(root, fake, charts=False)
    with Store(db) as store:
        (ran,) = tick(store, [work.jobs], FixedClock(DUE + late), "w1")
        (run,) = store.runs("digest:")
    assert len(digests(fake)) == sent
    assert ran.outcome == ("done" if sent else "skipped")
    assert run.status == ("done" if sent else "skipped")


def test_an_unsure_post_is_checked_against_the_channel_before_posting_again(setup, root):
    db, fake = setup
    fake.failing_after["chat.postMessage"] = 1  # posted, but the answer is a 500
    work = jobs(root, fake, charts=False)
    with Store(db) as store:
        first = tick(store, [work.jobs], FixedClock(DUE), "w1")
        second = tick(store, [work.jobs], FixedClock(DUE + timedelta(seconds=20)), "w1")
        (run,) = store.runs("digest:")
    assert [r.outcome for r in first] == ["unsure"]
    assert [r.outcome for r in second] == ["recovered"]
    (digest,) = digests(fake)
    assert run.result == digest["ts"]
    assert len(fake.method_calls("conversations.history")) == 1


def test_a_channel_the_bot_is_not_in_fails_once_and_is_not_retried(setup, root):
    db, fake = setup
    fake.closed.add(CHANNEL)
    work = jobs(root, fake, charts=False)
    with Store(db) as store:
        first = tick(store, [work.jobs], FixedClock(DUE), "w1")
        again = tick(store, [work.jobs], FixedClock(DUE + timedelta(minutes=10)), "w1")
        (run,) = store.runs("digest:")
    assert [r.outcome for r in first] == ["failed"]
    assert [r.outcome for r in again] == ["finished"]
    assert run.result == "Slack refused the digest in C0DEMO0001: not_in_channel"


def test_sends_to_many_channels_are_paced_and_honour_retry_after(setup, root):
    db, fake = setup
    with Store(db) as store:
        for n in range(2, 5):
            store.subscribe(
                _subscription().__class__(
                    **{**_subscription().__dict__, "channel": f"C0DEMO000{n}"}
                )
            )
    fake.rate_limited["chat.postMessage"] = 1  # one 429 with Retry-After: 1
    pack = load_pack(root / "rules", root / "narratives", "en")
    waits: list[float] = []
    poster = Poster(
        clock_client(fake.api_url, BOT_TOKEN),
        interval=1.0,
        sleep=waits.append,
        monotonic=lambda: 0.0,
    )
    work = DigestJobs(pack=lambda: pack, poster=poster, grace=timedelta(hours=6), charts=False)
    with Store(db) as store:
        report = tick(store, [work.jobs], FixedClock(DUE), "w1")
    assert [r.outcome for r in report] == ["done"] * 4
    assert waits == [1.0, 1.0, 1.0]  # one second between posts, never a burst
    assert len(fake.method_calls("chat.postMessage")) == 5  # the 429, then four posts
    assert sum(len(fake.messages(f"C0DEMO000{n}", "digest:")) for n in range(1, 5)) == 4


def test_the_chart_goes_into_the_digest_thread_with_alt_text(setup, root):
    db, fake = setup
    work = jobs(root, fake)
    with Store(db) as store:
        tick(store, [work.jobs], FixedClock(DUE), "w1")
    (digest,) = digests(fake)
    (upload,) = fake.files
    assert upload["thread_ts"] == digest["ts"]
    assert upload["channel"] == CHANNEL
    assert upload["content"].startswith(b"\x89PNG")
    (step1,) = fake.method_calls("files.getUploadURLExternal")
    assert step1.body["alt_txt"].startswith("Scatter chart of 3 posts from 16 Nov to 22 Nov")


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxb-revoked"},
            "SLACK_BOT_TOKEN: Slack at {api} refused it (invalid_auth); check the token and "
            "SLACK_API_URL (docs/slack-setup.md)",
        ),
        (
            {"SLACK_API_URL": "http://127.0.0.1:9/api/"},
            "cannot reach Slack's Web API at http://127.0.0.1:9/api/ ([Errno 111] Connection "
            "refused); check SLACK_API_URL and the network",
        ),
    ],
)
def test_the_clock_tells_a_refused_token_from_a_slack_it_cannot_reach(setup, root, extra, said):
    """Before, a Slack it could not reach was said to have refused the token, after
    slack_sdk's own ERROR line."""
    db, fake = setup
    done = zygote.run(
        [NARRATOR, "clock", "--once", "--at", MONDAY_9_PARIS],
        env={**env(db, root, fake), **extra},
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [said.format(api=fake.api_url)]
    assert digests(fake) == []
