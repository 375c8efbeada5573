"""Open a spreadsheet file as plain rows of cells, whatever wrote it.

`.xlsx` (LinkedIn writes them with Apache POI; people re-save them in Excel) and
`.xls` (the Page export's older binary format) are both read with calamine, a Rust
reader (python-calamine): a 50,000-row sheet in well under a second, where openpyxl
took half a minute. The kind is told from the file's first bytes, never its name.
Sizes are bounded: a workbook is a zip that can unpack to far more than it weighs,
so the zip's unpacked size is capped before it is opened, and rows and columns per
sheet as they are read.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

#: Caps on what one workbook may hold. LinkedIn's exports are far smaller (a year of
#: daily rows is 366; a Page's posts a few thousand), so these only stop abuse.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 64
#: What an .xlsx may unpack to: a year of a Page's posts unpacks to a few MB.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[tuple[Any, ...]]

    def cell(self, row: int, column: int) -> Any:
        """The value at 0-based (row, column), None past the edges."""
        if row >= len(self.rows):
            return None
        cells = self.rows[row]
        return cells[column] if column < len(cells) else None


@dataclass(frozen=True)
class Workbook:
    sheets: tuple[Sheet, ...]
    #: When the file was first written (an .xlsx's docProps; Excel keeps it on re-save).
    created: datetime | None = None


class WorkbookError(ValueError):
    """The file is not a readable workbook; the message says what was found."""


def sniff(head: bytes) -> str:
    """'xlsx', 'xls' or 'text' from a file's first bytes."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    return "text"


def open_workbook(path: Path, kind: str) -> Workbook:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise WorkbookError(
            f"is {size / 1e6:.0f} MB; a LinkedIn export is far smaller "
            f"(the most read is {MAX_FILE_BYTES // (1024 * 1024)} MB)"
        )
    if kind == "xlsx":
        _check_unpacked_size(path)
    sheets = _read(path, kind)
    return Workbook(sheets, _created(path) if kind == "xlsx" else None)


def _check_unpacked_size(path: Path) -> None:
    """Refuse a zip whose parts unpack to more than MAX_UNPACKED_BYTES, before any is
    unpacked (the sizes are in the zip's directory; a part that lies about its size
    fails its CRC check when read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"looks like an .xlsx workbook but cannot be read ({exc})") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookError(
            f"unpacks to {unpacked / 1e6:,.0f} MB; a LinkedIn export unpacks to far less "
            f"(the most read is {MAX_UNPACKED_BYTES // (1024 * 1024)} MB)"
        )


def _read(path: Path, kind: str) -> tuple[Sheet, ...]:
    import python_calamine

    try:
        # A file object: calamine would tell the format from a path's name, and the
        # kind was told from the content.
        with open(path, "rb") as handle:
            book = python_calamine.CalamineWorkbook.from_filelike(handle)
            sheets = []
            for name in book.sheet_names:
                # From A1, as the sheet numbers its rows and columns (messages cite them).
                grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                if len(grid) > MAX_ROWS:
                    raise WorkbookError(
                        f"sheet {name} has more than {MAX_ROWS:,} rows; export a shorter date range"
                    )
                # Text and whole numbers, nearly every cell, converted inline: a call
                # per cell would cost a third of the read.
                rows = [
                    tuple(
                        None
                        if v == ""
                        else v
                        if v.__class__ is str
                        else int(v)
                        if v.__class__ is float and v.is_integer() and abs(v) < 2**63
                        else _cell(v)
                        for v in row[:MAX_COLUMNS]
                    )
                    for row in grid
                ]
                sheets.append(Sheet(name, _trim(rows)))
    except WorkbookError:
        raise
    except (python_calamine.CalamineError, OSError, ValueError, TypeError) as exc:
        what = ".xlsx" if kind == "xlsx" else ".xls"
        raise WorkbookError(f"looks like an {what} workbook but cannot be read ({exc})") from None
    return tuple(sheets)


def _cell(value: Any) -> Any:
    """A cell as the readers take it: None when empty, whole numbers as int (calamine
    gives every .xlsx number as a float), dates as datetime."""
    if value == "" or value is None:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


_CREATED = re.compile(rb"<dcterms:created[^>]*>\s*([0-9T:.\-]+Z?)\s*</dcterms:created>")


def _created(path: Path) -> datetime | None:
    """docProps' creation time, read from the file itself (a file re-saved without one
    must not be given 'now', which would make every import a new moment)."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > 64 * 1024:
                return None
            match = _CREATED.search(archive.read(info))
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    if match is None:
        return None
    try:
        moment = datetime.fromisoformat(match[1].decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _trim(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Drop trailing empty cells of each row and trailing empty rows (formatting left by
    Excel), so that 'empty' means the same in every file."""
    trimmed = []
    for row in rows:
        cells = list(row)
        while cells and (
            cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())
        ):
            cells.pop()
        trimmed.append(tuple(cells))
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed
