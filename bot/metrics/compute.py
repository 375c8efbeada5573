"""Compute per-post metrics as of a moment, for whole tables at once.

Inputs are plain frames (as the store gives them) and the evaluation moment;
nothing here reads a clock, a file or the network. A metric whose inputs are
missing is missing (NaN), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from bot.metrics.catalogue import (
    CATALOGUE,
    COMPARED_POSTS,
    CURVE_HOURS,
    EARLY_WINDOW_MINUTES,
    GROWTH_FROM_HOUR,
    MIN_BASELINE_POSTS,
)
from bot.metrics.observed import Observed, as_text, epoch_hours, observe
from bot.metrics.table import Table
from bot.model import COUNTERS

if TYPE_CHECKING:
    import pandas as pd

IDENTITY_COLUMNS = ("account", "account_kind", "published_at", "url", "format", "title")
INTERACTION_PARTS = ("reactions", "comments", "reposts", "saves", "sends")
SAVES_SHARES_PARTS = ("reposts", "saves", "sends")

# Posts sit side by side on one axis, STRIDE hours apart, so one np.interp call
# interpolates every post's curve; each post's implicit (0 h, 0) start keeps
# interpolation from crossing into its neighbour.
_STRIDE = 1.0e7


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
    seen = observe(posts, snapshots, at, newest_first=True)
    return post_metrics_of(seen, Table.of(followers)).to_pandas()


def post_metrics_of(seen: Observed, followers: Table) -> Table:
    """post_metrics over posts and snapshots already observed (newest first), as a Table."""
    posts, ids, published, now = seen.posts, seen.ids, seen.published, seen.now
    n = len(ids)
    identity = {
        column: posts[column] if column in posts else np.full(n, None, dtype=object)
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
    m["followers"] = _followers_as_of(posts, followers, now)
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
    reach_curve = _curve(pos, hours, values["members_reached"], n, hourly)
    i24, i48, i72 = imp_curve[:, 24], imp_curve[:, 48], imp_curve[:, CURVE_HOURS]
    (
        m["impressions_growth_48h"],
        m["reach_growth_48h"],
        m["growth_from_hour"],
    ) = _recycling_window(imp_curve, reach_curve)
    m["early_interactions"] = _curve(pos, hours, values["interactions"], n, np.array([early]))[:, 0]
    m["early_engagement_rate"] = _div(m["early_interactions"], early_impressions)
    stretches = _stretches(pos, hours, values["impressions"])
    (
        m["peak_hour_from"],
        m["peak_hour_to"],
        m["peak_gap_from"],
        m["peak_gap_to"],
    ) = _peak_range(stretches, n, imp_curve)
    m["peak_hour"] = np.where(m["peak_hour_from"] == m["peak_hour_to"], m["peak_hour_from"], np.nan)
    m["share_first_24h"] = _div(i24, i72)
    m["share_48_72h"] = _div(i72 - i48, i72)
    lo, hi = _brackets(stretches, n, (24.0, 48.0, float(CURVE_HOURS)))
    (lo24, lo48, lo72), (hi24, hi48, hi72) = lo.T, hi.T
    # Cumulative counts: the true value at hour H lies between the readings either
    # side of it, whatever interpolation says, so each share has proven bounds.
    m["share_first_24h_low"] = _div(lo24, hi72)
    m["share_first_24h_high"] = np.minimum(_div(hi24, lo72), 1.0)
    m["share_48_72h_low"] = 1.0 - np.minimum(_div(hi48, lo72), 1.0)
    m["share_48_72h_high"] = 1.0 - _div(lo48, hi72)
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

    (
        m["beats_bigger"],
        m["bigger_post"],
        m["bigger_impressions"],
        m["bigger_saves_shares"],
        m["bigger_saves_shares_per_1k"],
    ) = _quality_against_reach(accounts, m, mature)

    return Table({**identity, **{name: m[name] for name in CATALOGUE}}, ids, "post")


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


#: A 48-hour window in which impressions grew by less than this says nothing about
#: recycling (a post that has stopped circulating), so it is not chosen.
RECYCLING_MIN_WINDOW_GROWTH = 0.1
GROWTH_WINDOW_HOURS = 48


def _recycling_window(imp: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, ...]:
    """Impressions and reach growth over the 48-hour window, starting at hour 1 to
    CURVE_HOURS - 48, in which impressions outgrew reach the most (relative growth
    against relative growth); windows not yet observed are left out, so a post is
    judged as soon as its first window is. Returns growths and the window's first hour."""
    n = len(imp)
    starts = np.arange(1, CURVE_HOURS - GROWTH_WINDOW_HOURS + 1)
    i0, i1 = imp[:, starts], imp[:, starts + GROWTH_WINDOW_HOURS]
    r0, r1 = reach[:, starts], reach[:, starts + GROWTH_WINDOW_HOURS]
    gi, gr = _div(i1 - i0, i0), _div(r1 - r0, r0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(gr > 0, gi / gr, np.where(gi > 0, np.inf, 0.0))
    known = ~np.isnan(gi) & ~np.isnan(gr)
    grew = known & (gi >= RECYCLING_MIN_WINDOW_GROWTH)
    # Where no window grew enough, the one that grew most still says "not recycling":
    # those score below every window that did (which score above 0).
    score = np.where(grew, score, gi - 10.0)
    out = tuple(np.full(n, np.nan) for _ in range(3))
    has = known.any(axis=1)
    if has.any():
        best = np.nanargmax(np.where(known, score, -np.inf)[has], axis=1)
        rows = np.flatnonzero(has)
        out[0][rows] = gi[rows, best]
        out[1][rows] = gr[rows, best]
        out[2][rows] = starts[best]
    # Without reach no window can be chosen: impressions over the last one, as reported.
    alone = ~has & ~np.isnan(gi[:, -1])
    out[0][alone] = gi[alone, -1]
    out[2][alone] = starts[-1]
    return out


@dataclass(frozen=True)
class _Stretches:
    """Each stretch between two readings of a counter (the first from publishing, at
    0): post, start and end hour, values at both ends; sorted by post, then time."""

    post: np.ndarray
    start: np.ndarray
    end: np.ndarray
    before: np.ndarray
    after: np.ndarray


def _stretches(pos: np.ndarray, hours: np.ndarray, values: np.ndarray) -> _Stretches:
    keep = ~np.isnan(values) & (hours >= 0)
    p, h, v = pos[keep], hours[keep], values[keep]
    order = np.lexsort((h, p))
    p, h, v = p[order], h[order], v[order]
    first = np.concatenate([[True], p[1:] != p[:-1]]) if len(p) else np.zeros(0, bool)
    h0 = np.where(first, 0.0, np.concatenate([[0.0], h[:-1]])[: len(h)])
    v0 = np.where(first, 0.0, np.concatenate([[0.0], v[:-1]])[: len(v)])
    return _Stretches(p, h0, h, v0, v)


def _brackets(s: _Stretches, n: int, marks: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """For each post and hour mark: the value of the last reading at or before it (0,
    at publishing, if none) and of the first reading at or after it (missing if none)."""
    lo = np.zeros((n, len(marks)))
    hi = np.full((n, len(marks)), np.inf)
    for j, mark in enumerate(marks):
        before = s.end <= mark
        np.maximum.at(lo[:, j], s.post[before], s.after[before])
        after = s.end >= mark
        np.minimum.at(hi[:, j], s.post[after], s.after[after])
    hi[np.isinf(hi)] = np.nan
    lo[np.isnan(hi)] = np.nan
    return lo, hi


def _peak_range(s: _Stretches, n: int, curve: np.ndarray) -> tuple[np.ndarray, ...]:
    """The first and last hour the peak can be in, and the widest stretch between two
    readings that keeps it from being one hour (missing when it is one hour).

    Where readings are an hour apart or closer, each hour's gain is read off the
    curve. A longer stretch proves only that its best hour gained at least its
    average, and hides an hour of up to its whole gain. The best proven hour sets
    the bar; the peak is in the fine hour that reaches it, or in any long stretch
    whose whole gain does. All posts at once: a (post, hour) grid of 72 columns."""
    gained = np.clip(np.diff(curve, axis=1), 0, None)
    complete = ~np.isnan(gained).any(axis=1)
    end = np.minimum(s.end, float(CURVE_HOURS))
    coarse = (s.start < CURVE_HOURS) & (end - s.start > 1.0) & (s.end > s.start)
    p = s.post[coarse]
    gain = np.clip(s.after - s.before, 0, None)[coarse]
    first = np.floor(s.start[coarse]).astype(int)  # 0-based column of its first hour
    last = np.ceil(end[coarse]).astype(int) - 1
    width = last - first + 1
    # Past hour 72 its gain may all lie outside the window: it proves nothing inside.
    proven = np.where(s.end[coarse] <= CURVE_HOURS, gain / np.maximum(width, 1), 0.0)
    hides = np.zeros((n, CURVE_HOURS))
    covered = np.zeros((n, CURVE_HOURS), dtype=bool)
    if len(p):
        rows = np.repeat(p, width)
        offsets = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
        cols = np.repeat(first, width) + offsets
        np.maximum.at(hides, (rows, cols), np.repeat(gain, width))
        covered[rows, cols] = True
    fine = np.where(covered | np.isnan(gained), -np.inf, gained)
    best_fine = fine.max(axis=1, initial=-np.inf)
    bar = np.full(n, -np.inf)
    np.maximum.at(bar, p, proven)
    bar = np.maximum(bar, best_fine)
    tolerance = 1e-9 * np.maximum(bar, 1.0)
    candidate = covered & (hides >= (bar - tolerance)[:, None])
    top = np.argmax(fine, axis=1)  # the first fine hour at its best, by convention
    attains = best_fine >= bar - tolerance
    candidate[np.flatnonzero(attains), top[attains]] = True
    ok = complete & candidate.any(axis=1)
    hour_from, hour_to = np.full(n, np.nan), np.full(n, np.nan)
    hour_from[ok] = np.argmax(candidate[ok], axis=1) + 1
    hour_to[ok] = CURVE_HOURS - np.argmax(candidate[ok][:, ::-1], axis=1)
    # The widest long stretch that may hide the peak: one reading inside it decides most.
    gap_from, gap_to = np.full(n, np.nan), np.full(n, np.nan)
    if len(p):
        at_bar = gain >= bar[p] - tolerance[p]
        undecided = ok[p] & (hour_from[p] != hour_to[p])
        span = np.where(at_bar & undecided, end[coarse] - s.start[coarse], -1.0)
        widest = np.full(n, -1.0)
        np.maximum.at(widest, p, span)
        pick = (span > 0) & (span >= widest[p])
        gap_from[p[pick]] = np.round(s.start[coarse][pick])
        gap_to[p[pick]] = np.round(end[coarse][pick])
    return hour_from, hour_to, gap_from, gap_to


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


def _followers_as_of(posts: Table, followers: Table, now: float) -> np.ndarray:
    """Each post's account follower count as of the moment asked (its latest observation
    by then): the count the reply's header shows, so a finding never quotes another."""
    out = np.full(len(posts), np.nan)
    if not len(followers) or not len(posts):
        return out
    codes, _ = factorize(np.concatenate([as_text(posts["account"]), as_text(followers["account"])]))
    post_codes, follower_codes = codes[: len(posts)], codes[len(posts) :]
    when = epoch_hours(followers["observed_at"])
    counts = followers.floats("followers")
    known = (when <= now) & ~np.isnan(counts)
    order = np.lexsort((when[known], follower_codes[known]))
    latest = np.full(codes.max() + 1, np.nan)
    latest[follower_codes[known][order]] = counts[known][order]  # later rows win
    return latest[post_codes]


def _quality_against_reach(
    accounts: np.ndarray, m: dict[str, np.ndarray], mature: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The article's comparison, per account over its COMPARED_POSTS newest posts (the
    rows come newest first) that are mature: the post best on saves + shares per
    1,000 gets beats_bigger = 1 and the numbers of the post with most impressions,
    when that is another post with more impressions; every other post gets 0."""
    n = len(accounts)
    # 0, not missing, where saves went unreported: the rule is then simply quiet.
    flag = np.where(np.isnan(m["impressions"]), np.nan, 0.0)
    other = [np.full(n, np.nan) for _ in range(4)]
    codes, names = factorize(accounts)
    for code in range(len(names)):  # one pass per account, never per post
        rows = np.flatnonzero(codes == code)
        place = np.arange(1, len(rows) + 1)
        shown = place <= COMPARED_POSTS
        rows, place = rows[shown], place[shown]
        quality, reach = m["saves_shares_per_1k"][rows], m["impressions"][rows]
        usable = mature[rows] & ~np.isnan(quality) & ~np.isnan(reach)
        if usable.sum() < 2:
            continue
        best = np.flatnonzero(usable)[np.argmax(np.where(usable, quality, -np.inf)[usable])]
        biggest = np.flatnonzero(usable)[np.argmax(np.where(usable, reach, -np.inf)[usable])]
        if best == biggest or reach[biggest] <= reach[best]:
            continue
        flag[rows[best]] = 1.0
        for out, value in zip(
            other,
            (
                place[biggest],
                reach[biggest],
                m["saves_shares"][rows[biggest]],
                quality[biggest],
            ),
            strict=True,
        ):
            out[rows[best]] = value
    return (flag, *other)


def _account_median(accounts: np.ndarray, values: np.ndarray, mature: np.ndarray) -> np.ndarray:
    """Each post's account median of `values` over mature posts; NaN if too few."""
    out = np.full(len(values), np.nan)
    codes, names = factorize(accounts)
    usable = mature & ~np.isnan(values)
    for code in range(len(names)):  # one pass per account, never per post
        mine = codes == code
        sample = values[mine & usable]
        if len(sample) >= MIN_BASELINE_POSTS:
            out[mine] = np.median(sample)
    return out


def factorize(values: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Each value's code (its distinct values numbered in order of first appearance)
    and those distinct values, as `pandas.factorize` gives them; None is -1."""
    lookup: dict[object, int] = {}
    codes = np.empty(len(values), dtype=np.intp)
    for i, value in enumerate(np.asarray(values).tolist()):
        if value is None or (isinstance(value, float) and value != value):
            codes[i] = -1
        else:
            codes[i] = lookup.setdefault(value, len(lookup))
    return codes, list(lookup)
