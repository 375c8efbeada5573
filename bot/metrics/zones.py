"""Days and weeks in an account's own time zone.

Timestamps stay UTC everywhere; a week is cut at midnight where the account is. The
week before a moment is the seven whole local days before the day the moment falls
on, so across a daylight-saving change it lasts 167 or 169 hours, not 168.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bot.metrics.catalogue import PERIOD_DAYS
from bot.metrics.observed import moment_hours


def local_midnight(moment: pd.Timestamp, zone: str, days_back: int = 0) -> pd.Timestamp:
    """The local midnight (UTC) that starts `moment`'s day in `zone`, `days_back` days
    earlier by the local calendar."""
    # On the wall clock, so a day back is a calendar day whatever the offset did; then
    # localised again, which finds the offset on the far side of a change.
    day = moment.tz_convert(zone).tz_localize(None).normalize() - pd.Timedelta(days=days_back)
    return day.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")


def week_bounds(moment: pd.Timestamp, zone: str) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(the week before's start, this week's start, its end): local midnights in UTC."""
    return (
        local_midnight(moment, zone, 2 * PERIOD_DAYS).tz_convert("UTC"),
        local_midnight(moment, zone, PERIOD_DAYS).tz_convert("UTC"),
        local_midnight(moment, zone).tz_convert("UTC"),
    )


def week_marks(moment: pd.Timestamp, zones: np.ndarray) -> np.ndarray:
    """week_bounds for each account's zone, as epoch hours: shape (accounts, 3). Worked
    out once per distinct zone, however many accounts share it."""
    marks = np.empty((len(zones), 3))
    for zone in np.unique(zones) if len(zones) else ():
        marks[zones == zone] = [moment_hours(b) for b in week_bounds(moment, str(zone))]
    return marks
