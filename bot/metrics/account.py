"""Account metrics: this week against last week, and what the best posts share.

Like the post metrics these are pure and vectorised: frames and a moment in, a
frame out with one row per account. Grouping by account is done with numpy
(bincount over account codes), which keeps a one-account request cheap.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from bot.metrics.account_series import apply_account_series
from bot.metrics.catalogue import (
    ACCOUNT_CATALOGUE,
    BEST_POSTS_QUANTILE,
    CURVE_HOURS,
)
from bot.metrics.compute import _curve, interactions
from bot.metrics.observed import Observed, as_text, epoch_hours, observe, until, where
from bot.metrics.table import Table, to_datetime
from bot.metrics.zones import week_marks

if TYPE_CHECKING:
    import pandas as pd


def account_metrics(
    accounts: pd.DataFrame,
    posts: pd.DataFrame,
    snapshots: pd.DataFrame,
    followers: pd.DataFrame,
    post_frame: pd.DataFrame,
    at: datetime,
) -> pd.DataFrame:
    """One row per account (index `account`), with `account_kind` and every account metric.

    accounts: id, kind, and optionally timezone (IANA; UTC where absent): weeks are cut
    at the account's local midnight. posts, snapshots, followers: as for post_metrics.
    post_frame: post_metrics' output for the same posts and moment.
    """
    seen = observe(posts, snapshots, at, newest_first=True)  # the order measure() uses
    return account_metrics_of(
        Table.of(accounts), seen, Table.of(followers), Table.of(post_frame)
    ).to_pandas()


def account_metrics_of(
    accounts: Table,
    seen: Observed,
    followers: Table,
    post_frame: Table,
    days: Table | None = None,
    periods: Table | None = None,
) -> Table:
    """account_metrics over posts and snapshots already observed; `days` and `periods`
    (the store's account_days and account_periods) replace the sums over posts where
    they cover the weeks (account_series.py)."""
    moment, now = seen.moment, seen.now
    ids = as_text(accounts["id"])
    k = len(ids)
    zones = (
        np.array(
            ["UTC" if _missing(zone) else str(zone) for zone in accounts["timezone"].tolist()],
            dtype=object,
        )
        if "timezone" in accounts
        else np.full(k, "UTC", dtype=object)
    )
    # Per account: the week before's start, this week's start and its end (the last
    # local midnight before the moment), as epoch hours.
    marks = week_marks(moment, zones)
    m: dict[str, np.ndarray] = {name: np.full(k, np.nan) for name in ACCOUNT_CATALOGUE}

    counts = where(followers, until(followers["observed_at"], moment))
    if len(counts):
        code = _codes(ids, counts["account"])
        when = epoch_hours(counts["observed_at"])
        latest = _group_last(code, when, counts.floats("followers"), k)
        m["followers"] = latest

    post_account = _codes(ids, seen.posts["account"])
    published = seen.published
    if len(seen.snaps):
        pos, observed = seen.pos, seen.observed
        last = np.full(k, -np.inf)
        np.maximum.at(last, post_account[pos], observed)
        known = np.isfinite(last)
        m["hours_since_observed"][known] = now - last[known]
        _weekly(m, k, post_account, seen, marks)
    own = _own(marks, post_account)
    m["posts_week"] = _count(post_account, (published >= own[:, 1]) & (published < own[:, 2]), k)
    m["posts_prev_week"] = _count(
        post_account, (published >= own[:, 0]) & (published < own[:, 1]), k
    )
    apply_account_series(m, ids, moment, days, periods, zones)
    _best_posts(m, ids, post_frame)
    return Table(
        {"account_kind": accounts["kind"], **{name: m[name] for name in ACCOUNT_CATALOGUE}},
        ids,
        "account",
    )


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _codes(ids: np.ndarray, accounts: np.ndarray) -> np.ndarray:
    """Each row's account as its index in `ids` (-1 for an account not asked about)."""
    lookup = {name: i for i, name in enumerate(ids)}
    return np.array([lookup.get(a, -1) for a in as_text(accounts).tolist()], dtype=int)


def _own(marks: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each post's account's week marks; NaN for a post of an account not asked about."""
    out = np.full((len(codes), 3), np.nan)
    asked = codes >= 0
    out[asked] = marks[codes[asked]]
    return out


def _count(codes: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    keep = mask & (codes >= 0)
    return np.bincount(codes[keep], minlength=k).astype(float)


def _sum(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Per-account sums of the values reported; NaN where none was."""
    keep = (codes >= 0) & ~np.isnan(values)
    total = np.bincount(codes[keep], weights=values[keep], minlength=k)
    reported = np.bincount(codes[keep], minlength=k)
    return np.where(reported > 0, total, np.nan)


def _group_last(codes: np.ndarray, when: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    out = np.full(k, np.nan)
    order = np.lexsort((when, codes))
    keep = codes[order] >= 0
    out[codes[order][keep]] = values[order][keep]  # later rows overwrite earlier ones
    return out


def _weekly(
    m: dict[str, np.ndarray], k: int, post_account: np.ndarray, seen: Observed, marks: np.ndarray
) -> None:
    """Counters gained by all of an account's posts in the last week and the week before,
    cut at the account's local midnights (`marks`, per account)."""
    published, pos = seen.published, seen.pos
    n = len(published)
    hours = seen.observed - published[pos]
    query = _own(marks, post_account) - published[:, None]
    values = {c: seen.counter(c) for c in ("impressions", "members_reached")}
    values["interactions"] = interactions(seen, values)
    for counter, name in (
        ("impressions", "impressions"),
        ("members_reached", "reach"),
        ("interactions", "interactions"),
    ):
        at_marks = _curve(pos, hours, values[counter], n, query, hold=True)
        m[f"{name}_prev_week"] = _sum(post_account, at_marks[:, 1] - at_marks[:, 0], k)
        m[f"{name}_week"] = _sum(post_account, at_marks[:, 2] - at_marks[:, 1], k)
    # The rates and changes are worked out once, by apply_account_series, from whichever
    # weekly sums hold in the end (the posts' or the account's own series).


def _best_posts(m: dict[str, np.ndarray], ids: np.ndarray, post_frame: Table) -> None:
    # A few columns of the mature posts, not a copy of the whole frame.
    observed = post_frame.floats("hours_observed")
    mature = observed >= CURVE_HOURS
    codes = _codes(ids, post_frame["account"])[mature]
    impressions = post_frame.floats("impressions")[mature]
    # Each post's peak is known as the hours it can be in (one hour where the readings
    # prove it). The median is monotone, so the medians of the first and last hours
    # bound the median of the true peaks: a late peak read twice a day still counts.
    earliest = post_frame.floats("peak_hour_from")[mature]
    latest = post_frame.floats("peak_hour_to")[mature]
    m["mature_posts"] = _count(codes, np.ones(len(codes), bool), len(ids))
    for code in np.unique(codes[codes >= 0]):  # one pass per account, never per post
        mine = (codes == code) & ~np.isnan(impressions)
        if not mine.any():
            continue
        cutoff = np.quantile(impressions[mine], BEST_POSTS_QUANTILE)
        best = mine & (impressions >= cutoff)
        m["best_posts"][code] = best.sum()
        known = best & ~np.isnan(earliest) & ~np.isnan(latest)
        if known.any():
            low, high = float(np.median(earliest[known])), float(np.median(latest[known]))
            m["best_posts_peak_hour_from"][code] = low
            m["best_posts_peak_hour_to"][code] = high
            if low == high:
                m["best_posts_peak_hour"][code] = low


def posting_slots(
    post_frame: Table | pd.DataFrame, account: str, limit: int = 3, zone: str = "UTC"
) -> list[dict[str, Any]]:
    """The account's publishing slots (weekday and hour in its zone: 09:00 in Paris is
    one slot in winter and summer) ranked by first-90-minute engagement, from its own
    history; a slot needs two posts to count."""
    posts = Table.of(post_frame)
    mine = posts.take(as_text(posts["account"]) == account)
    rates = mine.floats("early_engagement_rate")
    known = ~np.isnan(rates)
    if not known.any():
        return []
    rates = rates[known]
    tz = ZoneInfo(zone)
    groups: dict[tuple[int, int], list[float]] = {}
    for time, rate in zip(mine["published_at"][known], rates.tolist(), strict=True):
        moment = to_datetime(time)
        if moment is None:  # a post without a time has no slot, but counts overall
            continue
        local = moment.astimezone(tz)
        groups.setdefault((local.weekday(), local.hour), []).append(rate)
    table = sorted(
        (
            (float(np.median(group)), weekday, hour, len(group))
            for (weekday, hour), group in groups.items()
            if len(group) >= 2
        ),
        key=lambda slot: (-slot[0], slot[1], slot[2]),
    )
    overall = float(np.median(rates))
    return [
        {
            "weekday": weekday,
            "day_name": _DAY_NAMES[weekday],
            "hour": hour,
            "early_engagement_rate": median,
            "posts": count,
            "zone": zone,
            "vs_overall": median / overall if overall else None,
        }
        for median, weekday, hour, count in table[:limit]
    ]


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
