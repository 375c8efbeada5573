"""The domain vocabulary shared by every stage: counters, kinds, and the import batch.

Values here are immutable; a stage that needs another shape builds a new value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

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


@dataclass(frozen=True)
class ImportBatch:
    """Everything one import writes, already validated; written all at once or not at all."""

    source: str
    accounts: tuple[Account, ...] = ()
    posts: tuple[Post, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    follower_counts: tuple[FollowerCount, ...] = field(default=())
