"""A post's first-hour check-in, from the same `measure` as last10.

Pure: an account measured as of a moment in, the posts whose check-in is due out.
The post's early interactions (`early_interactions`, `early_engagement_rate`) are
ranked among those of the account's earlier posts in the same measure, so the
check-in and `/linkedin last10` never disagree about a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bot.checkin import EARLY, LOOKBACK
from bot.commands.loading import Measured
from bot.metrics.table import as_time, to_datetime
from bot.model import to_utc_text


@dataclass(frozen=True)
class CheckIn:
    """One post's check-in: due when its early window closed, and what to say."""

    account: str
    post: str
    due: datetime
    context: dict[str, Any]


def due_checkins(measured: Measured, at: datetime, lookback: timedelta = LOOKBACK) -> list[CheckIn]:
    """The check-ins of the account's posts published within `lookback` of `at` whose
    early window has been observed, oldest first. Whether one is too late to send is
    the clock's decision (its grace window), not this function's."""
    posts = measured.posts
    if not len(posts):
        return []
    early = posts.floats("early_interactions")
    published = posts["published_at"]
    recent = (published > as_time(at - lookback)) & ~np.isnan(early)
    found = []
    for index in np.flatnonzero(recent)[::-1]:  # newest first in the frame: oldest first here
        post_id = str(posts.index[index])
        moment = to_datetime(published[index])
        assert moment is not None  # a missing time is never after a moment
        found.append(
            CheckIn(
                measured.account.id,
                post_id,
                moment + EARLY,
                _context(measured, post_id, moment, at),
            )
        )
    return found


def _context(measured: Measured, post_id: str, published: datetime, at: datetime) -> dict[str, Any]:
    posts = measured.posts
    row = posts.row(post_id)
    # Earlier posts only: the account's history as this post started.
    earlier = posts.take(posts["published_at"] < as_time(published))
    others = _known(earlier.floats("early_interactions"))
    rates = _known(earlier.floats("early_engagement_rate"))
    value = float(row["early_interactions"])
    rate = _number(row["early_engagement_rate"])
    comments = _number(row["comments"])
    return {
        "account": {
            "id": measured.account.id,
            "name": measured.account.name or measured.account.id,
        },
        "zone": measured.account.timezone,
        "post": {
            "id": post_id,
            "title": row["title"] if isinstance(row["title"], str) else None,
            "url": row["url"] if isinstance(row["url"], str) else None,
            "published_at": to_utc_text(published),
            "age_minutes": round((at - published).total_seconds() / 60),
        },
        "window_minutes": round(EARLY.total_seconds() / 60),
        "early_interactions": value,
        "early_engagement_rate": rate,
        "comments": comments,
        # 1 = the best start among the `compared` earlier posts and this one.
        "rank": int(np.sum(others > value)) + 1,
        "compared": len(others),
        "median_interactions": float(np.median(others)) if len(others) else None,
        "median_rate": float(np.median(rates)) if len(rates) else None,
        # Comments to answer: answering them now keeps the thread, and the post, alive
        # while LinkedIn decides on a second wave. None yet: the post needs its first
        # interactions, and the team's reshares bring them.
        "action": "reply" if comments else "reshare",
    }


def _number(value: Any) -> float | None:
    return None if value is None or math.isnan(float(value)) else float(value)


def _known(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]
