"""The domain vocabulary shared by every stage: counters, kinds, and the import batch.

Values here are immutable; a stage that needs another shape builds a new value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import overload

import numpy as np

#: Cumulative per-post counters, in the order the interchange CSV lists them.
COUNTERS: tuple[str, ...] = (
    "impressions",
    "members_reached",
    "reactions",
    "comments",
    "reposts",
    "saves",
    "sends",
    "clicks",
    "profile_views",
    "followers_gained",
    "comment_replies",
    # LinkedIn's own total of a post's engagements, where a file gives only that
    # (the creator export): kept as the total, never split into invented parts.
    "engagements",
)

ACCOUNT_KINDS: tuple[str, ...] = ("member", "organization")

FORMATS: tuple[str, ...] = (
    "text",
    "image",
    "video",
    "document",
    "poll",
    "article",
    "link",
    "event",
    "newsletter",
)


def to_utc_text(moment: datetime) -> str:
    """Write an aware datetime as the store's UTC text form, `2026-11-23T09:00:00Z`."""
    if moment.tzinfo is None:
        raise ValueError("a moment must carry its time zone")
    utc = moment.astimezone(UTC)
    # Four-digit years always (strftime's %Y writes 999 for the year 999), so the
    # text sorts as time does, and SQLite can read it back.
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%SZ")


def parse_moment(text: str) -> datetime:
    """Read an ISO 8601 moment that carries an offset or Z; raise ValueError otherwise."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"'{raw}' is not an ISO 8601 time such as 2026-03-01T09:30:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"'{raw}' has no time zone: add Z for UTC or an offset such as +01:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"'{raw}' is out of range: in UTC it falls outside years 1 to 9999"
        ) from None


@dataclass(frozen=True)
class Account:
    id: str
    kind: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class FollowerCount:
    account: str
    observed_at: str
    followers: int


@dataclass(frozen=True)
class Post:
    id: str
    account: str
    published_at: str
    url: str | None = None
    format: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """Cumulative counters of one post observed at one moment; None = not reported."""

    post: str
    observed_at: str
    counters: tuple[int | None, ...]

    def as_dict(self) -> dict[str, int | None]:
        return dict(zip(COUNTERS, self.counters, strict=True))


class SnapshotTable(Sequence[Snapshot]):
    """Many snapshots held as columns: a sequence of `Snapshot` to whoever reads it one
    at a time, and arrays to the store, which writes them without building millions
    of objects (a 2,000,000-row CSV would need about 1 GB of them).

    `posts` and `observed` are object arrays of text (each distinct text held once);
    `counters` has one int64 array per COUNTERS entry, -1 where not reported (counts
    are never negative), or None for a counter no row reports."""

    __slots__ = ("counters", "observed", "posts")

    def __init__(
        self,
        posts: np.ndarray,
        observed: np.ndarray,
        counters: Sequence[np.ndarray | None],
    ) -> None:
        if len(counters) != len(COUNTERS):
            raise ValueError("a snapshot table has one column per counter")
        self.posts = posts
        self.observed = observed
        self.counters = tuple(counters)
        for array in (posts, observed, *(c for c in self.counters if c is not None)):
            array.flags.writeable = False  # immutable, as every value between stages

    @classmethod
    def of(cls, snapshots: Sequence[Snapshot]) -> SnapshotTable:
        if isinstance(snapshots, SnapshotTable):
            return snapshots
        n = len(snapshots)
        posts = np.empty(n, dtype=object)
        observed = np.empty(n, dtype=object)
        posts[:] = [s.post for s in snapshots]
        observed[:] = [s.observed_at for s in snapshots]
        counters: list[np.ndarray | None] = []
        for i in range(len(COUNTERS)):
            column = [s.counters[i] for s in snapshots]
            if all(v is None for v in column):
                counters.append(None)
            else:
                counters.append(np.array([-1 if v is None else v for v in column], np.int64))
        return cls(posts, observed, counters)

    def __len__(self) -> int:
        return len(self.posts)

    @overload
    def __getitem__(self, index: int) -> Snapshot: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Snapshot, ...]: ...
    def __getitem__(self, index: int | slice) -> Snapshot | tuple[Snapshot, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return Snapshot(
            self.posts[index],
            self.observed[index],
            tuple(None if c is None or c[index] < 0 else int(c[index]) for c in self.counters),
        )

    def __iter__(self) -> Iterator[Snapshot]:
        for start in range(0, len(self), 65536):
            for row in self.rows(start, start + 65536):
                yield Snapshot(row[0], row[1], row[2:])

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple]:
        """(post, observed_at, *counters) with None where not reported, from `start`."""
        part = slice(start, stop)
        columns = []
        for c in self.counters:
            if c is None:
                columns.append([None] * len(self.posts[part]))
                continue
            values = c[part].astype(object)
            values[c[part] < 0] = None
            columns.append(values.tolist())
        return zip(self.posts[part].tolist(), self.observed[part].tolist(), *columns, strict=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SnapshotTable({len(self)} snapshots)"


#: What an account's day can hold, as the exports give it: account-level series,
#: never a sum of posts. `members_reached` is that day's unique members (a Page's
#: organic unique impressions); uniques of different days cannot be added up.
DAILY_COUNTERS: tuple[str, ...] = (
    "impressions",
    "members_reached",
    "engagements",
    "reactions",
    "comments",
    "reposts",
    "clicks",
    "new_followers",
)


@dataclass(frozen=True)
class AccountDay:
    """One day of an account's own series, as read at `observed_at`; None = not given.
    Counts may be negative: LinkedIn corrects a day with a negative value."""

    account: str
    day: str  # YYYY-MM-DD
    observed_at: str
    counters: tuple[int | None, ...]  # in DAILY_COUNTERS order

    def as_dict(self) -> dict[str, int | None]:
        return dict(zip(DAILY_COUNTERS, self.counters, strict=True))


@dataclass(frozen=True)
class AccountPeriod:
    """An export's totals for its whole window: unique members reached over the window
    is only known this way, since uniques do not add up over days or posts."""

    account: str
    start: str  # YYYY-MM-DD, first day of the window
    end: str  # YYYY-MM-DD, last day of the window
    observed_at: str
    impressions: int | None
    members_reached: int | None


@dataclass(frozen=True)
class Demographic:
    """One line of who saw an account's posts (post None) or one post: a share of its
    unique viewers; `below` when LinkedIn only says less than `share` (`< 1%`)."""

    account: str
    post: str | None
    observed_at: str
    category: str
    value: str
    share: float
    below: bool = False


@dataclass(frozen=True)
class ImportBatch:
    """Everything one import writes, already validated; written all at once or not at all."""

    source: str
    accounts: tuple[Account, ...] = ()
    posts: tuple[Post, ...] = ()
    #: A tuple, or a SnapshotTable when a reader has many (the interchange CSV).
    snapshots: Sequence[Snapshot] = ()
    follower_counts: tuple[FollowerCount, ...] = field(default=())
    days: tuple[AccountDay, ...] = ()
    periods: tuple[AccountPeriod, ...] = ()
    demographics: tuple[Demographic, ...] = ()
    #: What the reader decided and the user should know (day/month order, a guess).
    notes: tuple[str, ...] = ()
    #: What kind of file it came from, in words: "creator export", "interchange CSV".
    kind: str = "interchange CSV"
