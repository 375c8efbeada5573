"""Account metrics: this week against last week, and what the best posts share.

Like the post metrics these are pure and vectorised: frames and a moment in, a
frame out with one row per account.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from bot.metrics.catalogue import (
    ACCOUNT_CATALOGUE,
    BEST_POSTS_QUANTILE,
    CURVE_HOURS,
    PERIOD_DAYS,
)
from bot.metrics.compute import INTERACTION_PARTS, _curve, _div, _float, _sum_reported

_HOUR = pd.Timedelta(hours=1)


def account_metrics(
    accounts: pd.DataFrame,
    posts: pd.DataFrame,
    snapshots: pd.DataFrame,
    followers: pd.DataFrame,
    post_frame: pd.DataFrame,
    at: datetime,
) -> pd.DataFrame:
    """One row per account (index `account`), with `account_kind` and every account metric.

    accounts: id, kind. posts, snapshots, followers: as for post_metrics.
    post_frame: post_metrics' output for the same posts and moment.
    """
    moment = pd.Timestamp(at).tz_convert("UTC")
    ids = accounts["id"].astype(str).to_numpy()
    out = pd.DataFrame(index=pd.Index(ids, name="account"))
    out["account_kind"] = accounts["kind"].to_numpy()
    slot = pd.Series(np.arange(len(ids)), index=ids)
    m: dict[str, np.ndarray] = {name: np.full(len(ids), np.nan) for name in ACCOUNT_CATALOGUE}

    m["followers"] = _latest_followers(followers, slot, moment)
    posts = posts[posts["published_at"] <= moment]
    snaps = snapshots[snapshots["observed_at"] <= moment]
    snaps = snaps[snaps["post"].isin(posts["id"])]
    if len(snaps):
        last_seen = snaps.merge(posts[["id", "account"]], left_on="post", right_on="id")
        latest = last_seen.groupby("account")["observed_at"].max()
        hours = ((moment - latest) / _HOUR).astype(float)
        _put(m["hours_since_observed"], slot, hours)

    _weekly(m, slot, posts, snaps, moment)
    _best_posts(m, slot, post_frame)
    for name in ACCOUNT_CATALOGUE:
        out[name] = m[name]
    return out


def _put(target: np.ndarray, slot: pd.Series, values: pd.Series) -> None:
    known = values.index.isin(slot.index)
    target[slot.loc[values.index[known]].to_numpy()] = values[known].to_numpy(dtype=float)


def _latest_followers(followers: pd.DataFrame, slot: pd.Series, moment: pd.Timestamp) -> np.ndarray:
    out = np.full(len(slot), np.nan)
    seen = followers[followers["observed_at"] <= moment]
    if len(seen):
        latest = (
            seen.sort_values("observed_at", kind="stable").groupby("account")["followers"].last()
        )
        _put(out, slot, latest.astype(float))
    return out


def _weekly(
    m: dict[str, np.ndarray],
    slot: pd.Series,
    posts: pd.DataFrame,
    snaps: pd.DataFrame,
    moment: pd.Timestamp,
) -> None:
    """Counters gained by all of an account's posts in the last week and the week before."""
    week = pd.Timedelta(days=PERIOD_DAYS)
    published = posts["published_at"]
    accounts = posts["account"].astype(str).to_numpy()
    in_week = (published > moment - week).to_numpy()
    in_prev = ((published > moment - 2 * week) & (published <= moment - week)).to_numpy()
    _put(m["posts_week"], slot, pd.Series(in_week.astype(float)).groupby(accounts).sum())
    _put(m["posts_prev_week"], slot, pd.Series(in_prev.astype(float)).groupby(accounts).sum())

    n = len(posts)
    if n == 0 or len(snaps) == 0:
        return
    position = pd.Series(np.arange(n), index=posts["id"].to_numpy())
    pos = position.loc[snaps["post"]].to_numpy()
    pub = published.to_numpy()
    hours = ((snaps["observed_at"].to_numpy() - pub[pos]) / _HOUR).astype(float)
    marks = np.array([moment - 2 * week, moment - week, moment])
    query = ((marks[None, :] - pub[:, None]) / _HOUR).astype(float)

    values = {c: _float(snaps, c) for c in ("impressions", "members_reached", *INTERACTION_PARTS)}
    values["interactions"] = _sum_reported(values, INTERACTION_PARTS)
    gained: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for counter, name in (
        ("impressions", "impressions"),
        ("members_reached", "reach"),
        ("interactions", "interactions"),
    ):
        at_marks = _curve(pos, hours, values[counter], n, query, hold=True)
        prev = pd.Series(at_marks[:, 1] - at_marks[:, 0]).groupby(accounts).sum(min_count=1)
        this = pd.Series(at_marks[:, 2] - at_marks[:, 1]).groupby(accounts).sum(min_count=1)
        _put(m[f"{name}_prev_week"], slot, prev)
        _put(m[f"{name}_week"], slot, this)
        gained[name] = (m[f"{name}_week"], m[f"{name}_prev_week"])

    m["engagement_rate_week"] = _div(m["interactions_week"], m["impressions_week"])
    m["engagement_rate_prev_week"] = _div(m["interactions_prev_week"], m["impressions_prev_week"])
    m["impressions_change"] = _div(m["impressions_week"], m["impressions_prev_week"]) - 1
    m["reach_change"] = _div(m["reach_week"], m["reach_prev_week"]) - 1
    m["engagement_rate_change"] = (
        _div(m["engagement_rate_week"], m["engagement_rate_prev_week"]) - 1
    )


def _best_posts(m: dict[str, np.ndarray], slot: pd.Series, post_frame: pd.DataFrame) -> None:
    mature = post_frame[post_frame["hours_observed"] >= CURVE_HOURS]
    accounts = mature["account"].astype(str)
    _put(m["mature_posts"], slot, mature.groupby(accounts).size().astype(float))
    if mature.empty:
        return
    cutoff = mature.groupby(accounts)["impressions"].transform(
        lambda s: s.quantile(BEST_POSTS_QUANTILE)
    )
    best = mature[mature["impressions"] >= cutoff]
    best_accounts = best["account"].astype(str)
    _put(m["best_posts"], slot, best.groupby(best_accounts).size().astype(float))
    _put(m["best_posts_peak_hour"], slot, best.groupby(best_accounts)["peak_hour"].median())


def posting_slots(post_frame: pd.DataFrame, account: str, limit: int = 3) -> list[dict[str, Any]]:
    """The account's publishing slots (weekday and hour, UTC) ranked by first-90-minute
    engagement, from its own history; a slot needs two posts to count."""
    frame = post_frame[(post_frame["account"] == account)].dropna(subset=["early_engagement_rate"])
    if frame.empty:
        return []
    when = pd.to_datetime(frame["published_at"], utc=True)
    slots = pd.DataFrame(
        {
            "weekday": when.dt.day_of_week,
            "hour": when.dt.hour,
            "rate": frame["early_engagement_rate"],
        }
    )
    table = slots.groupby(["weekday", "hour"])["rate"].agg(["median", "count"]).reset_index()
    table = table[table["count"] >= 2].sort_values(
        ["median", "weekday", "hour"], ascending=[False, True, True], kind="stable"
    )
    overall = float(slots["rate"].median())
    return [
        {
            "weekday": int(row.weekday),
            "day_name": _DAY_NAMES[int(row.weekday)],
            "hour": int(row.hour),
            "early_engagement_rate": float(row.median),
            "posts": int(row.count),
            "vs_overall": float(row.median / overall) if overall else None,
        }
        for row in table.head(limit).itertuples()
    ]


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ = timedelta
