"""What was known at a moment: the posts published by it and their snapshots observed
by it, located once.

Post and account metrics both start here, so a request that computes both filters,
matches and converts its snapshots once. Everything is numpy underneath: on the few
thousand rows of one request, pandas' per-call costs exceed the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import DatetimeTZDtype


def epoch_hours(times: pd.Series) -> np.ndarray:
    """UTC timestamps as float hours since 1970, vectorised (never Timestamp objects)."""
    return times.to_numpy(dtype="datetime64[ms]").astype(np.int64) / 3_600_000.0


def moment_hours(moment: pd.Timestamp) -> float:
    """One UTC moment as epoch_hours gives it."""
    return float(np.datetime64(moment.asm8, "ms").astype(np.int64) / 3_600_000.0)


def until(times: pd.Series, moment: pd.Timestamp) -> np.ndarray:
    """`times <= moment` as a numpy mask. pandas compares exactly across units and
    ranges; comparing the array, not the Series, skips most of its cost."""
    if isinstance(times.dtype, DatetimeTZDtype):
        return np.asarray(times.array <= moment, dtype=bool)
    return (times <= moment).to_numpy(dtype=bool)


def where(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows where `mask` holds: `frame` itself when that is every row (the store
    has usually filtered already, and a copy costs more than the check)."""
    return frame if bool(mask.all()) else frame[mask]


def locate(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The index in `ids` of each value of `wanted` (its first, if repeated), -1 where
    it is not there. Snapshots come grouped by post, so each run of equal values is
    looked up once."""
    n = len(wanted)
    if n == 0:
        return np.empty(0, dtype=np.intp)
    lookup: dict[object, int] = {}
    for index, value in enumerate(ids.tolist()):
        lookup.setdefault(value, index)
    try:
        changes = np.asarray(wanted[1:] != wanted[:-1], dtype=bool)
    except TypeError:  # a value that cannot say whether it equals another (pd.NA)
        return np.array([lookup.get(value, -1) for value in wanted.tolist()], dtype=np.intp)
    starts = np.flatnonzero(np.concatenate(([True], changes)))
    found = np.array([lookup.get(value, -1) for value in wanted[starts].tolist()], dtype=np.intp)
    return np.repeat(found, np.diff(np.append(starts, n)))


def as_text(values: pd.Series) -> np.ndarray:
    """Values as `astype(str)` gives them, in a plain object array. Names that are
    strings already (all of them, from the store) skip pandas' conversion, which
    costs more than a request's arithmetic."""
    cells = values.tolist()
    if all(isinstance(cell, str) for cell in cells):
        return np.array(cells, dtype=object)
    return np.asarray(values.astype(str), dtype=object)


def to_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64, NaN where missing or not a number (all NaN if absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = frame[column]  # looked up once: each lookup costs more than the copy
    if values.dtype == np.float64:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def sum_reported(values: dict[str, np.ndarray], parts: tuple[str, ...]) -> np.ndarray:
    """Sum the parts that were reported; NaN where none was."""
    stack = np.vstack([values[p] for p in parts])
    total = np.nansum(stack, axis=0)
    total[np.isnan(stack).all(axis=0)] = np.nan
    return total


@dataclass(frozen=True)
class Observed:
    """Posts published by `moment` and their snapshots observed by it.

    `pos` is each snapshot's row in `posts`; `published`, `observed` and `now` are
    epoch hours. Counters are converted on first use and kept."""

    moment: pd.Timestamp
    now: float
    posts: pd.DataFrame
    ids: np.ndarray
    published: np.ndarray
    snaps: pd.DataFrame
    pos: np.ndarray
    observed: np.ndarray
    _counters: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def counter(self, name: str) -> np.ndarray:
        """A counter of every snapshot as float64, NaN where not reported."""
        if name not in self._counters:
            self._counters[name] = to_float(self.snaps, name)
        return self._counters[name]

    def total(self, parts: tuple[str, ...]) -> np.ndarray:
        """The sum of the reported `parts` of every snapshot, NaN where none was."""
        key = "+".join(parts)
        if key not in self._counters:
            self._counters[key] = sum_reported({p: self.counter(p) for p in parts}, parts)
        return self._counters[key]


def observe(
    posts: pd.DataFrame, snapshots: pd.DataFrame, at: object, *, newest_first: bool = False
) -> Observed:
    """The posts published by `at` (newest first if asked; the store's order usually
    is already) and the snapshots of those posts observed by `at`."""
    moment = pd.Timestamp(at).tz_convert("UTC")
    posts = where(posts, until(posts["published_at"], moment))
    if newest_first and not _newest_first(posts):
        posts = posts.sort_values(["published_at", "id"], ascending=False, kind="stable")
    ids = posts["id"].to_numpy()
    pos = locate(ids, snapshots["post"].to_numpy())
    keep = until(snapshots["observed_at"], moment) & (pos >= 0)
    snaps = where(snapshots, keep)
    return Observed(
        moment=moment,
        now=moment_hours(moment),
        posts=posts,
        ids=ids,
        published=epoch_hours(posts["published_at"]),
        snaps=snaps,
        pos=pos if snaps is snapshots else pos[keep],
        observed=epoch_hours(snaps["observed_at"]),
    )


def _newest_first(posts: pd.DataFrame) -> bool:
    """True if the rows are already ordered by publishing time, then id, descending."""
    if len(posts) < 2:
        return True
    when = posts["published_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ids = posts["id"].to_numpy(dtype=object)
    later, earlier = when[:-1], when[1:]
    if (later < earlier).any():
        return False
    tied = np.flatnonzero(later == earlier)
    return all(ids[i] > ids[i + 1] for i in tied)
