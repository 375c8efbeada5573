"""Days and weeks in an account's own time zone.

Timestamps stay UTC everywhere; a week is cut at midnight where the account is. The
week before a moment is the seven whole local days before the day the moment falls
on, so across a daylight-saving change it lasts 167 or 169 hours, not 168.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from bot.metrics.catalogue import PERIOD_DAYS
from bot.metrics.observed import moment_hours


def local_midnight(moment: datetime, zone: str, days_back: int = 0) -> datetime:
    """The local midnight (in UTC) that starts `moment`'s day in `zone`, `days_back`
    days earlier by the local calendar."""
    tz = _zone(zone)
    day = moment.astimezone(tz).date() - timedelta(days=days_back)
    return wall_time(day, tz)


def local_day(moment: datetime, zone: str) -> date:
    """The calendar day `moment` falls on in `zone`."""
    return moment.astimezone(_zone(zone)).date()


def wall_time(day: date, tz: ZoneInfo) -> datetime:
    """Midnight starting `day` on the wall clock of `tz`, as a UTC moment. A midnight
    that happens twice (the clocks went back) is the one in standard time; one that
    never happens (the clocks went forward) is the moment the clocks jumped."""
    wall = datetime(day.year, day.month, day.day)
    first, second = (wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    if first == second:
        return first
    if _exists(first, wall, tz):  # twice: the occurrence without summer time
        standard = [c for c in (first, second) if not c.astimezone(tz).dst()]
        return standard[0] if standard else second
    # Never on the wall clock: the jump lies between the two readings of it.
    low, high = sorted((first, second))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def week_bounds(moment: datetime, zone: str) -> tuple[datetime, datetime, datetime]:
    """(the week before's start, this week's start, its end): local midnights in UTC."""
    return (
        local_midnight(moment, zone, 2 * PERIOD_DAYS),
        local_midnight(moment, zone, PERIOD_DAYS),
        local_midnight(moment, zone),
    )


def week_marks(moment: datetime, zones: np.ndarray) -> np.ndarray:
    """week_bounds for each account's zone, as epoch hours: shape (accounts, 3). Worked
    out once per distinct zone, however many accounts share it."""
    marks = np.empty((len(zones), 3))
    for zone in np.unique(zones) if len(zones) else ():
        marks[zones == zone] = _marks(moment, str(zone))
    return marks


def _marks(moment: datetime, zone: str) -> list[float]:
    end = moment_hours(local_midnight(moment, zone))
    starts = []
    for back in (2 * PERIOD_DAYS, PERIOD_DAYS):
        try:
            starts.append(moment_hours(local_midnight(moment, zone, back)))
        except OverflowError:  # before year 1: no clocks changed then, a day is 24 hours
            starts.append(end - 24.0 * back)
    return [*starts, end]


def _exists(moment: datetime, wall: datetime, tz: ZoneInfo) -> bool:
    return moment.astimezone(tz).replace(tzinfo=None) == wall


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)  # ZoneInfo keeps each zone it has read
