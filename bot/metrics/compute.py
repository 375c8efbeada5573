"""Compute per-post metrics as of a moment, for whole tables at once.

Inputs are plain frames (as the store gives them) and the evaluation moment;
nothing here reads a clock, a file or the network. A metric whose inputs are
missing is missing (NaN), never zero.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from bot.metrics.catalogue import (
    CATALOGUE,
    CURVE_HOURS,
    EARLY_WINDOW_MINUTES,
    GROWTH_FROM_HOUR,
    MIN_BASELINE_POSTS,
)
from bot.metrics.observed import Observed, as_text, epoch_hours, observe
from bot.model import COUNTERS

IDENTITY_COLUMNS = ("account", "account_kind", "published_at", "url", "format", "title")
INTERACTION_PARTS = ("reactions", "comments", "reposts", "saves", "sends")
SAVES_SHARES_PARTS = ("reposts", "saves", "sends")

# Posts sit side by side on one axis, STRIDE hours apart, so one np.interp call
# interpolates every post's curve; each post's implicit (0 h, 0) start keeps
# interpolation from crossing into its neighbour.
_STRIDE = 1.0e7
_HOUR = pd.Timedelta(hours=1)


def post_metrics(
    posts: pd.DataFrame,
    snapshots: pd.DataFrame,
    followers: pd.DataFrame,
    at: datetime,
) -> pd.DataFrame:
    """Return one row per post published by `at`, newest first, indexed by post id.

    posts: id, account, published_at (UTC), and optionally url, format, title.
    snapshots: post, observed_at (UTC), and the cumulative counters (NaN = not reported).
    followers: account, observed_at, followers.
    """
    return post_metrics_of(observe(posts, snapshots, at, newest_first=True), followers)


def post_metrics_of(seen: Observed, followers: pd.DataFrame) -> pd.DataFrame:
    """post_metrics over posts and snapshots already observed (newest first)."""
    posts, ids, published, now = seen.posts, seen.ids, seen.published, seen.now
    n = len(ids)
    present = set(posts.columns)
    identity = {
        column: posts[column].to_numpy() if column in present else np.full(n, None, dtype=object)
        for column in IDENTITY_COLUMNS
    }
    pos = seen.pos
    hours = seen.observed - published[pos]
    values = {c: seen.counter(c) for c in COUNTERS}
    values["interactions"] = interactions(seen, values)
    values["saves_shares"] = seen.total(SAVES_SHARES_PARTS)

    # Counters as of the moment: the latest reported value of each.
    order = np.lexsort((hours, pos))
    latest = {name: _latest(pos[order], series[order], n) for name, series in values.items()}
    m: dict[str, np.ndarray] = {}
    m["post_age_hours"] = now - published
    m["hours_observed"] = _group_max(pos, hours, n)
    m["followers"] = _followers_at_publish(posts, followers)
    for name in COUNTERS:
        m[name] = latest[name]
    m["interactions"] = latest["interactions"]
    imp = latest["impressions"]
    # A ratio holds its counter against the impressions of the same moment: reach read
    # at hour 50 against impressions at hour 50, not at hour 60 (readings of different
    # figures come at different times, from the API's plan or from partial files).
    sorted_hours = hours[order]
    imp_hour = _latest(pos[order], np.where(np.isnan(values["impressions"][order]), np.nan,
                                            sorted_hours), n)  # fmt: skip

    def imp_when(name: str) -> np.ndarray:
        series = values[name][order]
        when = _latest(pos[order], np.where(np.isnan(series), np.nan, sorted_hours), n)
        same = (when == imp_hour) | np.isnan(when)
        if same.all():
            return imp
        at = _curve(pos, hours, values["impressions"], n, when[:, None], hold=True)[:, 0]
        return np.where(same, imp, at)

    m["impressions_per_member_reached"] = _div(
        imp_when("members_reached"), latest["members_reached"]
    )
    m["engagement_rate"] = _div(latest["interactions"], imp_when("interactions"))
    m["saves_shares"] = latest["saves_shares"]
    m["saves_shares_per_1k"] = _div(latest["saves_shares"], imp_when("saves_shares")) * 1000.0
    m["impressions_per_follower"] = _div(imp, m["followers"])

    early = EARLY_WINDOW_MINUTES / 60.0
    hourly = np.arange(CURVE_HOURS + 1, dtype=float)
    imp_curve = _curve(pos, hours, values["impressions"], n, np.append(hourly, early))
    early_impressions = imp_curve[:, -1]
    imp_curve = imp_curve[:, :-1]
    reach_curve = _curve(
        pos, hours, values["members_reached"], n, np.array([GROWTH_FROM_HOUR, CURVE_HOURS], float)
    )
    i24, i48, i72 = imp_curve[:, GROWTH_FROM_HOUR], imp_curve[:, 48], imp_curve[:, CURVE_HOURS]
    m["impressions_growth_48h"] = _div(i72 - i24, i24)
    m["reach_growth_48h"] = _div(reach_curve[:, 1] - reach_curve[:, 0], reach_curve[:, 0])
    m["early_interactions"] = _curve(pos, hours, values["interactions"], n, np.array([early]))[:, 0]
    m["early_engagement_rate"] = _div(m["early_interactions"], early_impressions)
    m["peak_hour"] = _peak_hour(imp_curve)
    m["peak_hour"][_hidden_peak(pos, hours, values["impressions"], n, imp_curve)] = np.nan
    m["share_first_24h"] = _div(i24, i72)
    m["share_48_72h"] = _div(i72 - i48, i72)
    m["snapshot_gap_hours"] = _largest_gap(pos, hours, n)
    m["click_through_rate"] = _div(latest["clicks"], imp_when("clicks"))
    m["replies_per_comment"] = _div(latest["comment_replies"], latest["comments"])
    m["profile_views_per_1k"] = _div(latest["profile_views"], imp_when("profile_views")) * 1000.0

    mature = m["hours_observed"] >= CURVE_HOURS
    accounts = identity["account"]
    for base, name in (
        ("impressions", "impressions_vs_account"),
        ("engagement_rate", "engagement_rate_vs_account"),
        ("saves_shares_per_1k", "saves_shares_per_1k_vs_account"),
    ):
        m[name] = _div(m[base], _account_median(accounts, m[base], mature))

    # One frame built at once: adding 40 columns one by one costs more than the maths.
    return pd.DataFrame(
        {**identity, **{name: m[name] for name in CATALOGUE}}, index=pd.Index(ids, name="post")
    )


# -- helpers (all vectorised over posts) -------------------------------------


def interactions(seen: Observed, values: dict[str, np.ndarray]) -> np.ndarray:
    """Each snapshot's interactions: the sum of the parts reported, or LinkedIn's own
    engagement total where a file gives no parts (the creator export): kept as that
    total, never split into invented parts."""
    parts = seen.total(INTERACTION_PARTS)
    total = values["engagements"] if "engagements" in values else seen.counter("engagements")
    return np.where(np.isnan(parts), total, parts)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out) | (den == 0)] = np.nan
    return out


def _latest(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The last non-missing value per post (rows sorted by post, then time)."""
    out = np.full(n, np.nan)
    keep = ~np.isnan(values)
    # Later rows overwrite earlier ones for the same post.
    out[pos[keep]] = values[keep]
    return out


