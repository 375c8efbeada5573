"""The interchange CSV validated a column at a time, and folded into a batch.

Reading a row into a pydantic model costs about 50 microseconds; a file has up to
millions of rows and, in a column, the same few thousand texts again and again. So
each column is checked once per distinct cell with the very validators `CsvRow`
uses (a column of plain digits is converted by numpy at once), and only a row with
a problem is read again as a `CsvRow`, whose messages are then exactly the
row-by-row reader's. Rows that agree with each other are folded with pandas; when
anything contradicts, the row-by-row fold (`csvrow.assemble`) words it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bot.errors import Problem
from bot.ingest.csvrow import (
    MAX_ACCOUNT_ID,
    MAX_POST_ID,
    MAX_TITLE,
    CsvRow,
    _at_most,
    _choice,
    _count,
    _identifier,
    _moment,
    _optional_text,
    _required_count,
    assemble,
    check_row,
    row_problems,
)
from bot.ingest.csvsniff import spreadsheet_number
from bot.model import (
    ACCOUNT_KINDS,
    COUNTERS,
    FORMATS,
    Account,
    FollowerCount,
    ImportBatch,
    Post,
    SnapshotTable,
)

COUNT_COLUMNS = (*COUNTERS, "followers")
_BAD = object()  # a cell its validator refused


def _then(first: Callable[[Any], Any], second: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: second(first(value))


#: Each text column's validator, as CsvRow chains them.
_TEXT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "account": _then(_identifier, _at_most(MAX_ACCOUNT_ID, "an account id has at most")),
    "post": _then(_identifier, _at_most(MAX_POST_ID, "a post id has at most")),
    "published_at": _moment,
    "observed_at": _moment,
    "account_kind": _choice(ACCOUNT_KINDS),
    "format": _choice(FORMATS),
    "title": _then(_optional_text, _at_most(MAX_TITLE, "LinkedIn posts have at most")),
    "url": _optional_text,
}


class Rows:
    """The good rows read so far, a column at a time (a builder, private to one read)."""

    def __init__(self, *, lean: bool = False) -> None:
        #: Lean: only what snapshots need is kept a row at a time; what a row says of
        #: its post, account and followers is kept once per chunk where it repeats.
        self.lean = lean
        self.lines: list[np.ndarray] = []
        self.values: dict[str, list[np.ndarray]] = {}
        self.owners: list[pd.DataFrame] = []
        self.follows: list[pd.DataFrame] = []
        #: Distinct texts seen, so a text repeated on a million rows is held once.
        self.texts: dict[str, str] = {}

    def column(self, name: str) -> np.ndarray:
        parts = self.values.get(name)
        if not parts:
            return np.empty(0, dtype=object)
        if len(parts) > 1:
            # Joined once and kept joined: the chunks are freed, not held twice.
            parts[:] = [np.concatenate(parts)]
        return parts[0]

    def __len__(self) -> int:
        return sum(len(part) for part in self.lines)


def check_chunk(
    columns: Sequence[str],
    lines: list[int],
    records: list[list[str]],
    name: str,
    *,
    spreadsheet: bool,
    good: Rows,
    forms: set[str],
) -> list[Problem]:
    """Validate records (each with as many cells as `columns`) starting on `lines`;
    add the good ones to `good`, return the problems of the others. In a spreadsheet's
    file, counts written as `1 200` or `1200,0` are read, and `forms` says which."""
    n = len(records)
    cells_of = dict(zip(columns, zip(*records, strict=True), strict=False)) if n else {}
    bad = np.zeros(n, dtype=bool)
    values: dict[str, np.ndarray] = {}
    rewritten: dict[str, dict[str, str]] = {}
    for column, check in _TEXT_CHECKS.items():
        if column not in cells_of:
            continue
        values[column], refused = _by_text(cells_of[column], check, good.texts)
        bad |= refused
    for column in COUNT_COLUMNS:
        if column not in cells_of:
            continue
        values[column], refused, rewritten[column] = _counts(
            cells_of[column], required=column == "impressions", spreadsheet=spreadsheet, forms=forms
        )
        bad |= refused

    problems: list[Problem] = []
    known = [c in _TEXT_CHECKS or c in COUNT_COLUMNS for c in columns]
    for i in np.flatnonzero(bad):
        record = {
            c: rewritten.get(c, {}).get(v, v)
            for c, v, ok in zip(columns, records[i], known, strict=True)
            if ok
        }
        problems.extend(row_problems(record, lines[i], name)[1])

    keep = ~bad
    kept = np.flatnonzero(keep)
    reached, impressions = values.get("members_reached"), values["impressions"]
    published, observed = values["published_at"][kept], values["observed_at"][kept]
    crossed = observed < published
    if reached is not None:
        crossed |= reached[kept] > impressions[kept]
    for i in kept[crossed]:
        row = {
            "impressions": int(impressions[i]),
            "members_reached": None if reached is None or reached[i] < 0 else int(reached[i]),
            "published_at": values["published_at"][i],
            "observed_at": values["observed_at"][i],
        }
        problems.extend(check_row(row, lines[i], name))

    if keep.any():
        good.lines.append(np.asarray(lines)[keep])
        for column, array in values.items():
            if not good.lean or column in _PER_ROW:
                kept = array[keep]
                if kept.dtype == np.int64 and len(kept) and kept.max() < 2**31:
                    kept = kept.astype(np.int32)  # half the memory; -1 still means empty
                good.values.setdefault(column, []).append(kept)
        if good.lean:
            rows = int(keep.sum())
            owners = {c: values[c][keep] if c in values else _nothing(rows) for c in _OWNED}
            good.owners.append(pd.DataFrame(owners).drop_duplicates())
            if "followers" in values:
                followers = values["followers"][keep]
                given = followers >= 0
                follows = {
                    "account": values["account"][keep][given],
                    "observed_at": values["observed_at"][keep][given],
                    "followers": followers[given],
                }
                good.follows.append(pd.DataFrame(follows).drop_duplicates())
    return problems


#: What a lean read keeps for every row.
_PER_ROW = frozenset({"post", "observed_at", *COUNTERS})
#: What a row says of its post and account, kept once per chunk where it repeats.
_OWNED = ("account", "post", "published_at", "url", "format", "title", "account_kind")


def _nothing(rows: int) -> np.ndarray:
    return np.full(rows, None, dtype=object)


def _by_text(
    cells: tuple[str, ...], check: Callable[[Any], Any], texts: dict[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """(value of each cell, where the validator refused it), checking each distinct cell once."""
    as_array = np.empty(len(cells), dtype=object)
    as_array[:] = cells
    codes, distinct = pd.factorize(as_array)
    values = np.empty(len(distinct), dtype=object)
    refused = np.zeros(len(distinct), dtype=bool)
    for i, cell in enumerate(distinct):
        try:
            value = check(cell)
        except ValueError:
            refused[i] = True
            continue
        values[i] = texts.setdefault(value, value) if isinstance(value, str) else value
    return values[codes], refused[codes]


#: Digits numpy converts exactly to int64 (19 could pass 2**63 - 1).
_SAFE_DIGITS = 18


def _counts(
    cells: tuple[str, ...], *, required: bool, spreadsheet: bool, forms: set[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """(counts with -1 where empty, where a cell was refused, spreadsheet cells rewritten
    as digits). Plain digits are converted by numpy in one go."""
    n = len(cells)
    joined = "".join(cells)
    if joined.isascii() and joined.isdigit():
        lengths = np.fromiter(map(len, cells), np.int64, n)
        if lengths.max() <= _SAFE_DIGITS:
            empty = lengths == 0
            counts = np.full(n, -1, dtype=np.int64)
            if empty.any():
                counts[~empty] = np.array([cell for cell in cells if cell], dtype=np.int64)
            else:
                counts = np.array(cells, dtype=np.int64)
            return counts, (empty if required else np.zeros(n, dtype=bool)), {}
    check = _required_count if required else _count
    memo: dict[str, int] = {}
    rewritten: dict[str, str] = {}
    for cell in set(cells):
        text, found = cell, ()
        if spreadsheet:
            digits, found = spreadsheet_number(cell)
            if found:
                text = digits
        try:
            number = check(text)
        except ValueError:
            number, text = -2, cell
        if text is not cell and number != -2:
            rewritten[cell] = text
            forms.update(found)
        memo[cell] = -1 if number is None else number
    counts = np.fromiter((memo[cell] for cell in cells), np.int64, n)
    refused = counts == -2
    counts[refused] = -1
    return counts, refused, rewritten


def fold(good: Rows, name: str, problems: list[Problem]) -> ImportBatch | None:
    """The good rows as one batch; rows that contradict each other add problems, worded
    by the row-by-row fold. None from a lean read with a contradiction: it has not
    kept the cells the fold words it with."""
    if good.lean:
        return _fold_lean(good, name)
    lines = np.concatenate(good.lines) if good.lines else np.empty(0, dtype=np.int64)
    n = len(lines)
    frame = pd.DataFrame(
        {
            column: good.column(column) if column in good.values else np.full(n, None, object)
            for column in (*_TEXT_CHECKS, "followers")
        },
        copy=False,
    )
    if "followers" not in good.values:
        frame["followers"] = np.full(n, -1, dtype=np.int64)
    if problems or _contradicts(frame, good, n):
        return assemble(_as_rows(good, lines), name, problems)

    accounts = (
        frame.groupby("account", sort=False)["account_kind"].first()
        if n
        else pd.Series(dtype=object)
    )
    post_fields = ["account", "published_at", "url", "format", "title"]
    posts = frame.groupby("post", sort=False)[post_fields].first() if n else pd.DataFrame()
    first = ~frame.duplicated(["post", "observed_at"]).to_numpy()
    kept = slice(None) if first.all() else first  # a slice copies nothing
    counters = [
        good.column(c)[kept] if c in good.values and (good.column(c) >= 0).any() else None
        for c in COUNTERS
    ]
    has_followers = frame["followers"].to_numpy() >= 0
    followers = frame[has_followers].drop_duplicates(["account", "observed_at"])
    return ImportBatch(
        source=name,
        accounts=tuple(Account(account, _none(kind)) for account, kind in accounts.items()),
        posts=tuple(
            Post(
                post,
                row.account,
                row.published_at,
                _none(row.url),
                _none(row.format),
                _none(row.title),
            )
            for post, row in zip(posts.index, posts.itertuples(index=False), strict=True)
        ),
        snapshots=SnapshotTable(
            frame["post"].to_numpy()[kept], frame["observed_at"].to_numpy()[kept], counters
        ),
        follower_counts=tuple(
            FollowerCount(a, o, int(f))
            for a, o, f in zip(
                followers["account"], followers["observed_at"], followers["followers"], strict=True
            )
        ),
    )


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


def _contradicts(frame: pd.DataFrame, good: Rows, n: int) -> bool:
    """Whether any two rows disagree on what one post, account or observation has."""
    if not n:
        return False
    if (frame.groupby("account", sort=False)["account_kind"].nunique() > 1).any():
        return True
    fields = ["account", "published_at", "url", "format", "title"]
    distinct = frame.drop_duplicates(["post", *fields])
    if len(distinct) > distinct["post"].nunique() and (
        distinct.groupby("post", sort=False)[fields].nunique() > 1
    ).any(axis=None):
        return True
    repeated = frame.duplicated(["post", "observed_at"], keep=False).to_numpy()
    if repeated.any():  # rare: compare whole rows only where an observation repeats
        keyed = pd.DataFrame(
            {
                "post": frame["post"][repeated],
                "observed_at": frame["observed_at"][repeated],
                **{c: good.column(c)[repeated] for c in COUNTERS if c in good.values},
            }
        )
        if keyed.duplicated(["post", "observed_at"]).sum() != keyed.duplicated().sum():
            return True
    counted = frame[frame["followers"].to_numpy() >= 0]
    repeated = counted.duplicated(["account", "observed_at"], keep=False)
    return bool(
        repeated.any()
        and counted[repeated].duplicated(["account", "observed_at", "followers"]).sum()
        != counted[repeated].duplicated(["account", "observed_at"]).sum()
    )


def _as_rows(good: Rows, lines: np.ndarray) -> list[tuple[int, CsvRow]]:
    """The good rows as CsvRows (already valid: built without validating again)."""
    n = len(lines)
    columns = {c: good.column(c) for c in good.values}
    rows = []
    for i in range(n):
        fields: dict[str, Any] = {}
        for column, array in columns.items():
            value = array[i]
            if column in COUNT_COLUMNS:
                value = None if value < 0 else int(value)
            fields[column] = value
        rows.append((int(lines[i]), CsvRow.model_construct(**fields)))
    return rows


def _fold_lean(good: Rows, name: str) -> ImportBatch | None:
    """fold, from the rows of a lean read (with no problem found in its cells)."""
    owners = (
        pd.concat(good.owners, ignore_index=True).drop_duplicates()
        if good.owners
        else pd.DataFrame({c: _nothing(0) for c in _OWNED})
    )
    follows = (
        pd.concat(good.follows, ignore_index=True).drop_duplicates()
        if good.follows
        else pd.DataFrame({"account": [], "observed_at": [], "followers": []})
    )
    posts, observed = good.column("post"), good.column("observed_at")
    if _owners_disagree(owners) or follows.duplicated(["account", "observed_at"]).any():
        return None
    # One int64 key per (post, observed_at): hashing 2,000,000 pairs of texts would
    # need several times the memory.
    post_codes, _ = pd.factorize(posts)
    seen_codes, seen = pd.factorize(observed)
    key = pd.Series(post_codes.astype(np.int64) * max(len(seen), 1) + seen_codes)
    repeated = key.duplicated(keep=False).to_numpy()
    if repeated.any():
        same = pd.DataFrame(
            {
                "key": key[repeated],
                **{c: good.column(c)[repeated] for c in COUNTERS if c in good.values},
            }
        )
        if same.duplicated(["key"]).sum() != same.duplicated().sum():
            return None
    first = ~key.duplicated().to_numpy()
    kept = slice(None) if first.all() else first
    counters = [
        good.column(c)[kept] if c in good.values and (good.column(c) >= 0).any() else None
        for c in COUNTERS
    ]
    accounts = owners.groupby("account", sort=False)["account_kind"].first()
    post_fields = ["account", "published_at", "url", "format", "title"]
    by_post = owners.groupby("post", sort=False)[post_fields].first()
    return ImportBatch(
        source=name,
        accounts=tuple(Account(account, _none(kind)) for account, kind in accounts.items()),
        posts=tuple(
            Post(
                post,
                row.account,
                row.published_at,
                _none(row.url),
                _none(row.format),
                _none(row.title),
            )
            for post, row in zip(by_post.index, by_post.itertuples(index=False), strict=True)
        ),
        snapshots=SnapshotTable(posts[kept], observed[kept], counters),
        follower_counts=tuple(
            FollowerCount(a, o, int(f))
            for a, o, f in zip(
                follows["account"], follows["observed_at"], follows["followers"], strict=True
            )
        ),
    )


def _owners_disagree(owners: pd.DataFrame) -> bool:
    """Whether two rows give one account two kinds, or one post two of its fields."""
    if not len(owners):
        return False
    if (owners.groupby("account", sort=False)["account_kind"].nunique() > 1).any():
        return True
    fields = ["account", "published_at", "url", "format", "title"]
    distinct = owners.drop_duplicates(["post", *fields])
    return bool(
        len(distinct) > distinct["post"].nunique()
        and (distinct.groupby("post", sort=False)[fields].nunique() > 1).any(axis=None)
    )
