"""What the export readers share: located problems, finding labels and headers in a
sheet, the moment a file was observed, and the batch's final checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.errors import ImportFileError, Problem
from bot.ingest import cells
from bot.ingest.workbook import Sheet


def letter(column: int) -> str:
    """Excel's name of a 0-based column: 0 -> A, 26 -> AA."""
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass
class Issues:
    """The problems of one file, each at `file: SHEET: row N: column X: problem`."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, sheet: str | None, row: int | None, column: int | str | None, message: str
    ) -> None:
        """`row` and an int `column` are 0-based here and shown 1-based / as letters."""
        where = letter(column) if isinstance(column, int) else column
        self.problems.append(
            Problem(
                self.file,
                None if row is None else row + 1,
                where,
                message,
                sheet=sheet if sheet is not None else "",
            )
        )

    def raise_if_any(self) -> None:
        if self.problems:
            count = len(self.problems)
            raise ImportFileError(
                self.problems,
                summary=f"{count} problem{'s' if count != 1 else ''} found; nothing from "
                f"{self.file} was imported.",
            )


def find_sheet(sheets: Iterable[Sheet], names: set[str]) -> Sheet | None:
    for sheet in sheets:
        if cells.label(sheet.name) in names:
            return sheet
    return None


def find_header(
    sheet: Sheet, wanted: set[str], *, at_least: int = 2, within: int = 12
) -> int | None:
    """The first row (0-based, among the first `within`) holding `at_least` labels of
    `wanted`: headers move between versions, so they are looked for, not assumed."""
    for index, row in enumerate(sheet.rows[:within]):
        if sum(cells.label(c) in wanted for c in row) >= at_least:
            return index
    return None


def columns_of(row: tuple[Any, ...], vocabulary: dict[str, str]) -> dict[str, int]:
    """Header cells -> {field: column}, the first column of each field winning."""
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = vocabulary.get(cells.label(cell))
        if name is not None and name not in found:
            found[name] = index
    return found


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def window_end(day: date) -> datetime:
    """The moment a window ending on `day` is complete: the next midnight (UTC; the
    account's own zone arrives with time-zone support)."""
    return day_start(day) + timedelta(days=1)


def observation_moment(
    given: datetime | None, created: datetime | None, fallback: datetime | None
) -> tuple[datetime | None, str]:
    """When a file's figures were read, and how that was decided: `--observed-at`,
    else the time LinkedIn wrote the file (kept through Excel re-saves), else the end
    of the file's own window."""
    if given is not None:
        return given, "as given with --observed-at"
    if created is not None:
        return created, "the time LinkedIn wrote the file"
    if fallback is not None:
        return fallback, "the end of the export's date range"
    return None, ""
