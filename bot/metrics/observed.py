"""What was known at a moment: the posts published by it and their snapshots observed
by it, located once.

Post and account metrics both start here, so a request that computes both filters,
matches and converts its snapshots once. Everything is numpy underneath: on the few
thousand rows of one request, pandas' per-call costs exceed the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from bot.metrics.table import TIME, Table, as_time

if TYPE_CHECKING:
    import pandas as pd


def epoch_hours(times: np.ndarray) -> np.ndarray:
    """UTC times (a Table's column) as float hours since 1970 (NaN where missing)."""
    values = np.asarray(times).astype("datetime64[ms]")
    hours = values.astype(np.int64) / 3_600_000.0
    missing = np.isnat(values)
    if missing.any():
        hours[missing] = np.nan
    return hours


def moment_hours(moment: datetime) -> float:
    """One aware moment as epoch_hours gives it."""
    return float(as_time(moment).astype("datetime64[ms]").astype(np.int64) / 3_600_000.0)


def utc_moment(at: object) -> datetime:
    """`at` (an aware datetime or pandas Timestamp) as an aware UTC datetime."""
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError("a moment must be an aware datetime")
    return at.astimezone(UTC)


def until(times: np.ndarray, moment: datetime) -> np.ndarray:
    """`times <= moment` as a numpy mask (a missing time is never before it)."""
    return np.asarray(times).astype(TIME) <= as_time(moment)


def where(table: Table, mask: np.ndarray) -> Table:
    """The rows where `mask` holds: `table` itself when that is every row (the store
    has usually filtered already, and a copy costs more than the check)."""
    return table if bool(mask.all()) else table.take(mask)


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


def as_text(values: np.ndarray) -> np.ndarray:
    """Values as `str` writes them, in a plain object array. Names that are strings
    already (all of them, from the store) are kept as they are."""
    cells = np.asarray(values).tolist()
    if all(isinstance(cell, str) for cell in cells):
        return np.array(cells, dtype=object)
    out = np.empty(len(cells), dtype=object)
    out[:] = [str(cell) for cell in cells]
    return out


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

    moment: datetime
    now: float
    posts: Table
    ids: np.ndarray
    published: np.ndarray
    snaps: Table
    pos: np.ndarray
    observed: np.ndarray
    _counters: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def counter(self, name: str) -> np.ndarray:
        """A counter of every snapshot as float64, NaN where not reported."""
        if name not in self._counters:
            self._counters[name] = self.snaps.floats(name)
        return self._counters[name]

    def total(self, parts: tuple[str, ...]) -> np.ndarray:
        """The sum of the reported `parts` of every snapshot, NaN where none was."""
        key = "+".join(parts)
        if key not in self._counters:
            self._counters[key] = sum_reported({p: self.counter(p) for p in parts}, parts)
        return self._counters[key]


def observe(
    posts: Table | pd.DataFrame,
    snapshots: Table | pd.DataFrame,
    at: object,
    *,
    newest_first: bool = False,
) -> Observed:
    """The posts published by `at` (newest first if asked; the store's order usually
    is already) and the snapshots of those posts observed by `at`."""
    moment = utc_moment(at)
    posts, snapshots = Table.of(posts), Table.of(snapshots)
    posts = where(posts, until(posts["published_at"], moment))
    if newest_first and not _newest_first(posts):
        posts = posts.take(_newest_order(posts))
    ids = posts["id"]
    pos = locate(ids, snapshots["post"])
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


def _newest_first(posts: Table) -> bool:
    """True if the rows are already ordered by publishing time, then id, descending."""
    if len(posts) < 2:
        return True
    when = posts["published_at"].astype("datetime64[us]").astype(np.int64)
    ids = posts["id"]
    later, earlier = when[:-1], when[1:]
    if (later < earlier).any():
        return False
    tied = np.flatnonzero(later == earlier)
    return all(ids[i] > ids[i + 1] for i in tied)


def _newest_order(posts: Table) -> np.ndarray:
    """Positions ordering the posts by publishing time, then id, both descending
    (stable: equal rows keep their order)."""
    when = posts["published_at"].astype("datetime64[us]").astype(np.int64).tolist()
    ids = posts["id"].tolist()
    keys = sorted(range(len(ids)), key=lambda i: (when[i], ids[i]), reverse=True)
    # reverse=True keeps equal keys in their original order, as a stable sort does.
    return np.array(keys, dtype=np.intp)
