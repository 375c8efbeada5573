"""Account metrics: this week against last week, and what the best posts share.

Like the post metrics these are pure and vectorised: frames and a moment in, a
frame out with one row per account. Grouping by account is done with numpy
(bincount over account codes), which keeps a one-account request cheap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from bot.metrics.account_series import apply_account_series
from bot.metrics.catalogue import (
    ACCOUNT_CATALOGUE,
    BEST_POSTS_QUANTILE,
    CURVE_HOURS,
)
from bot.metrics.compute import _curve, interactions
from bot.metrics.observed import Observed, as_text, epoch_hours, observe, until, where
from bot.metrics.zones import week_marks


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
    return account_metrics_of(accounts, seen, followers, post_frame)


def account_metrics_of(
    accounts: pd.DataFrame,
    seen: Observed,
    followers: pd.DataFrame,
    post_frame: pd.DataFrame,
    days: pd.DataFrame | None = None,
    periods: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """account_metrics over posts and snapshots already observed; `days` and `periods`
    (the store's account_days and account_periods) replace the sums over posts where
    they cover the weeks (account_series.py)."""
    moment, now = seen.moment, seen.now
    ids = accounts["id"].astype(str).to_numpy()
    k = len(ids)
    zones = (
        accounts["timezone"].fillna("UTC").astype(str).to_numpy()
        if "timezone" in accounts
        else np.full(k, "UTC")
    )
    # Per account: the week before's start, this week's start and its end (the last
    # local midnight before the moment), as epoch hours.
    marks = week_marks(moment, zones)
    m: dict[str, np.ndarray] = {name: np.full(k, np.nan) for name in ACCOUNT_CATALOGUE}

    counts = where(followers, until(followers["observed_at"], moment))
    if len(counts):
        code = _codes(ids, counts["account"])
        when = epoch_hours(counts["observed_at"])
        latest = _group_last(code, when, pd.to_numeric(counts["followers"]).to_numpy(float), k)
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
    # One frame built at once: adding 20 columns one by one costs more than the maths.
    return pd.DataFrame(
        {
            "account_kind": accounts["kind"].to_numpy(),
            **{name: m[name] for name in ACCOUNT_CATALOGUE},
        },
        index=pd.Index(ids, name="account"),
    )


def _codes(ids: np.ndarray, accounts: pd.Series) -> np.ndarray:
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


def _best_posts(m: dict[str, np.ndarray], ids: np.ndarray, post_frame: pd.DataFrame) -> None:
    # A few columns of the mature posts, not a copy of the whole frame.
    observed = post_frame["hours_observed"].to_numpy(dtype=float, na_value=np.nan)
    mature = observed >= CURVE_HOURS
    codes = _codes(ids, post_frame["account"])[mature]
    impressions = post_frame["impressions"].to_numpy(dtype=float, na_value=np.nan)[mature]
    # Each post's peak is known as the hours it can be in (one hour where the readings
    # prove it). The median is monotone, so the medians of the first and last hours
    # bound the median of the true peaks: a late peak read twice a day still counts.
    earliest = post_frame["peak_hour_from"].to_numpy(dtype=float, na_value=np.nan)[mature]
    latest = post_frame["peak_hour_to"].to_numpy(dtype=float, na_value=np.nan)[mature]
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
    post_frame: pd.DataFrame, account: str, limit: int = 3, zone: str = "UTC"
) -> list[dict[str, Any]]:
    """The account's publishing slots (weekday and hour in its zone: 09:00 in Paris is
    one slot in winter and summer) ranked by first-90-minute engagement, from its own
    history; a slot needs two posts to count."""
    # A few dozen posts: plain Python groups them faster than a pandas groupby.
    mine = post_frame[post_frame["account"] == account]
    rates = mine["early_engagement_rate"].to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(rates)
    if not known.any():
        return []
    rates = rates[known]
    when = pd.DatetimeIndex(pd.to_datetime(mine["published_at"][known], utc=True)).tz_convert(zone)
    dated = ~when.isna()  # a post without a time has no slot, but counts overall
    groups: dict[tuple[int, int], list[float]] = {}
    for weekday, hour, rate in zip(
        when.day_of_week[dated].astype(int).tolist(),
        when.hour[dated].astype(int).tolist(),
        rates[dated].tolist(),
        strict=True,
    ):
        groups.setdefault((weekday, hour), []).append(rate)
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
