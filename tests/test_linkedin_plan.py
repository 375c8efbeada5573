"""The polling plan: few calls, the same diagnoses as hourly readings, the budget spent on
what is worth most."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.commands.last10 import build_report
from bot.demo import DEMO_NOW, demo_batch
from bot.linkedin.parse import MEMBER_METRICS
from bot.linkedin.plan import (
    FIRST_72H,
    NAIVE_CALLS_72H,
    Call,
    PostState,
    calls_for_first_72_hours,
    due,
    schedule,
)
from bot.model import COUNTERS, ImportBatch, Snapshot, parse_moment
from bot.pack import Pack
from bot.store import Store


def test_a_posts_first_72_hours_cost_under_a_quarter_of_the_naive_plan():
    assert calls_for_first_72_hours(0.25) <= NAIVE_CALLS_72H / 4
    assert calls_for_first_72_hours(1.0) <= NAIVE_CALLS_72H / 4


def test_older_posts_are_read_daily_then_weekly_then_never():
    assert schedule(10 * 24 + 3).hour == 10 * 24
    assert schedule(40 * 24).hour == 35 * 24
    assert schedule(91 * 24) is None
    assert schedule(0.2) is None


def test_a_reading_is_taken_once_and_a_missed_one_is_not_made_up_twice():
    first = due([PostState("p", 1.6)], budget=100)
    assert {c.metric for c in first.calls} == {"IMPRESSION", "REACTION", "COMMENT", "RESHARE"}
    assert due([PostState("p", 1.9, (1.6,))], budget=100).calls == ()
    # Down from hour 3 to hour 7: one catch-up reading, the latest due, not four.
    late = due([PostState("p", 7.5, (2.5,))], budget=100)
    assert {c.hour for c in late.calls} == {7.0}


def test_a_short_budget_drops_what_adds_least_and_says_so():
    young, old = PostState("young", 1.5), PostState("old", 10 * 24 + 1)
    plan = due([old, young], budget=4)
    assert next((c.post, c.metric) for c in plan.calls) == ("young", "IMPRESSION")
    assert {c.post for c in plan.calls} == {"young"}
    assert {(post, why) for post, _, why in plan.skipped} == {("old", "over today's call budget")}


def sampled(batch: ImportBatch) -> ImportBatch:
    """The demo as the plan would have read it: at each scheduled reading, the first
    hourly snapshot at or after it, with only the figures that reading asks for."""
    published = {p.id: parse_moment(p.published_at) for p in batch.posts}
    by_post: dict[str, list[tuple[float, Snapshot]]] = {}
    for s in batch.snapshots:
        hours = (parse_moment(s.observed_at) - published[s.post]).total_seconds() / 3600
        by_post.setdefault(s.post, []).append((hours, s))
    kept = []
    for rows in by_post.values():
        rows.sort(key=lambda r: r[0])
        taken: list[float] = []
        for hours, snap in rows:
            reading = schedule(hours)
            if reading is None or any(h >= reading.hour for h in taken):
                continue
            counters = {MEMBER_METRICS[m] for m in reading.metrics}
            if "comments" in counters:
                counters.add("comment_replies")  # read with the comments, from socialActions
            values = tuple(
                v if name in counters else None
                for name, v in zip(COUNTERS, snap.counters, strict=True)
            )
            kept.append(Snapshot(snap.post, snap.observed_at, values))
            taken.append(hours)
    return ImportBatch("plan", batch.accounts, batch.posts, tuple(kept), batch.follower_counts)


def findings(path: Path, batch: ImportBatch, pack: Pack, at: datetime) -> dict[str, set]:
    out = {}
    with Store(path) as store:
        store.write(batch)
        for account in ("demo-creator", "demo-page"):
            report = build_report(store, pack, account, at)
            out[account] = {(f.subject, f.rule) for f in report.findings} | {
                (f.subject, f.rule) for f in report.account_findings
            }
    return out


def test_the_plans_readings_give_the_diagnoses_hourly_readings_give(tmp_path: Path, pack: Pack):
    batch = demo_batch()
    plan = sampled(batch)
    # Each figure read is one call. The demo holds every figure hourly to hour 72, then
    # daily, which the plan also reads whole: it reads about a quarter of them.
    cells = sum(v is not None for s in plan.snapshots for v in s.counters)
    hourly_cells = sum(v is not None for s in batch.snapshots for v in s.counters)
    assert cells < hourly_cells / 3
    hourly = findings(tmp_path / "hourly.db", batch, pack, DEMO_NOW)
    planned = findings(tmp_path / "plan.db", plan, pack, DEMO_NOW)
    assert planned == hourly
    assert sum(len(f) for f in hourly.values()) >= 10  # the demo is built to trigger rules


def test_the_readings_are_close_enough_for_the_curve_checks():
    hours = [r.hour for r in FIRST_72H if r.hour <= 24]
    gaps = [b - a for a, b in zip([0.0, *hours], hours, strict=False)]
    assert max(gaps) <= 3  # the curve rules' max_gap_hours


def test_older_posts_read_impressions_daily_and_every_figure_weekly():
    """Every figure every day cost 10 calls a day for each post past its third day; the
    diagnoses follow impressions day by day and hold the rest against them."""
    assert due([PostState("p", 10 * 24 + 3, (9 * 24.0,))], budget=100).calls == (
        Call("p", "IMPRESSION", 240.0, 3),
    )
    weekly = due([PostState("p", 14 * 24 + 3, (13 * 24.0,))], budget=100).calls
    assert len(weekly) == 10
    assert weekly[0].metric == "IMPRESSION"
    # A post read every day of days 4 to 29 costs 26 impressions and 4 weekly readings.
    calls, read = 0, [72.0]
    for day in range(4, 30):
        plan = due([PostState("p", day * 24 + 1, tuple(read))], budget=100)
        calls += len(plan.calls)
        read.append(day * 24 + 1)
    assert calls == 26 + 4 * 9  # days 7, 14, 21 and 28 read every figure


def test_a_short_budget_drops_old_posts_lesser_figures_before_any_impressions():
    fourteen = [PostState(f"week{i}", 14 * 24 + 1) for i in range(3)]
    daily = [PostState(f"day{i}", 10 * 24 + 1) for i in range(3)]
    plan = due(fourteen + daily, budget=8)
    kept = {(c.post, c.metric) for c in plan.calls}
    # Six impressions first, then two of the weekly figures; the rest are skipped.
    assert {p.post for p in fourteen + daily} == {post for post, m in kept if m == "IMPRESSION"}
    assert len(plan.skipped) == 3 * 9 - 2
    assert all(metric != "IMPRESSION" for _, metric, _ in plan.skipped)