def _group_max(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, pos, values)
    out[np.isinf(out)] = np.nan
    return out


def _curve(
    pos: np.ndarray,
    hours: np.ndarray,
    values: np.ndarray,
    n: int,
    query: np.ndarray,
    *,
    hold: bool = False,
) -> np.ndarray:
    """Cumulative value of each post at each query hour, by linear interpolation.

    `query` holds hours after publishing, shared by all posts (1-D) or one row
    per post (2-D). A post counts 0 at publishing and before it. After a post's
    last report the curve has not been observed: the value is missing, or with
    `hold` the last reported value (right for "as of now" readings).
    """
    grid = np.broadcast_to(query, (n, query.shape[-1])).astype(float)
    result = np.full(grid.shape, np.nan)
    keep = ~np.isnan(values) & (hours >= 0)
    p, h, v = pos[keep], hours[keep], values[keep]
    if len(p) == 0:
        return result
    starts = np.unique(p)
    p_all = np.concatenate([starts, p])
    h_all = np.concatenate([np.zeros(len(starts)), h])
    v_all = np.concatenate([np.zeros(len(starts)), v])
    order = np.lexsort((h_all, p_all))
    x = p_all[order] * _STRIDE + h_all[order]
    last = _group_max(p, h, n)
    known = ~np.isnan(last)
    clipped = np.clip(grid, 0.0, np.where(known, last, 0.0)[:, None])
    xq = np.arange(n)[:, None] * _STRIDE + clipped
    result = np.interp(xq.ravel(), x, v_all[order]).reshape(grid.shape)
    if not hold:
        result[grid > last[:, None]] = np.nan
    result[grid < 0] = 0.0
    result[~known] = np.nan
    return result


