"""How many LinkedIn API calls the polling plan spends (bot/linkedin/plan.py).

Goal (issue #16): the calls to draw one post's first 72 hours are at most a quarter
of the naive plan (every metric every hour: 11 x 72 = 792). Also prints what a day
of syncing costs for 100 posts published evenly over the last 30 days, so a team
can size its daily call budget. Pure arithmetic: no network, runs in a second.

    .venv/bin/python benchmarks/linkedin_plan.py
"""

from __future__ import annotations

from bot.linkedin.plan import NAIVE_CALLS_72H, PostState, calls_for_first_72_hours, due


def one_day_for(posts: int, days: float, every_hours: float) -> int:
    """Calls in one day of syncs for `posts` published evenly over the last `days`."""
    ages = [days * 24.0 * i / posts for i in range(posts)]
    read: list[list[float]] = [[] for _ in ages]
    total, t = 0, 0.0
    while t < 24.0:
        states = [PostState(str(i), age + t, tuple(read[i])) for i, age in enumerate(ages)]
        plan = due(states, budget=1_000_000)
        total += len(plan.calls)
        for call in plan.calls:
            index = int(call.post)
            if not read[index] or read[index][-1] != ages[index] + t:
                read[index].append(ages[index] + t)
        t += every_hours
    return total


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
    print("| 100 posts published over | sync every | calls in a day |")
    print("|---|---|---|")
    for days in (3, 30):
        print(f"| {days} days | 15 min | {one_day_for(100, days, 0.25):,} |")


if __name__ == "__main__":
    main()
