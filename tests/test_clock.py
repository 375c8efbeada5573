"""The clock: schedules read from the local calendar (daylight saving included), and
the ledger that runs each (job, period) once, with a grace window for late runs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.clock import Every, Job, Once, Run, RunUnsure, ScheduleError, Weekly, run_due
from bot.clock.schedule import parse_day, parse_time, parse_zone
from bot.slack.services import FixedClock
from bot.store import Store

GRACE = timedelta(hours=6)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "day"),
    [("mon", "mon"), ("Monday", "mon"), ("SUN", "sun"), (" fri ", "fri")],
)
def test_days_are_names(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize(
    ("parse", "text", "problem", "suggestion"),
    [
        (parse_day, "1", "number", None),
        (parse_day, "mnday", "unknown", "mon"),
        (parse_day, "thursdy", "unknown", "thu"),
        (parse_time, "25:00", "range", None),
        (parse_time, "9am", "twelve-hour", "09:00"),
        (parse_time, "5:30 pm", "twelve-hour", "17:30"),
        (parse_time, "noon", "unknown", None),
        (parse_zone, "europe/paris", "case", "Europe/Paris"),
        (parse_zone, "Paris", "partial", "Europe/Paris"),
        (parse_zone, "Europe/Pariss", "unknown", "Europe/Paris"),
        (parse_zone, "Mars/Olympus", "unknown", None),
    ],
)
def test_bad_days_times_and_zones_say_what_and_suggest(parse, text, problem, suggestion):
    with pytest.raises(ScheduleError) as caught:
        parse(text)
    assert (caught.value.problem, caught.value.suggestion) == (problem, suggestion)


def test_times_and_zones_that_read():
    assert parse_time("9:05") == time(9, 5)
    assert parse_zone("America/New_York") == "America/New_York"


@pytest.mark.parametrize(
    ("schedule", "now", "latest", "period"),
    [
        # Europe/Paris springs forward on Sunday 29 March 2026: 09:00 is 08:00Z, then 07:00Z.
        (
            Weekly("mon", time(9), "Europe/Paris"),
            "2026-03-23T08:00:00Z",
            "2026-03-23T08:00:00Z",
            "2026-W13",
        ),
        (
            Weekly("mon", time(9), "Europe/Paris"),
            "2026-03-30T06:59:00Z",
            "2026-03-23T08:00:00Z",
            "2026-W13",
        ),
        (
            Weekly("mon", time(9), "Europe/Paris"),
            "2026-03-30T07:00:00Z",
            "2026-03-30T07:00:00Z",
            "2026-W14",
        ),
        # ... and falls back on Sunday 25 October: 07:00Z, then 08:00Z.
        (
            Weekly("mon", time(9), "Europe/Paris"),
            "2026-10-19T07:00:00Z",
            "2026-10-19T07:00:00Z",
            "2026-W43",
        ),
        (
            Weekly("mon", time(9), "Europe/Paris"),
            "2026-10-26T07:30:00Z",
            "2026-10-19T07:00:00Z",
            "2026-W43",
        ),
        (
            Weekly("mon", time(9), "Europe/Paris"),
            "2026-10-26T08:00:00Z",
            "2026-10-26T08:00:00Z",
            "2026-W44",
        ),
        # New York: 02:30 does not exist on 8 March 2026; it runs at 03:30 EDT, once.
        (
            Weekly("sun", time(2, 30), "America/New_York"),
            "2026-03-08T07:30:00Z",
            "2026-03-08T07:30:00Z",
            "2026-W10",
        ),
        # 01:30 happens twice on 1 November 2026: the first one counts.
        (
            Weekly("sun", time(1, 30), "America/New_York"),
            "2026-11-01T05:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-W44",
        ),
        (
            Weekly("sun", time(1, 30), "America/New_York"),
            "2026-11-01T06:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-W44",
        ),
        (Every(15), "2026-11-23T09:14:59Z", "2026-11-23T09:00:00Z", "2026-11-23T09:00Z"),
    ],
)
def test_the_latest_due_run_follows_the_local_calendar(schedule, now, latest, period):
    due = schedule.latest(utc(now))
    assert due == utc(latest)
    assert schedule.period(due) == period


class Recorder:
    """A job that remembers when it ran; optionally fails as told."""

    def __init__(self, fail: type[Exception] | None = None) -> None:
        self.runs: list[Run] = []
        self.fail = fail

    def __call__(self, store: Store, run: Run) -> str:
        self.runs.append(run)
        if self.fail is not None:
            raise self.fail("told to")
        return f"ran {run.period}"


def ticks(start: str, end: str, every: timedelta) -> list[datetime]:
    moment, out = utc(start), []
    while moment <= utc(end):
        out.append(moment)
        moment += every
    return out


@pytest.mark.parametrize(
    ("zone", "day", "at", "start", "end", "expected"),
    [
        # Paris: the Mondays on each side of both changes, at 09:00 local each time.
        (
            "Europe/Paris",
            "mon",
            time(9),
            "2026-03-22T00:00:00Z",
            "2026-04-07T00:00:00Z",
            ["2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z"],
        ),
        (
            "Europe/Paris",
            "mon",
            time(9),
            "2026-10-18T00:00:00Z",
            "2026-11-03T00:00:00Z",
            ["2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z", "2026-11-02T08:00:00Z"],
        ),
        # New York: a Sunday run inside the hour that is skipped, and one inside the
        # hour that happens twice: each week runs exactly once.
        (
            "America/New_York",
            "sun",
            time(2, 30),
            "2026-03-01T00:00:00Z",
            "2026-03-16T00:00:00Z",
            ["2026-03-01T07:30:00Z", "2026-03-08T07:30:00Z", "2026-03-15T06:30:00Z"],
        ),
        (
            "America/New_York",
            "sun",
            time(1, 30),
            "2026-10-25T00:00:00Z",
            "2026-11-09T00:00:00Z",
            ["2026-10-25T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-08T06:30:00Z"],
        ),
    ],
)
def test_dst_weeks_neither_skip_nor_double(tmp_path: Path, zone, day, at, start, end, expected):
    job = Recorder()
    with Store(tmp_path / "clock.db") as store:
        for moment in ticks(start, end, timedelta(minutes=30)):
            run_due(store, [Job("weekly", Weekly(day, at, zone), job, GRACE)], FixedClock(moment))
    assert [r.now for r in job.runs] == [utc(e) for e in expected]
    assert [r.due for r in job.runs] == [utc(e) for e in expected]


@pytest.mark.parametrize(
    ("late", "runs", "status"),
    [
        (timedelta(hours=5, minutes=59), 1, "done"),
        (timedelta(hours=6), 1, "done"),
        (timedelta(hours=6, minutes=1), 0, "skipped"),
        (timedelta(days=3), 0, "skipped"),
    ],
)
def test_a_missed_run_is_sent_inside_the_grace_window_and_skipped_outside(
    tmp_path: Path, late, runs, status
):
    job = Recorder()
    schedule = Weekly("mon", time(9), "Europe/Paris")
    due = utc("2026-11-23T08:00:00Z")
    with Store(tmp_path / "clock.db") as store:
        report = run_due(store, [Job("d", schedule, job, GRACE)], FixedClock(due + late))
        # Coming back later the same week changes nothing: the period is settled.
        run_due(
            store, [Job("d", schedule, job, GRACE)], FixedClock(due + late + timedelta(hours=1))
        )
        (row,) = store.runs()
    assert len(job.runs) == runs
    assert report[0].outcome == ("done" if runs else "skipped")
    assert (row.period, row.status) == ("2026-W48", status)
    if status == "skipped":
        assert row.result.startswith("late: due 2026-11-23T08:00:00Z")


def test_a_late_run_from_before_the_job_existed_is_left_unrecorded(tmp_path: Path):
    job = Recorder()
    schedule = Weekly("mon", time(9), "Europe/Paris")
    with Store(tmp_path / "clock.db") as store:
        since = utc("2026-11-25T10:00:00Z")  # subscribed on a Wednesday
        run_due(store, [Job("d", schedule, job, GRACE, since=since)], FixedClock(since))
        assert store.runs() == []
    assert job.runs == []


def test_a_live_claim_is_left_alone_and_a_dead_one_is_recovered(tmp_path: Path):
    job = Recorder()
    schedule = Weekly("mon", time(9), "Europe/Paris")
    due = utc("2026-11-23T08:00:00Z")
    with Store(tmp_path / "clock.db") as store:
        # A process claimed the run and died before recording it.
        store.claim_run(
            "d", "2026-W48", due, due, worker="dead", lease=timedelta(minutes=5), late=False
        )
        during = run_due(
            store, [Job("d", schedule, job, GRACE)], FixedClock(due + timedelta(minutes=4))
        )
        after = run_due(
            store, [Job("d", schedule, job, GRACE)], FixedClock(due + timedelta(minutes=6))
        )
        (row,) = store.runs()
    assert [r.outcome for r in during] == ["busy"]
    assert [r.outcome for r in after] == ["recovered"]
    assert [(r.recovering, r.attempt, r.first_claimed) for r in job.runs] == [(True, 2, due)]
    assert (row.status, row.attempts, row.result) == ("done", 2, "ran 2026-W48")


def test_an_unsure_run_is_released_and_recovered_at_the_next_tick(tmp_path: Path):
    unsure = Recorder(fail=RunUnsure)
    schedule = Weekly("mon", time(9), "Europe/Paris")
    due = utc("2026-11-23T08:00:00Z")
    with Store(tmp_path / "clock.db") as store:
        first = run_due(store, [Job("d", schedule, unsure, GRACE)], FixedClock(due))
        sure = Recorder()
        second = run_due(
            store, [Job("d", schedule, sure, GRACE)], FixedClock(due + timedelta(seconds=20))
        )
    assert [r.outcome for r in first] == ["unsure"]
    assert [r.outcome for r in second] == ["recovered"]
    assert sure.runs[0].recovering


def test_an_internal_error_is_retried_then_given_up(tmp_path: Path):
    broken = Recorder(fail=ValueError)
    schedule = Every(60)
    moment = utc("2026-11-23T08:00:00Z")
    with Store(tmp_path / "clock.db") as store:
        outcomes = [
            run_due(
                store,
                [Job("e", schedule, broken, GRACE)],
                FixedClock(moment + timedelta(seconds=s)),
            )[0].outcome
            for s in (0, 20, 40, 50)
        ]
        (row,) = store.runs()
    assert outcomes == ["error", "error", "failed", "finished"]
    assert row.status == "failed"
    assert len(broken.runs) == 3


@pytest.mark.parametrize(
    ("first_seen", "runs", "status"),
    [
        (timedelta(0), 1, "done"),
        (timedelta(hours=2, minutes=30), 1, "done"),
        (timedelta(hours=2, minutes=31), 0, "skipped"),
    ],
)
def test_a_once_job_runs_once_under_its_own_period_or_is_skipped_when_late(
    tmp_path: Path, first_seen, runs, status
):
    """A post's check-in: due at publishing + 90 min, period the post's id, a grace of
    2.5 hours (4 hours after publishing); ticking again never runs it twice."""
    job = Recorder()
    due = utc("2026-11-23T09:30:00Z")
    once = Job("checkin:C1", Once(due, "urn:li:activity:1"), job, timedelta(hours=2.5))
    with Store(tmp_path / "clock.db") as store:
        for minutes in (0, 5, 60, 600):
            run_due(store, [once], FixedClock(due + first_seen + timedelta(minutes=minutes)))
        (row,) = store.runs()
    assert len(job.runs) == runs
    assert (row.job, row.period, row.status) == ("checkin:C1", "urn:li:activity:1", status)
