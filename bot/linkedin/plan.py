"""When to read which figures of a post, so its curve is drawn within LinkedIn's limits.

LinkedIn's member analytics give one metric per call, so reading all ten every hour
for a post's first three days costs 10 x 72 calls (11 x 72 with the premium
button). The diagnoses need far less: impressions often while the curve moves
(every half hour through the first 90 minutes, then hourly through the first day,
where peaks happen), the interactions of the first 90
minutes, members reached at the ends of the 48-hour windows, and the rest once a
day. Older posts are read daily to 30 days (impressions each day, every figure once
a week), then weekly to 90, then never; a short budget drops the lesser figures
first.

Everything here is pure: the sync asks `due` what to read at a moment, given what
it read before, and spends its call budget on the readings worth most first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

IMPRESSIONS = ("IMPRESSION",)
INTERACTIONS = ("REACTION", "COMMENT", "RESHARE")
REACH = ("MEMBERS_REACHED",)
THE_REST = (
    "POST_SAVE",
    "POST_SEND",
    "LINK_CLICKS",
    "PROFILE_VIEW_FROM_CONTENT",
    "FOLLOWER_GAINED_FROM_CONTENT",
)
EVERY_METRIC = IMPRESSIONS + INTERACTIONS + REACH + THE_REST
#: The naive plan the issue measures against: every metric (and the premium button)
#: every hour of the first 72.
NAIVE_CALLS_72H = (len(EVERY_METRIC) + 1) * 72


@dataclass(frozen=True)
class Reading:
    hour: float  # hours after publishing
    metrics: tuple[str, ...]
    value: int  # what the reading adds to the diagnoses: higher is kept first
    #: Figures read along when the budget allows, worth `lesser_value` (below `value`):
    #: a short budget drops them before any of `metrics`.
    lesser: tuple[str, ...] = ()
    lesser_value: int = 0


def _first_72_hours() -> tuple[Reading, ...]:
    # Hourly through the first day, where peaks happen: a coarser stretch could hide
    # the peak hour (compute.py's _hidden_peak), and the curve checks need it.
    early = [0.5, 1.0, 1.5, *(float(h) for h in range(2, 24))]
    later = [24.0, 30.0, 36.0, 42.0, 48.0, 50.0, 60.0, 72.0]
    extra = {
        1.5: INTERACTIONS,  # the first 90 minutes' engagement
        2.0: REACH,  # the start of the earliest 48-hour window
        6.0: INTERACTIONS,
        24.0: INTERACTIONS + REACH + THE_REST,
        48.0: INTERACTIONS + REACH,
        50.0: REACH,  # hour 2 to 50: recycling while the author can act
        72.0: INTERACTIONS + REACH + THE_REST,
    }
    readings = []
    for hour in early + later:
        value = 9 if hour <= 1.5 else 8 if hour <= 24 else 6
        if hour in (24.0, 48.0, 72.0):
            value = 7
        readings.append(Reading(hour, IMPRESSIONS + extra.get(hour, ()), value))
    return tuple(readings)


FIRST_72H = _first_72_hours()
#: How often the clock syncs: often enough for the half-hourly first readings.
SYNC_MINUTES = 15
DAILY_UNTIL_DAYS = 30
WEEKLY_UNTIL_DAYS = 90


def schedule(age_hours: float) -> Reading | None:
    """The scheduled reading a post of this age is due for (the latest one at or
    before its age), or None when it is past reading."""
    if age_hours < FIRST_72H[0].hour:
        return None
    if age_hours < 72.0 + 24.0:
        due = [r for r in FIRST_72H if r.hour <= age_hours]
        return due[-1]
    days = int(age_hours / 24.0)
    if days < DAILY_UNTIL_DAYS:
        # Past the curve, the diagnoses follow impressions day by day (a late spike, a
        # long tail); every other figure is held against the impressions read with it,
        # so a weekly full reading serves them: 1 call a day, 10 once a week.
        if days % 7 == 0:
            return Reading(24.0 * days, IMPRESSIONS, 3, EVERY_METRIC[1:], 2)
        return Reading(24.0 * days, IMPRESSIONS, 3)
    if days < WEEKLY_UNTIL_DAYS:
        return Reading(24.0 * 7 * (days // 7), IMPRESSIONS, 1, EVERY_METRIC[1:], 0)
    return None


@dataclass(frozen=True)
class PostState:
    post: str  # the post's URN
    age_hours: float
    #: Hours after publishing of the readings already stored.
    read_at: Sequence[float] = ()


@dataclass(frozen=True)
class Call:
    post: str
    metric: str
    hour: float  # the scheduled reading it serves
    value: int


@dataclass(frozen=True)
class Plan:
    calls: tuple[Call, ...]
    #: (post, metric, why) of what the budget left out.
    skipped: tuple[tuple[str, str, str], ...]


def due(
    posts: Iterable[PostState],
    budget: int,
    timetable: Callable[[float], Reading | None] | None = None,
) -> Plan:
    """What to read now: for each post, its latest scheduled reading not yet taken
    (a reading is taken once anything was read at or after its hour); within the
    budget, the calls worth most first, ties by post and metric for the same plan
    every time. `timetable` stands in for `schedule` (the benchmark compares plans)."""
    wanted: list[Call] = []
    for state in posts:
        reading = (timetable or schedule)(state.age_hours)
        if reading is None or any(h >= reading.hour for h in state.read_at):
            continue
        wanted.extend(Call(state.post, m, reading.hour, reading.value) for m in reading.metrics)
        wanted.extend(
            Call(state.post, m, reading.hour, reading.lesser_value) for m in reading.lesser
        )
    # Impressions first within a value: every other figure is read against them.
    wanted.sort(key=lambda c: (-c.value, c.metric != "IMPRESSION", c.post, c.metric))
    kept = tuple(wanted[: max(budget, 0)])
    skipped = tuple(
        (c.post, c.metric, "over today's call budget") for c in wanted[max(budget, 0) :]
    )
    return Plan(kept, skipped)


def calls_for_first_72_hours(sync_every_hours: float = 0.25) -> int:
    """Calls one post costs through its first 72 hours with a sync every so often."""
    read: list[float] = []
    total, age = 0, 0.0
    while age <= 72.0:
        plan = due([PostState("p", age, tuple(read))], budget=1_000)
        if plan.calls:
            total += len(plan.calls)
            read.append(age)
        age += sync_every_hours
    return total


def readings_hours() -> Sequence[float]:
    return [r.hour for r in FIRST_72H]