def _peak_hour(curve: np.ndarray) -> np.ndarray:
    gained = np.clip(np.diff(curve, axis=1), 0, None)
    complete = ~np.isnan(gained).any(axis=1)
    peak = np.full(len(curve), np.nan)
    if complete.any():
        peak[complete] = np.argmax(gained[complete], axis=1) + 1
    return peak


def _hidden_peak(
    pos: np.ndarray, hours: np.ndarray, values: np.ndarray, n: int, curve: np.ndarray
) -> np.ndarray:
    """Posts whose peak hour the readings cannot prove: a stretch of more than an hour
    between two readings (in the first CURVE_HOURS) gained more than the best hour
    found, so a bigger hour may hide inside it. A post read once, days later, is one
    such stretch: interpolation would put its 'peak' anywhere."""
    hidden = np.zeros(n, dtype=bool)
    keep = ~np.isnan(values) & (hours >= 0)
    p, h, v = pos[keep], hours[keep], values[keep]
    if len(p) == 0:
        return hidden
    order = np.lexsort((h, p))
    p, h, v = p[order], h[order], v[order]
    first = np.concatenate([[True], p[1:] != p[:-1]])
    h0 = np.where(first, 0.0, np.concatenate([[0.0], h[:-1]]))
    v0 = np.where(first, 0.0, np.concatenate([[0.0], v[:-1]]))
    end = np.minimum(h, float(CURVE_HOURS))
    span = end - h0
    coarse = (h0 < CURVE_HOURS) & (span > 1.0) & (h > h0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(coarse, (v - v0) * span / (h - h0), 0.0)
    stretch = np.zeros(n)
    np.maximum.at(stretch, p, gain)
    best = np.nanmax(np.clip(np.diff(curve, axis=1), 0, None), axis=1, initial=0.0)
    hidden[:] = stretch > best + 1e-9
    return hidden


def _largest_gap(pos: np.ndarray, hours: np.ndarray, n: int) -> np.ndarray:
    """Largest gap between observations from publishing until the first one at or
    after hour 24, where peaks happen; missing until the first day is covered."""
    out = np.full(n, np.nan)
    if len(pos) == 0:
        return out
    order = np.lexsort((hours, pos))
    p, h = pos[order], hours[order]
    prev = np.concatenate([[0.0], h[:-1]])
    prev[np.concatenate([[True], p[1:] != p[:-1]])] = 0.0  # each post starts at publishing
    within = prev < GROWTH_FROM_HOUR
    gaps = np.full(n, -np.inf)
    np.maximum.at(gaps, p[within], (h - prev)[within])
    covered = _group_max(p, h, n) >= GROWTH_FROM_HOUR
    ok = covered & np.isfinite(gaps)
    out[ok] = gaps[ok]
    return out


def _followers_at_publish(posts: pd.DataFrame, followers: pd.DataFrame) -> np.ndarray:
    """Each post's account follower count observed closest to its publishing time."""
    out = np.full(len(posts), np.nan)
    if followers.empty or posts.empty:
        return out
    codes, _ = pd.factorize(
        np.concatenate([as_text(posts["account"]), as_text(followers["account"])])
    )
    post_codes, follower_codes = codes[: len(posts)], codes[len(posts) :]
    span = 1e7  # hours: keeps accounts apart on one sorted axis
    keys = follower_codes * span + epoch_hours(followers["observed_at"])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], pd.to_numeric(followers["followers"]).to_numpy(float)[order]
    codes_sorted = follower_codes[order]
    wanted = post_codes * span + epoch_hours(posts["published_at"])
    right = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    left = np.clip(right - 1, 0, len(keys) - 1)
    best = np.full(len(posts), -1)
    gap = np.full(len(posts), np.inf)
    for side in (left, right):
        same = codes_sorted[side] == post_codes
        distance = np.abs(keys[side] - wanted)
        better = same & (distance < gap)
        best[better], gap[better] = side[better], distance[better]
    found = best >= 0
    out[found] = counts[best[found]]
    return out


def _account_median(accounts: np.ndarray, values: np.ndarray, mature: np.ndarray) -> np.ndarray:
    """Each post's account median of `values` over mature posts; NaN if too few."""
    out = np.full(len(values), np.nan)
    codes, names = pd.factorize(accounts)
    usable = mature & ~np.isnan(values)
    for code in range(len(names)):  # one pass per account, never per post
        mine = codes == code
        sample = values[mine & usable]
        if len(sample) >= MIN_BASELINE_POSTS:
            out[mine] = np.median(sample)
    return out
