"""The week-over-week reading from what an account's exports say of it as a whole.

An export's daily impressions and engagements add up over days, so two full weeks
of them give the account's week against the week before, every post included. Unique
members reached does not add up (over days or posts): only an export whose own date
range is that week says how many people the week reached. Without one, reach is the
sum over posts, which counts a person once per post seen: an upper bound, and
`reach_is_unique` says which one the numbers are.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from bot.metrics.catalogue import PERIOD_DAYS
from bot.metrics.compute import _div
from bot.metrics.table import Table
from bot.metrics.zones import local_day

_DAY = np.timedelta64(1, "D")
#: Daily counters that add up over days -> the weekly metric they give.
_ADDITIVE = (("impressions", "impressions"), ("engagements", "interactions"))


def apply_account_series(
    m: dict[str, np.ndarray],
    ids: np.ndarray,
    moment: datetime,
    days: Table | None,
    periods: Table | None,
    zones: np.ndarray | None = None,
) -> None:
    """Overwrite the weekly sums in `m` where the account's own series cover them.

    Whole days only: the week ends at the last midnight before the moment in the
    account's zone (`zones`, UTC where not given), as the sums over posts do; an
    export's days are the account's calendar days."""
    week = np.timedelta64(PERIOD_DAYS, "D")
    m["reach_is_unique"] = np.zeros(len(ids))
    given = (days is not None and len(days)) or (periods is not None and len(periods))
    ends: dict[str, np.datetime64] = {}  # worked out once per zone, not per account
    for code, account in enumerate(ids if given else ()):
        zone = "UTC" if zones is None else str(zones[code])
        if zone not in ends:
            # The local day the moment falls on, as the UTC midnight `day` holds.
            ends[zone] = np.datetime64(local_day(moment, zone), "D").astype("datetime64[us]")
        end = ends[zone]
        bounds = ((end - 2 * week, end - week, "_prev_week"), (end - week, end, "_week"))
        if days is not None and len(days):
            mine = days.take(days["account"] == account)
            sums: dict[str, dict[str, float]] = {}
            for start, stop, suffix in bounds:
                inside = mine.take((mine["day"] >= start) & (mine["day"] < stop))
                if len(inside) < PERIOD_DAYS:
                    break
                for counter, name in _ADDITIVE:
                    column = inside.floats(counter)
                    if np.isnan(column).any():
                        continue
                    sums.setdefault(name, {})[suffix] = float(column.sum())
            for name, pair in sums.items():
                if len(pair) == 2:
                    for suffix, value in pair.items():
                        m[f"{name}{suffix}"][code] = value
        if periods is not None and len(periods):
            mine = periods.take(periods["account"] == account)
            reached = mine.floats("members_reached")
            found = {}
            for start, stop, suffix in bounds:
                # An export's range runs from its first day to the end of its last.
                match = (
                    (abs(mine["start"] - start) <= _DAY)
                    & (abs(mine["end"] + _DAY - stop) <= _DAY)
                    & ~np.isnan(reached)
                )
                if match.any():
                    found[suffix] = float(reached[match][-1])
            if len(found) == 2:
                for suffix, value in found.items():
                    m[f"reach{suffix}"][code] = value
                m["reach_is_unique"][code] = 1.0

    m["engagement_rate_week"] = _div(m["interactions_week"], m["impressions_week"])
    m["engagement_rate_prev_week"] = _div(m["interactions_prev_week"], m["impressions_prev_week"])
    for name in ("impressions", "reach", "engagement_rate"):
        m[f"{name}_change"] = _div(m[f"{name}_week"], m[f"{name}_prev_week"]) - 1
