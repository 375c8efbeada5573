"""First-hour check-ins sent by the clock against the fake Slack on 127.0.0.1: one per
post however many ticks, none where they are off, none for a post whose first hours
arrived late, and exactly one when a clock dies mid-send.

The demo's newest demo-creator post was published at 08:00 UTC on 23 November 2026,
with a snapshot every hour from 09:00: its first 90 minutes are on record from the
10:00 snapshot on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.checkin import LATE
from bot.checkin.build import due_checkins
from bot.checkin.send import CheckinJobs, checkin_text
from bot.clock.loop import tick
from bot.commands import handle
from bot.commands.loading import measure
from bot.pack import load_pack
from bot.slack.delivery import Poster, clock_client
from bot.slack.services import FixedClock
from bot.store import Store
from tests import zygote
from tests.conftest import check_golden
from tests.slack.fakes import BOT_TOKEN, FakeSlack
from tests.slack.test_digest_delivery import clock_once

CHANNEL = "C0CHECK"
POST = "urn:li:activity:7310100000000007919"
PUBLISHED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def setup(demo_db: Path) -> Iterator[tuple[Path, FakeSlack]]:
    db = demo_db
    with Store(db) as store:
        store.link(CHANNEL, "demo-creator", by="U0ADMIN", at=PUBLISHED - timedelta(days=1))
        store.checkin_on(CHANNEL, by="U0ADMIN", at=PUBLISHED - timedelta(days=1))
    fake = FakeSlack()
    yield db, fake
    fake.close()


def at(hours: float) -> str:
    return (PUBLISHED + timedelta(hours=hours)).isoformat()


def run_clock(db: Path, root: Path, fake: FakeSlack, moment: str) -> str:
    clock = clock_once(db, root, fake, moment)
    out, err = clock.communicate(timeout=120)
    assert clock.returncode == 0, err
    return out


def checkins(fake: FakeSlack) -> list[dict[str, Any]]:
    return fake.messages(CHANNEL, "checkin:")


def test_one_checkin_per_post_however_many_ticks(setup, root):
    db, fake = setup
    # 09:00: one hour observed, the early window is not in yet.
    run_clock(db, root, fake, at(1))
    assert checkins(fake) == []
    for hours in (2, 2, 2 + 5 / 60, 2.5, 3):
        run_clock(db, root, fake, at(hours))
    (message,) = checkins(fake)
    assert message["metadata"]["event_payload"] == {"run": f"checkin:{CHANNEL}/{POST}", "part": 0}
    assert message["text"].startswith(":stopwatch: *First-hour check-in:")
    with Store(db) as store:
        (run,) = store.runs(f"checkin:{CHANNEL}")
    assert (run.period, run.status, run.result) == (POST, "done", message["ts"])
    assert run.due_at == "2026-11-23T09:30:00Z"  # publishing + 90 minutes


def test_the_checkin_reads_as_written_and_agrees_with_last10(demo_store, pack):
    moment = PUBLISHED + timedelta(hours=2)
    (checkin,) = due_checkins(measure(demo_store, "demo-creator", moment), moment)
    check_golden("checkin-demo.txt", checkin_text(pack, checkin))
    last10 = handle("last10 demo-creator", store=demo_store, pack=pack, at=moment).data
    posts = {p["id"]: p for p in last10["posts"]}
    for name in ("early_interactions", "early_engagement_rate"):
        assert checkin.context[name] == pytest.approx(posts[POST][name], rel=1e-9)
    # last10's ten posts are the newest of the thirty the check-in ranks among.
    earlier = [p["early_interactions"] for p in last10["posts"] if p["id"] != POST]
    better = sum(v > checkin.context["early_interactions"] for v in earlier)
    assert better <= checkin.context["rank"] - 1
    assert (checkin.context["rank"], checkin.context["compared"]) == (27, 29)


@pytest.mark.parametrize(
    ("comments", "action"), [(0.0, "reshare"), (None, "reshare"), (2.0, "reply")]
)
def test_the_action_is_to_reply_when_there_are_comments(demo_store, comments, action):
    moment = PUBLISHED + timedelta(hours=2)
    measured = measure(demo_store, "demo-creator", moment)
    comments_column = measured.posts["comments"].copy()
    comments_column[measured.posts.position(POST)] = np.nan if comments is None else comments
    posts = measured.posts.with_columns(comments=comments_column)
    from dataclasses import replace

    (checkin,) = due_checkins(replace(measured, posts=posts), moment)
    assert checkin.context["action"] == action


def test_a_post_whose_first_hours_arrive_late_gets_no_checkin(setup, root):
    db, fake = setup
    # The clock (or the import) first sees the post 4.5 hours after publishing.
    out = run_clock(db, root, fake, at(4.5))
    run_clock(db, root, fake, at(4.6))
    assert checkins(fake) == []
    assert fake.method_calls("chat.postMessage") == []
    with Store(db) as store:
        (run,) = store.runs(f"checkin:{CHANNEL}")
    assert (run.period, run.status) == (POST, "skipped")
    assert "0 sent, 1 too late" in out
    assert datetime.fromisoformat(at(4.5)) - PUBLISHED > LATE


def jobs(root: Path, fake: FakeSlack) -> CheckinJobs:
    pack = load_pack(root / "rules", root / "narratives", "en")
    return CheckinJobs(
        pack=lambda: pack, poster=Poster(clock_client(fake.api_url, BOT_TOKEN), interval=0)
    )


def test_no_checkin_where_they_are_off(setup, root):
    db, fake = setup
    work = jobs(root, fake)
    with Store(db) as store:
        store.checkin_off(CHANNEL)
        assert tick(store, [work.jobs], FixedClock(PUBLISHED + timedelta(hours=2)), "w1") == []
        store.checkin_on("C0OTHER", by="U0ADMIN", at=PUBLISHED)  # nothing linked there
        tick(store, [work.jobs], FixedClock(PUBLISHED + timedelta(hours=2.2)), "w1")
    assert fake.method_calls("chat.postMessage") == []


def test_a_clock_killed_after_posting_leaves_exactly_one_checkin(setup, root):
    db, fake = setup
    processes: list[zygote.Process] = []

    def kill(called: str, body: dict[str, Any], phase: str) -> str | None:
        if (called, phase) == ("chat.postMessage", "done") and processes[0].poll() is None:
            processes[0].kill()
            processes[0].wait()
            return "drop"
        return None

    fake.on_method = kill
    processes.append(clock_once(db, root, fake, at(2)))
    processes[0].communicate(timeout=120)
    assert processes[0].returncode == -9
    fake.on_method = None
    assert len(checkins(fake)) == 1
    # The claim lapses after 5 minutes; the next scan finds the message and records it.
    run_clock(db, root, fake, at(2 + 6 / 60))
    run_clock(db, root, fake, at(2.5))
    (message,) = checkins(fake)
    with Store(db) as store:
        (run,) = store.runs(f"checkin:{CHANNEL}")
    assert (run.status, run.result) == ("done", message["ts"])
    assert len(fake.method_calls("chat.postMessage")) == 1


def test_the_scan_forgets_its_own_runs_after_a_day_but_keeps_each_posts(setup, root):
    db, fake = setup
    work = jobs(root, fake)
    with Store(db) as store:
        tick(store, [work.jobs], FixedClock(PUBLISHED + timedelta(hours=2)), "w1")
        tick(store, [work.jobs], FixedClock(PUBLISHED + timedelta(hours=30)), "w1")
        runs = store.runs("checkin")
    scans = [r.period for r in runs if r.job == "checkin"]
    assert scans == ["2026-11-24T14:00Z"]  # the 10:00 scan of the day before is gone
    assert [(r.period, r.status) for r in runs if r.job != "checkin"] == [(POST, "done")]
    assert len(checkins(fake)) == 1


def test_an_account_that_cannot_be_measured_costs_only_its_own_checkins(setup, root):
    db, fake = setup
    work = jobs(root, fake)
    with Store(db) as store:
        # A link left behind by an account removed by hand, before the one that works.
        store.conn.execute("PRAGMA foreign_keys = OFF")
        store.conn.execute(
            "INSERT INTO slack_links VALUES ('C0A', 'gone', 'U0ADMIN', '2026-11-01T00:00:00Z')"
        )
        store.conn.commit()
        store.checkin_on("C0A", by="U0ADMIN", at=PUBLISHED - timedelta(days=1))
        (scan,) = tick(store, [work.jobs], FixedClock(PUBLISHED + timedelta(hours=2)), "w1")
    assert (scan.outcome, scan.result) == ("done", "1 sent, 0 too late")
    assert len(checkins(fake)) == 1
