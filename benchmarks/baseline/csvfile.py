"""Read the interchange CSV (docs/data-format.md) into an ImportBatch.

Every problem in the file is collected and reported at once as
`file:line: column: problem`; a file with any problem yields no batch at all.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from bot.errors import ImportFileError, Problem
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

REQUIRED_COLUMNS: tuple[str, ...] = (
    "account",
    "post",
    "published_at",
    "observed_at",
    "impressions",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    *[c for c in COUNTERS if c != "impressions"],
    "followers",
    "account_kind",
    "format",
    "title",
    "url",
)
ALL_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
_MISSING = "required column is missing"


# -- cell validators: each raises ValueError with the words the user will read --


def _required_text(value: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError("is empty, but this column is required")
    return text


def _identifier(value: Any) -> str:
    """An account or post id: asked for by name in commands, so one visible word."""
    text = _required_text(value)
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


#: The largest file one import reads: parsing holds about 30 times the file's size
#: in memory (a 30 MB file of 400,000 rows peaks near 1 GB).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: More header columns than any interchange file has (it has 21).
MAX_COLUMNS = 100


def read_csv(path: str | Path) -> ImportBatch:
    """Validate the whole file; return its batch, or raise ImportFileError listing every problem."""
    name = str(path)
    try:
        data = _read_regular_file(path)
    except FileNotFoundError:
        raise _failed([Problem(name, None, None, "no such file")]) from None
    except IsADirectoryError:
        raise _failed(
            [Problem(name, None, None, "is a folder: name the CSV files in it")]
        ) from None
    except OSError as exc:
        raise _failed([Problem(name, None, None, f"cannot be read: {exc.strerror}")]) from None
    except _Refused as exc:
        raise _failed([Problem(name, None, None, str(exc))]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _failed(
            [Problem(name, 1, None, "is not UTF-8 text: save it as 'CSV UTF-8 (comma delimited)'")]
        ) from None
    return parse_csv(text, name)


class _Refused(Exception):
    """A path that is not a file to read whole (its message says what it is instead)."""


def _read_regular_file(path: str | Path) -> bytes:
    """The bytes of a regular file. A FIFO, a device or a socket would block or never
    end: it is opened without waiting and refused, as is a file over MAX_FILE_BYTES."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("is not a regular file (a pipe or a device?): save the data to a file")
        if info.st_size > MAX_FILE_BYTES:
            raise _Refused(
                f"is {info.st_size / 2**20:,.0f} MB; one import reads at most "
                f"{MAX_FILE_BYTES // 2**20} MB: split it into several files"
            )
        return handle.read(MAX_FILE_BYTES + 1)


def parse_csv(text: str, name: str = "<csv>") -> ImportBatch:
    """Validate CSV text; see read_csv."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as read_csv drops it
    nul = text.find("\x00")
    if nul >= 0:
        raise _failed([Problem(name, _line_of(text, nul), None, _NUL)])
    problems: list[Problem] = []
    # Lines end at \n, \r\n or \r only: str.splitlines would also end them at
    # characters a title may hold (U+2028, form feed), splitting a row in two.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _failed([_unreadable(name, 1, reader.line_num, exc)]) from None
    if header is None or not any(cell.strip() for cell in header):
        raise _failed([Problem(name, 1, None, "the file is empty: expected a header row")])
    if len(header) > MAX_COLUMNS:
        raise _failed(
            [
                Problem(
                    name,
                    1,
                    None,
                    f"the header has {len(header):,} columns, and the format has "
                    f"{len(ALL_COLUMNS)} (docs/data-format.md): is this the right file?",
                )
            ]
        )
    columns = [cell.strip() for cell in header]
    problems.extend(_check_header(columns, name))
    if any(p.message == _MISSING for p in problems) or any(p.column is None for p in problems):
        raise _failed(problems)
    known = [c in ALL_COLUMNS for c in columns]

    rows: list[tuple[int, CsvRow]] = []
    lines: list[str] = []  # the file's lines, read when a record spans several
    for line, last, cells in _records(reader, name, problems):
        if last > line:
            lines = lines or list(io.StringIO(text, newline=""))
            swallowed = _swallowed_rows(cells, columns, lines, line, last, name)
            if swallowed is not None:
                problems.append(swallowed)
                continue
        if len(cells) != len(columns):
            problems.append(
                Problem(
                    name, line, None, f"has {len(cells)} cells but the header has {len(columns)}"
                )
            )
            continue
        record = {c: v for c, v, ok in zip(columns, cells, known, strict=True) if ok}
        try:
            row = CsvRow(**record)
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                cause = err.get("ctx", {}).get("error")
                problems.append(Problem(name, line, column, str(cause) if cause else err["msg"]))
            problems.extend(_check_row(_parse_loosely(record), line, name))
            continue
        problems.extend(_check_row(row, line, name))
        rows.append((line, row))

    if not rows and not problems:
        problems.append(Problem(name, 2, None, "no data rows after the header"))
    batch = _assemble(rows, name, problems)
    if problems:
        raise _failed(problems)
    return batch


_NUL = (
    "holds a NUL character (byte 00), which CSV text never does: a file saved as "
    "'Unicode Text' (UTF-16) looks like this; save it as 'CSV UTF-8 (comma delimited)'"
)
_QUOTES = 'close it, or write a quote that is part of a cell as two ("")'


def _line_of(text: str, index: int) -> int:
    """The line (from 1) of the character at `index`, lines ending as csv ends them."""
    before = text[:index]
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1


def _unreadable(name: str, line: int, last: int, exc: csv.Error) -> Problem:
    """The csv module's complaint about the record that starts on `line` (and was read
    up to line `last`), in words that say how to fix the file."""
    reason = str(exc)
    if "field larger than field limit" in reason:
        limit = csv.field_size_limit()
        message = (
            f"a cell is longer than {limit:,} characters: shorten it (a quote opened "
            f"on this line and never closed makes one cell of the lines after it)"
        )
    elif "unexpected end of data" in reason:
        message = (
            'a quote (") opens a cell on this line and is never closed, so every line '
            f"after it would be part of that cell: {_QUOTES}"
        )
    elif last > line:
        message = (
            f'a quote (") opens a cell on this line that runs on to line {last}, '
            f"where it ends in the middle of a cell: {_QUOTES}"
        )
    else:
        message = (
            'a quoted cell goes on after its closing quote ("): put the whole cell '
            'in quotes and write a quote that is part of it as two ("")'
        )
    return Problem(name, line, None, message)


def _swallowed_rows(
    cells: list[str], columns: list[str], lines: list[str], line: int, last: int, name: str
) -> Problem | None:
    """A quoted cell may hold line breaks (a title of two lines). When a line it runs
    on to reads as a whole row by itself, its closing quote is most likely missing and
    the rows after it would be lost in it. `lines` are the file's lines."""
    for number in range(line + 1, last + 1):
        if len(next(csv.reader([lines[number - 1]]), [])) >= len(columns):
            column = next(
                (c for c, v in zip(columns, cells, strict=False) if "\n" in v or "\r" in v), None
            )
            return Problem(
                name,
                line,
                column or None,
                f"the quoted cell runs on to line {last} and holds what looks like "
                f"a whole row (line {number}): its quote is probably not closed "
                f"on line {line}: {_QUOTES}",
            )
    return None


def _records(
    reader: Any, name: str, problems: list[Problem]
) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (line where the record starts, line where it ends, cells), skipping blank
    lines; a record the csv module cannot read becomes a problem, and reading goes on
    after it."""
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(_unreadable(name, line, reader.line_num, exc))
            if reader.line_num < line:  # nothing was consumed: do not ask again
                return
        else:
            if any(cell.strip() for cell in cells):
                yield line, reader.line_num, cells
        line = reader.line_num + 1


def _check_header(columns: list[str], name: str) -> list[Problem]:
    problems = []
    if len(columns) == 1 and ";" in columns[0]:
        return [
            Problem(name, 1, None, "the columns are separated by ';': save the file with commas")
        ]
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(Problem(name, 1, column, "appears twice in the header"))
        seen.add(column)
        if column not in ALL_COLUMNS:
            problems.append(
                Problem(
                    name,
                    1,
                    column or "(blank)",
                    "unknown column" + _did_you_mean(column, ALL_COLUMNS),
                )
            )
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(Problem(name, 1, column, _MISSING))
    return problems


def _parse_loosely(record: dict[str, str]) -> dict[str, Any]:
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


def _check_row(row: CsvRow | dict[str, Any], line: int, name: str) -> list[Problem]:
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


def _assemble(rows: list[tuple[int, CsvRow]], name: str, problems: list[Problem]) -> ImportBatch:
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


def _failed(problems: list[Problem]) -> ImportFileError:
    count = len(problems)
    source = problems[0].file if problems else "the file"
    return ImportFileError(
        problems,
        summary=f"{count} problem{'s' if count != 1 else ''} found; nothing from {source} "
        "was imported.",
    )
