"""When timed jobs fall due: weekly at a wall-clock time in a zone, every N minutes, or once.

A weekly schedule is kept as a day *name*, a local time and an IANA zone, never
as a cron line: numeric weekdays mean Monday in one library and Sunday in the
next (APScheduler 3 reads `1` as Tuesday). Each due moment is worked out afresh
from the local calendar, so a daylight-saving week neither skips nor doubles a
run: the run fires at the asked local hour on both sides of the change.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from bot.errors import NarratorError

#: Day names as they are stored; index 0 is Monday (datetime.weekday()).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_AM_PM = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$", re.I)


class ScheduleError(NarratorError):
    """A day, time or zone that cannot be read. `field` (day, time, zone), `value`,
    `problem` (a code) and `suggestion` let a template say what is wrong in the
    reader's language (messages/digest-invalid.j2); str() is for logs."""

    def __init__(self, field: str, value: str, suggestion: str | None, problem: str) -> None:
        self.field = field
        self.value = value
        self.suggestion = suggestion
        self.problem = problem
        hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
        super().__init__(f"{field} '{value}': {problem}{hint}")


def parse_day(text: str) -> str:
    """'mon', 'Monday', 'MON' -> 'mon'; numbers are refused (whose Monday is 1?)."""
    word = text.strip().lower()
    if word in DAYS:
        return word
    if word in _FULL:
        return DAYS[_FULL.index(word)]
    if word.isdigit():
        raise ScheduleError("day", text, None, "number")
    close = difflib.get_close_matches(word, [*_FULL, *DAYS], n=1, cutoff=0.6)
    suggestion = None
    if close:
        suggestion = DAYS[_FULL.index(close[0])] if close[0] in _FULL else close[0]
    raise ScheduleError("day", text, suggestion, "unknown")


def parse_time(text: str) -> time:
    """'09:00', '9:00' -> 09:00 (24-hour clock, whole minutes)."""
    raw = text.strip()
    found = _TIME.match(raw)
    if found:
        hour, minute = int(found.group(1)), int(found.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
        raise ScheduleError("time", text, None, "range")
    am_pm = _AM_PM.match(raw)
    if am_pm and 1 <= int(am_pm.group(1)) <= 12 and int(am_pm.group(2) or 0) < 60:
        hour = int(am_pm.group(1)) % 12 + (12 if am_pm.group(3).lower() == "p" else 0)
        suggestion = f"{hour:02d}:{int(am_pm.group(2) or 0):02d}"
        raise ScheduleError("time", text, suggestion, "twelve-hour")
    raise ScheduleError("time", text, None, "unknown")


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_zone(text: str) -> str:
    """An IANA zone name ('Europe/Paris'), spelt as the tz database spells it."""
    raw = text.strip()
    if raw == "UTC":  # the default: no need to list the whole tz database (0.05 s)
        return raw
    zones = _zones()
    if raw in zones.values():
        return raw
    folded = raw.lower().replace(" ", "_")
    if folded in zones:
        raise ScheduleError("zone", text, zones[folded], "case")
    tail = {name.rsplit("/", 1)[-1].lower(): name for name in sorted(zones.values())}
    if folded in tail:
        raise ScheduleError("zone", text, tail[folded], "partial")
    close = difflib.get_close_matches(folded, list(zones), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(folded, list(tail), n=1, cutoff=0.6)
        close = [tail[close[0]].lower()] if close else []
    raise ScheduleError(
        "zone",
        text,
        zones[close[0]] if close else None,
        "unknown",
    )


@dataclass(frozen=True)
class Weekly:
    """Every week on `day` at `at` local time in `zone`."""

    day: str
    at: time
    zone: str

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone)

    def local(self, day: date) -> datetime:
        """The run on the local date `day`, in UTC. A time that does not exist that
        day (the spring-forward gap) is read with the offset before the change, so
        02:30 becomes 03:30 local; a time that happens twice is its first occurrence."""
        return datetime.combine(day, self.at, tzinfo=self.tz).astimezone(UTC)

    def latest(self, now: datetime) -> datetime:
        """The last run due at or before `now` (UTC)."""
        today = now.astimezone(self.tz).date()
        back = (today.weekday() - DAYS.index(self.day)) % 7
        due = self.local(today - timedelta(days=back))
        if due > now:
            due = self.local(today - timedelta(days=back + 7))
        return due

    def next(self, now: datetime) -> datetime:
        """The first run due after `now` (UTC)."""
        latest = self.latest(now)
        day = latest.astimezone(self.tz).date()
        return self.local(day + timedelta(days=7))

    def period(self, due: datetime) -> str:
        """The ISO week of the run, in the schedule's zone: '2026-W48'."""
        year, week, _ = due.astimezone(self.tz).isocalendar()
        return f"{year}-W{week:02d}"

    def describe(self) -> str:
        return f"{self.day} {self.at:%H:%M} {self.zone}"


@dataclass(frozen=True)
class Every:
    """Every `minutes` minutes, on the multiples of that interval since the epoch."""

    minutes: int

    def latest(self, now: datetime) -> datetime:
        step = self.minutes * 60
        return datetime.fromtimestamp(int(now.timestamp()) // step * step, UTC)

    def next(self, now: datetime) -> datetime:
        return self.latest(now) + timedelta(minutes=self.minutes)

    def period(self, due: datetime) -> str:
        return due.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")

    def describe(self) -> str:
        return f"every {self.minutes} min"


@dataclass(frozen=True)
class Once:
    """One run at `at`, recorded under the period `name`: a post's check-in is due once
    its early window has been observed, and its period is the post's id."""

    at: datetime
    name: str

    def latest(self, now: datetime) -> datetime:
        return self.at

    def next(self, now: datetime) -> datetime:
        return self.at

    def period(self, due: datetime) -> str:
        return self.name

    def describe(self) -> str:
        return f"once at {self.at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


Schedule = Weekly | Every | Once
