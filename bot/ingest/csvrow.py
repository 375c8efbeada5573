"""One row of the interchange CSV: the cell validators, each raising ValueError with
the words the user will read, and `CsvRow`, the row they make up.

The column reader (`csvcolumns.py`) calls the same validators once per distinct
cell, and the row-by-row model only for rows that have a problem, so a message is
the same whichever way it was found.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from bot.errors import Problem
from bot.model import (
    ACCOUNT_KINDS,
    COUNTERS,
    FORMATS,
    Account,
    FollowerCount,
    ImportBatch,
    Post,
    Snapshot,
    parse_moment,
    to_utc_text,
)

# -- cell validators: each raises ValueError with the words the user will read --


def _required_text(value: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError("is empty, but this column is required")
    return text


def _identifier(value: Any) -> str:
    """An account or post id: asked for by name in commands, so one visible word."""
    text = _required_text(value)
    if (
        text.isascii()
        and text.isprintable()
        and " " not in text
        and _MARKUP_RE.search(text) is None
    ):
        return text  # the usual id, told at C speed: printable ASCII is never Cc or Cf
    if any(ch.isspace() for ch in text):
        raise ValueError(
            f"'{text}' has a space in it; ids are one word (such as acme or 7395000000000000001)"
        )
    hidden = next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf")), None)
    if hidden is not None:
        raise ValueError(
            f"has an invisible character (U+{ord(hidden):04X}) in it; type the id again"
        )
    mark = next((ch for ch in text if ch in _MARKUP), None)
    if mark is not None:
        raise ValueError(
            f"'{text}' has '{mark}' in it, which Slack reads as formatting; "
            "ids use letters, digits and - _ . : /"
        )
    return text


#: Longest ids and titles. Ids are typed in commands and shown in Slack sections of
#: at most 3,000 characters (App Home shows several per section); LinkedIn's vanity
#: names stop at 100 characters, its post URNs are about 40. A title is a post's
#: opening, and LinkedIn posts have at most 3,000 characters.
MAX_ACCOUNT_ID = 100
MAX_POST_ID = 200
MAX_TITLE = 3000
#: Characters Slack reads as formatting, which an id must not carry.
_MARKUP = "*`~<>|"
_MARKUP_RE = re.compile("[" + re.escape(_MARKUP) + "]")


def _at_most(most: int, what: str) -> Any:
    def check(text: str | None) -> str | None:
        if text is not None and len(text) > most:
            raise ValueError(f"is {len(text):,} characters long; {what} {most:,}")
        return text

    return check


def _optional_text(value: Any) -> str | None:
    text = (value or "").strip()
    return text or None


def _moment(value: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError("is empty, but this column is required")
    return to_utc_text(parse_moment(text))


#: Digits as spreadsheets write them: 1200, 1200.0, 1.2E+06. Python would also read
#: 1_200 and non-ASCII digits, which no export writes and which hide typos.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: The largest count SQLite stores as an integer.
MAX_COUNT = 2**63 - 1


def _count(value: Any) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"'{text}' is not a whole number (write digits only, such as 1200)")
    try:
        number = int(text)
    except ValueError:
        as_float = float(text)
        if not as_float.is_integer():
            raise ValueError(f"'{text}' is not a whole number") from None
        number = int(as_float)
    if number < 0:
        raise ValueError(f"{number} is negative; counts start at 0")
    if number > MAX_COUNT:
        raise ValueError(f"{text} is too large for a count (the most is {MAX_COUNT:,})")
    return number


def _required_count(value: Any) -> int:
    number = _count(value)
    if number is None:
        raise ValueError("is empty, but this column is required")
    return number


def _choice(options: tuple[str, ...]) -> Any:
    def check(value: Any) -> str | None:
        text = (value or "").strip().lower()
        if not text:
            return None
        if text not in options:
            raise ValueError(
                f"'{text}' is not one of {', '.join(options)}{_did_you_mean(text, options)}"
            )
        return text

    return check


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


Text = Annotated[str, BeforeValidator(_required_text)]
AccountId = Annotated[
    str,
    BeforeValidator(_identifier),
    AfterValidator(_at_most(MAX_ACCOUNT_ID, "an account id has at most")),
]
PostId = Annotated[
    str,
    BeforeValidator(_identifier),
    AfterValidator(_at_most(MAX_POST_ID, "a post id has at most")),
]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
Moment = Annotated[str, BeforeValidator(_moment)]
Count = Annotated[int | None, BeforeValidator(_count)]
RequiredCount = Annotated[int, BeforeValidator(_required_count)]


class CsvRow(BaseModel):
    """One observation of one post, as the interchange CSV carries it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: AccountId
    post: PostId
    published_at: Moment
    observed_at: Moment
    impressions: RequiredCount
    members_reached: Count = None
    reactions: Count = None
    comments: Count = None
    reposts: Count = None
    saves: Count = None
    sends: Count = None
    clicks: Count = None
    profile_views: Count = None
    followers_gained: Count = None
    comment_replies: Count = None
    engagements: Count = None
    followers: Count = None
    account_kind: Annotated[str | None, BeforeValidator(_choice(ACCOUNT_KINDS))] = None
    format: Annotated[str | None, BeforeValidator(_choice(FORMATS))] = None
    title: Annotated[
        OptionalText, AfterValidator(_at_most(MAX_TITLE, "LinkedIn posts have at most"))
    ] = None
    url: OptionalText = None


def row_problems(
    record: dict[str, str], line: int, name: str
) -> tuple[CsvRow | None, list[Problem]]:
    """The row and the problems of its cells, each located on `line`."""
    try:
        row = CsvRow(**record)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            column = str(err["loc"][0]) if err["loc"] else None
            cause = err.get("ctx", {}).get("error")
            problems.append(Problem(name, line, column, str(cause) if cause else err["msg"]))
        problems.extend(check_row(parse_loosely(record), line, name))
        return None, problems
    return row, check_row(row, line, name)


def parse_loosely(record: dict[str, str]) -> dict[str, Any]:
    """The cells the cross-column checks need, each None where it does not parse."""
    parsers = {
        "impressions": _count,
        "members_reached": _count,
        "published_at": _moment,
        "observed_at": _moment,
    }
    values: dict[str, Any] = {}
    for column, parse in parsers.items():
        try:
            values[column] = parse(record.get(column))
        except ValueError:
            values[column] = None
    return values


def check_row(row: CsvRow | dict[str, Any], line: int, name: str) -> list[Problem]:
    """Checks that read two cells; run even when other cells of the row are wrong."""
    get = row.get if isinstance(row, dict) else lambda column: getattr(row, column)
    problems = []
    impressions, reached = get("impressions"), get("members_reached")
    published, observed = get("published_at"), get("observed_at")
    if impressions is not None and reached is not None and reached > impressions:
        problems.append(
            Problem(
                name,
                line,
                "members_reached",
                f"{reached} is more than impressions ({impressions}); "
                "each member reached counts at least one impression",
            )
        )
    if published is not None and observed is not None and observed < published:
        problems.append(
            Problem(
                name,
                line,
                "observed_at",
                f"{observed} is before published_at ({published})",
            )
        )
    return problems


def assemble(rows: list[tuple[int, CsvRow]], name: str, problems: list[Problem]) -> ImportBatch:
    """Fold rows into accounts, posts, snapshots and follower counts, flagging contradictions."""
    accounts: dict[str, tuple[int, Account]] = {}
    posts: dict[str, tuple[int, Post]] = {}
    snapshots: dict[tuple[str, str], tuple[int, Snapshot]] = {}
    followers: dict[tuple[str, str], tuple[int, FollowerCount]] = {}

    def clash(
        line: int, column: str, owner: str, new: object, first_line: int, old: object
    ) -> None:
        problems.append(
            Problem(
                name,
                line,
                column,
                f"'{new}' contradicts '{old}' given for {owner} on line {first_line}; "
                f"{owner} has one {column}",
            )
        )

    for line, row in rows:
        account = Account(row.account, row.account_kind)
        if row.account in accounts:
            first_line, known = accounts[row.account]
            if account.kind and known.kind and account.kind != known.kind:
                clash(
                    line,
                    "account_kind",
                    f"account {row.account}",
                    account.kind,
                    first_line,
                    known.kind,
                )
            elif account.kind and not known.kind:
                accounts[row.account] = (first_line, account)
        else:
            accounts[row.account] = (line, account)

        post = Post(row.post, row.account, row.published_at, row.url, row.format, row.title)
        if row.post in posts:
            first_line, known_post = posts[row.post]
            merged = {}
            for field in ("account", "published_at", "url", "format", "title"):
                new, old = getattr(post, field), getattr(known_post, field)
                if new is not None and old is not None and new != old:
                    clash(line, field, f"post {row.post}", new, first_line, old)
                merged[field] = old if old is not None else new
            posts[row.post] = (first_line, Post(row.post, **merged))
        else:
            posts[row.post] = (line, post)

        snapshot = Snapshot(row.post, row.observed_at, tuple(getattr(row, c) for c in COUNTERS))
        key = (row.post, row.observed_at)
        if key in snapshots and snapshots[key][1] != snapshot:
            problems.append(
                Problem(
                    name,
                    line,
                    "observed_at",
                    f"post {row.post} was already observed at {row.observed_at} on line "
                    f"{snapshots[key][0]} with other counts; keep one row per observation",
                )
            )
        snapshots.setdefault(key, (line, snapshot))

        if row.followers is not None:
            fkey = (row.account, row.observed_at)
            count = FollowerCount(row.account, row.observed_at, row.followers)
            if fkey in followers and followers[fkey][1] != count:
                clash(
                    line,
                    "followers",
                    f"account {row.account} at {row.observed_at}",
                    row.followers,
                    followers[fkey][0],
                    followers[fkey][1].followers,
                )
            followers.setdefault(fkey, (line, count))

    return ImportBatch(
        source=name,
        accounts=tuple(a for _, a in accounts.values()),
        posts=tuple(p for _, p in posts.values()),
        snapshots=tuple(s for _, s in snapshots.values()),
        follower_counts=tuple(f for _, f in followers.values()),
    )
