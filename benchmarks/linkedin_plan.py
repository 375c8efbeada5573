"""How many LinkedIn API calls the polling plan spends (bot/linkedin/plan.py).

Goal (issue #16): the calls to draw one post's first 72 hours are at most a quarter
of the naive plan (every metric every hour: 11 x 72 = 792). Also prints what a full
day of syncing costs for 100 posts of mixed ages (published evenly over the last 3,
30 or 90 days), against the plan before older posts were read lighter and the naive
plan (11 calls an hour a post), so a team can size its daily call budget. Pure
arithmetic: no network, runs in a second.

    .venv/bin/python benchmarks/linkedin_plan.py
"""

from __future__ import annotations

from collections.abc import Callable

from bot.linkedin.plan import (
    EVERY_METRIC,
    NAIVE_CALLS_72H,
    PostState,
    Reading,
    calls_for_first_72_hours,
    due,
    schedule,
)


def one_day_for(
    posts: int, days: float, every_hours: float, timetable: Callable | None = None
) -> int:
    """Calls in one full day of syncs for `posts` published evenly over the last `days`
    (ages from 0 to `days`), after a day of syncs before it, so that what was read
    yesterday counts as read (a first-ever sync would read everything once)."""
    ages = [days * 24.0 * i / posts for i in range(posts)]
    read: list[list[float]] = [[] for _ in ages]
    total, t = 0, -24.0
    while t < 24.0:
        states = [
            PostState(str(i), age + t, tuple(read[i])) for i, age in enumerate(ages) if age + t >= 0
        ]
        plan = due(states, budget=1_000_000, timetable=timetable)
        if t >= 0:
            total += len(plan.calls)
        for call in plan.calls:
            index = int(call.post)
            if not read[index] or read[index][-1] != ages[index] + t:
                read[index].append(ages[index] + t)
        t += every_hours
    return total


def naive_day(posts: int) -> int:
    """The naive plan's day: every metric (and the premium button) every hour."""
    return posts * (len(EVERY_METRIC) + 1) * 24


def every_metric_daily(age_hours: float) -> Reading | None:
    """The plan before older posts were read lighter: every metric daily to 30 days and
    weekly to 90 (the first 72 hours as now)."""
    if age_hours < 96.0:
        return schedule(age_hours)
    days = int(age_hours / 24.0)
    if days < 30:
        return Reading(24.0 * days, EVERY_METRIC, 3)
    if days < 90:
        return Reading(24.0 * 7 * (days // 7), EVERY_METRIC, 1)
    return None


def main() -> None:
    print("| sync every | calls for one post's first 72 h | naive | ratio | goal (<= 25%) |")
    print("|---|---|---|---|---|")
    for every in (0.25, 0.5, 1.0):
        calls = calls_for_first_72_hours(every)
        ratio = calls / NAIVE_CALLS_72H
        print(
            f"| {every * 60:.0f} min | {calls} | {NAIVE_CALLS_72H} | {ratio:.1%} | "
            f"{'MET' if ratio <= 0.25 else 'MISSED'} |"
        )
    print()
    print(
        "| 100 posts published over | calls in a full day (sync every 15 min) "
        "| before | naive | ratio |"
    )
    print("|---|---|---|---|---|")
    for days in (3, 30, 90):
        calls = one_day_for(100, days, 0.25)
        naive = naive_day(100)
        before = one_day_for(100, days, 0.25, every_metric_daily)
        print(f"| {days} days | {calls:,} | {before:,} | {naive:,} | {calls / naive:.1%} |")


if __name__ == "__main__":
    main()
