"""Workbooks as rows of cells, read by calamine: the values the readers expect, the
sheet's own row and column numbers, and the caps that stop a zip bomb."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from bot.ingest import workbook
from bot.ingest.workbook import WorkbookError, open_workbook
from tests.workbooks import write_xls, write_xlsx


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_cells_come_as_the_readers_expect_them(tmp_path: Path, kind: str):
    rows = [
        [None, None, None],
        [None, None, "Date", "Count", "Share", "Flag", None, "Note"],
        [None, None, datetime(2026, 3, 1), 3, 2.5, True, None, "  "],
        [None, None, datetime(2026, 3, 2, 14, 30), 12345678901, 0.0],
    ]
    write = write_xlsx if kind == "xlsx" else write_xls
    path = write(tmp_path / "book.bin", {"Sheet": rows})
    sheet = open_workbook(path, kind).sheets[0]
    # xlwt writes a date without a date format: a serial day number, which cells.py reads.
    first, second = (
        (datetime(2026, 3, 1), datetime(2026, 3, 2, 14, 30))
        if kind == "xlsx"
        else (46082, 46083.6041666666)
    )
    # From A1, empty cells None, trailing blanks trimmed, whole numbers int, dates datetime.
    assert sheet.rows[:3] == [
        (),
        (None, None, "Date", "Count", "Share", "Flag", None, "Note"),
        (None, None, first, 3, 2.5, True),
    ]
    assert sheet.rows[3][3:] == (12345678901, 0)
    if kind == "xlsx":
        assert sheet.rows[3][2] == second
    else:
        assert sheet.rows[3][2] == pytest.approx(second)
    assert sheet.cell(2, 3) == 3
    assert isinstance(sheet.cell(2, 3), int)


def test_the_created_time_is_read_from_an_xlsx(tmp_path: Path):
    path = write_xlsx(tmp_path / "book.xlsx", {"Sheet": [["a"]]})
    assert open_workbook(path, "xlsx").created == datetime(2026, 3, 1, 8, 0, tzinfo=workbook.UTC)


def test_a_zip_that_unpacks_to_too_much_is_refused_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = write_xlsx(tmp_path / "book.xlsx", {"Sheet": [["a"] * 10] * 100})
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", unpacked - 1)
    with pytest.raises(WorkbookError) as info:
        open_workbook(path, "xlsx")
    assert str(info.value).startswith("unpacks to 0 MB; a LinkedIn export unpacks to far less")


def test_a_damaged_workbook_is_named(tmp_path: Path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(WorkbookError, match=r"looks like an \.xlsx workbook but cannot be read"):
        open_workbook(path, "xlsx")
    xls = tmp_path / "book.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(WorkbookError, match=r"looks like an \.xls workbook but cannot be read"):
        open_workbook(xls, "xls")
