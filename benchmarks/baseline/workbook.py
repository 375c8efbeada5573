"""Open a spreadsheet file as plain rows of cells, whatever wrote it.

`.xlsx` (LinkedIn writes them with Apache POI; people re-save them in Excel) is read
with openpyxl in read-only mode, `.xls` (the Page export's older binary format) with
xlrd. The kind is told from the file's first bytes, never its name. Sizes are
bounded: a workbook is a zip that can unpack to far more than it weighs, so rows and
columns per sheet are capped as they are read.
"""

from __future__ import annotations

import contextlib
import re
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Caps on what one workbook may hold. LinkedIn's exports are far smaller (a year of
#: daily rows is 366; a Page's posts a few thousand), so these only stop abuse.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 64

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
        return _read_xlsx(path)
    return _read_xls(path)


def _read_xlsx(path: Path) -> Workbook:
    import openpyxl

    try:
        with warnings.catch_warnings(), contextlib.ExitStack() as stack:
            # LinkedIn's files have no default style; openpyxl says so on every open.
            warnings.simplefilter("ignore")
            # A file object: openpyxl refuses a path whose name does not end in .xlsx,
            # and the kind was told from the content, not the name.
            handle = stack.enter_context(open(path, "rb"))
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                sheets = []
                for ws in book.worksheets:
                    # Apache POI and hand-edited files may carry a wrong used range.
                    ws.reset_dimensions()
                    rows = []
                    for index, row in enumerate(
                        ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
                    ):
                        if index >= MAX_ROWS:
                            raise WorkbookError(
                                f"sheet {ws.title} has more than {MAX_ROWS:,} rows; "
                                "export a shorter date range"
                            )
                        rows.append(tuple(row))
                    sheets.append(Sheet(ws.title, _trim(rows)))
            finally:
                book.close()
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise WorkbookError(f"looks like an .xlsx workbook but cannot be read ({exc})") from None
    return Workbook(tuple(sheets), _created(path))


_CREATED = re.compile(rb"<dcterms:created[^>]*>\s*([0-9T:.\-]+Z?)\s*</dcterms:created>")


def _created(path: Path) -> datetime | None:
    """docProps' creation time, read from the file itself (openpyxl puts 'now' in
    its place when a file has none, which would make every import a new moment)."""
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


def _read_xls(path: Path) -> Workbook:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.XLRDError as exc:
        raise WorkbookError(f"looks like an .xls workbook but cannot be read ({exc})") from None
    try:
        sheets = []
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            if ws.nrows > MAX_ROWS:
                raise WorkbookError(
                    f"sheet {ws.name} has more than {MAX_ROWS:,} rows; export a shorter date range"
                )
            rows = []
            for r in range(ws.nrows):
                cells = []
                for c in range(min(ws.ncols, MAX_COLUMNS)):
                    cell = ws.cell(r, c)
                    value: Any = cell.value
                    if cell.ctype == xlrd.XL_CELL_EMPTY or cell.ctype == xlrd.XL_CELL_BLANK:
                        value = None
                    elif cell.ctype == xlrd.XL_CELL_DATE:
                        value = datetime(*xlrd.xldate_as_tuple(value, book.datemode))
                    elif cell.ctype == xlrd.XL_CELL_NUMBER and float(value).is_integer():
                        value = int(value)
                    elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_BOOLEAN):
                        value = None if cell.ctype == xlrd.XL_CELL_ERROR else bool(value)
                    cells.append(value)
                rows.append(tuple(cells))
            sheets.append(Sheet(ws.name, _trim(rows)))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return Workbook(tuple(sheets))


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
