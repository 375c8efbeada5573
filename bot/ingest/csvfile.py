"""Read the interchange CSV (docs/data-format.md) into an ImportBatch.

Every problem in the file is collected and reported at once as
`file:line: column: problem`; a file with any problem yields no batch at all.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gc
import io
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.errors import ImportFileError, Problem
from bot.ingest import csvsniff
from bot.ingest.csvcolumns import Rows, check_chunk, fold
from bot.ingest.csvrow import _did_you_mean
from bot.model import COUNTERS, ImportBatch
from bot.shipped import guide

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


#: The largest file one import reads. Rows are read in chunks and kept as columns,
#: so memory grows with the rows kept, not the text: a 2,000,000-row file (~340 MB)
#: peaks under 500 MB (benchmarks/import.py).
MAX_FILE_BYTES = 512 * 1024 * 1024
#: More header columns than any interchange file has (it has 21).
MAX_COLUMNS = 100
#: Records validated at a time.
CHUNK_ROWS = 20_000


def read_csv(path: str | Path, *, on_rows: Callable[[int], object] | None = None) -> ImportBatch:
    """Validate the whole file; return its batch, or raise ImportFileError listing every problem.

    The file may be UTF-8 or Windows-1252, separated by commas or semicolons, as
    spreadsheets save it (csvsniff.py); the batch's notes say what was found.
    `on_rows` is told how many rows have been read, chunk by chunk."""
    name = str(path)
    try:
        handle = _open_regular_file(path)
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
    with handle:
        try:
            encoding, nul = csvsniff.encoding_of(handle)
        except csvsniff.NotText as exc:
            handle.seek(0)
            line = _line_of_bytes(handle.read(exc.offset))
            raise _failed(
                [
                    Problem(
                        name,
                        line,
                        None,
                        f"is not UTF-8 text, nor Windows-1252 (byte {exc.byte:#04x} reads as "
                        "neither): save it as 'CSV UTF-8 (comma delimited)'",
                    )
                ]
            ) from None
        handle.seek(0)
        if nul is not None:
            raise _failed([Problem(name, _line_of_bytes(handle.read(nul)), None, _NUL)])

    def text() -> TextIO:
        return open(path, encoding=encoding, newline="")  # closed by _parse

    def lines() -> list[str]:
        with text() as again:
            return list(again)

    return _parse(text, name, lines, encoding=encoding, on_rows=on_rows)


def _line_of_bytes(data: bytes) -> int:
    """The line (from 1) at the end of `data`, lines ending as csv ends them."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1


class _Refused(Exception):
    """A path that is not a file to read whole (its message says what it is instead)."""


def _open_regular_file(path: str | Path) -> BinaryIO:
    """A regular file, opened for reading. A FIFO, a device or a socket would block or
    never end: it is opened without waiting and refused, as is a file over MAX_FILE_BYTES."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    handle = os.fdopen(fd, "rb")
    try:
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
    except BaseException:
        handle.close()
        raise
    return handle


def parse_csv(text: str, name: str = "<csv>") -> ImportBatch:
    """Validate CSV text; see read_csv."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as read_csv drops it
    nul = text.find("\x00")
    if nul >= 0:
        raise _failed([Problem(name, _line_of(text, nul), None, _NUL)])
    return _parse(
        lambda: io.StringIO(text, newline=""), name, lambda: list(io.StringIO(text, newline=""))
    )


class _NeedsAllColumns(Exception):
    """The lean read found a problem or a contradiction: read again, keeping every cell."""


def _parse(
    text: Callable[[], TextIO],
    name: str,
    file_lines: Callable[[], list[str]],
    *,
    encoding: str = "utf-8-sig",
    on_rows: Callable[[int], object] | None = None,
) -> ImportBatch:
    """Validate the text `text()` opens (`file_lines` gives its lines again, when a
    record spanning several must be looked at).

    A file is first read keeping, for each row, only what a snapshot needs, and what
    its post and account say once per chunk (memory for 2,000,000 rows stays under
    500 MB). A file with a problem is read a second time keeping every cell, so the
    row-by-row fold can word each contradiction with its lines."""
    for lean in (True, False):
        try:
            with contextlib.closing(text()) as stream:
                return _parse_once(
                    stream, name, file_lines, encoding=encoding, on_rows=on_rows, lean=lean
                )
        except _NeedsAllColumns:
            continue
    raise AssertionError("a read keeping every cell never asks for another")  # pragma: no cover


def _parse_once(
    stream: Iterable[str],
    name: str,
    file_lines: Callable[[], list[str]],
    *,
    encoding: str,
    on_rows: Callable[[int], object] | None,
    lean: bool,
) -> ImportBatch:
    # Lines end at \n, \r\n or \r only: str.splitlines would also end them at
    # characters a title may hold (U+2028, form feed), splitting a row in two.
    lines_in = iter(stream)
    first = next(lines_in, "")
    delimiter = csvsniff.delimiter_of(first)
    reader = csv.reader(itertools.chain([first], lines_in), strict=True, delimiter=delimiter)
    problems: list[Problem] = []
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
    if not set(columns) & set(ALL_COLUMNS):
        # Not a posts file at all (a README, another export): one line, not one per column.
        raise _failed(
            [
                Problem(
                    name,
                    1,
                    None,
                    "this is not a posts file: its first line names none of the columns "
                    f"one has ({', '.join(REQUIRED_COLUMNS)}, ...); {guide('data-format.md')} "
                    "says what it needs, or import one of LinkedIn's own exports",
                )
            ]
        )
    problems.extend(_check_header(columns, name))
    if any(p.message == _MISSING for p in problems) or any(p.column is None for p in problems):
        raise _failed(problems)

    with _cycles_paused():
        return _read_rows(
            reader, name, columns, problems, file_lines, delimiter, encoding, on_rows, lean
        )


@contextlib.contextmanager
def _cycles_paused() -> Iterator[None]:
    """Pause the cycle collector while rows are read: every row is a new list of new
    strings, which sets it off again and again to find no cycle (a fifth of the time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _read_rows(
    reader: Any,
    name: str,
    columns: list[str],
    problems: list[Problem],
    file_lines: Callable[[], list[str]],
    delimiter: str,
    encoding: str,
    on_rows: Callable[[int], object] | None,
    lean: bool,
) -> ImportBatch:
    good = Rows(lean=lean)
    forms: set[str] = set()
    spreadsheet = delimiter == ";"
    row_problems: list[Problem] = []
    lines: list[str] = []  # the file's lines, read when a record spans several
    chunk_lines: list[int] = []
    chunk: list[list[str]] = []
    read = 0

    def check() -> None:
        nonlocal read
        row_problems.extend(
            check_chunk(
                columns, chunk_lines, chunk, name, spreadsheet=spreadsheet, good=good, forms=forms
            )
        )
        read += len(chunk)
        chunk_lines.clear()
        chunk.clear()
        if on_rows is not None:
            on_rows(read)

    def unusual(line: int, last: int, cells: list[str]) -> None:
        """A record over several lines, or with a cell count the header does not have."""
        nonlocal lines
        if last > line:
            lines = lines or file_lines()
            swallowed = _swallowed_rows(cells, columns, lines, line, last, name, delimiter)
            if swallowed is not None:
                row_problems.append(swallowed)
                return
        if len(cells) != len(columns):
            row_problems.append(
                Problem(
                    name, line, None, f"has {len(cells)} cells but the header has {len(columns)}"
                )
            )
            return
        chunk_lines.append(line)
        chunk.append(cells)

    # The csv module's own loop, the usual record handled inline: a generator per
    # record would cost as much as reading it. Blank lines are skipped (but counted);
    # a record the csv module cannot read becomes a problem, and reading goes on.
    width = len(columns)
    line = reader.line_num + 1
    while True:
        try:
            for cells in reader:
                last = reader.line_num
                if last == line and len(cells) == width and cells[0].strip():
                    chunk_lines.append(line)
                    chunk.append(cells)
                elif cells and any(cell.strip() for cell in cells):
                    unusual(line, last, cells)
                if len(chunk) >= CHUNK_ROWS:
                    check()
                line = last + 1
        except csv.Error as exc:
            row_problems.append(_unreadable(name, line, reader.line_num, exc))
            if reader.line_num >= line:  # else nothing was consumed: do not ask again
                line = reader.line_num + 1
                continue
        break
    if chunk:
        check()

    # Each record's problems are in its column order; records in line order.
    problems.extend(sorted(row_problems, key=lambda p: p.line or 0))
    if not len(good) and not problems:
        problems.append(Problem(name, 2, None, "no data rows after the header"))
    if lean and problems:
        raise _NeedsAllColumns
    batch = fold(good, name, problems)
    if batch is None:
        raise _NeedsAllColumns
    if problems:
        raise _failed(problems)
    notes = _notes(encoding, delimiter, forms)
    return dataclasses.replace(batch, notes=notes) if notes else batch


def _notes(encoding: str, delimiter: str, forms: set[str]) -> tuple[str, ...]:
    """What the reader found that a spreadsheet wrote, for the import summary."""
    found = []
    if delimiter == ";":
        found.append("columns separated by ';'")
    if "thousands" in forms:
        found.append("thousands written apart (1 200 or 1.200)")
    if "decimal" in forms:
        found.append("whole numbers with a decimal comma (1200,0)")
    if encoding == "cp1252":
        found.append("Windows-1252 text, not UTF-8")
    if not found:
        return ()
    return (f"Read as a spreadsheet saved it: {', '.join(found)}.",)


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
    cells: list[str],
    columns: list[str],
    lines: list[str],
    line: int,
    last: int,
    name: str,
    delimiter: str = ",",
) -> Problem | None:
    """A quoted cell may hold line breaks (a title of two lines). When a line it runs
    on to reads as a whole row by itself, its closing quote is most likely missing and
    the rows after it would be lost in it. `lines` are the file's lines."""
    for number in range(line + 1, last + 1):
        if len(next(csv.reader([lines[number - 1]], delimiter=delimiter), [])) >= len(columns):
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


def _check_header(columns: list[str], name: str) -> list[Problem]:
    problems = []
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


def _failed(problems: list[Problem]) -> ImportFileError:
    count = len(problems)
    source = problems[0].file if problems else "the file"
    return ImportFileError(
        problems,
        summary=f"{count} problem{'s' if count != 1 else ''} found; nothing from {source} "
        "was imported.",
    )
