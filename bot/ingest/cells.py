"""Read the cells of LinkedIn's export workbooks: counts, shares and dates as people's
spreadsheets really hold them.

Exports store numbers as numbers or as text (`"1,316"`, `"12 345"`), shares as
fractions (0.31) or text (`"2%"`, `"< 1%"`), and dates as text in the exporting
person's order (`1/15/2025`, `15/01/2025`, `Feb 25, 2026`) or, once Excel has
re-saved the file, as real dates. Every reader here raises ValueError with the words
the user will read; the sheet readers add where.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

#: The largest count SQLite stores as an integer.
MAX_COUNT = 2**63 - 1

_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007'"), None)
_PLAIN = re.compile(r"[+-]?[0-9]+")
#: 1,316 / 1.316 / 12 345: groups of three after a separator, so never a decimal.
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:([,.])[0-9]{3})(?:\1[0-9]{3})*")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_MISSING = {"", "-", "–", "—", "n/a", "na", "none", "null"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _MISSING)


def count(value: Any, *, negative: bool = False) -> int | None:
    """A whole count, None when the cell is empty; negative only where asked for
    (LinkedIn corrects a day's engagements with a negative value)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if value != value or not value.is_integer():
            raise ValueError(f"{value} is not a whole number")
        number = int(value)
    else:
        text = str(value).strip().translate(_SPACES)
        if _PLAIN.fullmatch(text):
            number = int(text)
        elif _GROUPED.fullmatch(text):
            number = int(re.sub(r"[,.]", "", text))
        elif re.fullmatch(r"[+-]?[0-9]+[.,]0+", text):  # 1200.0 as text
            number = int(re.split(r"[.,]", text)[0])
        else:
            raise ValueError(f"'{str(value).strip()}' is not a whole number")
    if number < 0 and not negative:
        raise ValueError(f"{number} is negative; counts start at 0")
    if abs(number) > MAX_COUNT:
        raise ValueError(f"{number} is too large for a count")
    return number


@dataclass(frozen=True)
class Share:
    """A share of an audience as a fraction; `below` when LinkedIn only says '< 1%'."""

    value: float
    below: bool = False


def share(value: Any) -> Share | None:
    """0.31, '31%', '31,5 %' or '< 1%' as a fraction; None when empty."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a percentage")
    if isinstance(value, int | float):
        fraction = float(value)
    else:
        text = str(value).strip().translate(_SPACES)
        below = text.startswith("<")
        text = text.lstrip("<").strip()
        percent = text.endswith("%")
        text = text.rstrip("%")
        if not _DECIMAL.fullmatch(text):
            raise ValueError(f"'{str(value).strip()}' is not a percentage such as 12% or 0.12")
        fraction = float(text.replace(",", "."))
        if percent:
            fraction /= 100.0
        if below:
            return Share(fraction, below=True)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"'{value}' is not a share between 0% and 100%")
    return Share(fraction)


# -- dates --

_MONTHS = {
    # English, French, Spanish, Portuguese, German abbreviations, accents stripped
    "jan": 1,
    "janv": 1,
    "janvier": 1,
    "ene": 1,
    "january": 1,
    "jän": 1,
    "feb": 2,
    "fev": 2,
    "fevr": 2,
    "fevrier": 2,
    "february": 2,
    "fevereiro": 2,
    "mar": 3,
    "mars": 3,
    "march": 3,
    "marco": 3,
    "marz": 3,
    "apr": 4,
    "avr": 4,
    "avril": 4,
    "april": 4,
    "abr": 4,
    "may": 5,
    "mai": 5,
    "mayo": 5,
    "maio": 5,
    "jun": 6,
    "juin": 6,
    "june": 6,
    "junio": 6,
    "junho": 6,
    "jul": 7,
    "juil": 7,
    "juillet": 7,
    "july": 7,
    "julio": 7,
    "julho": 7,
    "aug": 8,
    "aout": 8,
    "august": 8,
    "ago": 8,
    "agosto": 8,
    "sep": 9,
    "sept": 9,
    "septembre": 9,
    "september": 9,
    "set": 9,
    "setembro": 9,
    "oct": 10,
    "octobre": 10,
    "october": 10,
    "out": 10,
    "outubro": 10,
    "okt": 10,
    "nov": 11,
    "novembre": 11,
    "november": 11,
    "novembro": 11,
    "dec": 12,
    "decembre": 12,
    "december": 12,
    "dic": 12,
    "dez": 12,
    "dezembro": 12,
}
_NUMERIC = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T].*)?")
_NAMED = re.compile(r"([a-z]+)\.? +([0-9]{1,2}),? +([0-9]{4})")  # Feb 25, 2026
_NAMED_DAY_FIRST = re.compile(r"([0-9]{1,2})\.? +([a-z]+)\.? +([0-9]{4})")  # 25 févr. 2026
_EXCEL_EPOCH = date(1899, 12, 30)


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )


@dataclass(frozen=True)
class DateColumn:
    """The dates of one column, read together so that day/month order is decided once."""

    dates: list[date | None]
    #: How 1/2/2025-style dates were read: "month first", "day first", or None when the
    #: column had none, or had only dates that read the same either way.
    order: str | None
    #: True when nothing in the column told the orders apart and month first was assumed.
    assumed: bool = False


def read_dates(values: list[Any], *, order: str | None = None) -> DateColumn:
    """Read a column of dates. Raises ValueError(index, message) for a cell that is no
    date. `order` forces 'month first' or 'day first' (a hint from elsewhere in the file)."""
    parsed: list[date | tuple[int, int, int] | None] = []
    month_first_ok = day_first_ok = True
    ambiguous = False
    # A column repeats a few hundred days over thousands of rows: each distinct cell is
    # read once (keyed by type too: 1, 1.0 and True are equal keys to a dict).
    seen: dict[tuple[type, Any], date | tuple[int, int, int] | None] = {}
    for index, value in enumerate(values):
        key = (value.__class__, value)
        try:
            item = seen[key]
        except KeyError:
            try:
                item = seen[key] = _date_or_pair(value)
            except ValueError as exc:
                raise DateError(index, str(exc)) from None
        except TypeError:  # an unhashable cell, which no reader gives
            item = _date_or_pair(value)
        if isinstance(item, tuple):
            a, b, _ = item
            month_first_ok &= a <= 12 and b <= 31
            day_first_ok &= b <= 12 and a <= 31
            ambiguous |= a != b and a <= 12 and b <= 12
        parsed.append(item)
    pairs = [p for p in parsed if isinstance(p, tuple)]
    assumed = False
    if not pairs:
        chosen = None
    elif order is not None:
        chosen = order
    elif month_first_ok and not day_first_ok:
        chosen = "month first"
    elif day_first_ok and not month_first_ok:
        chosen = "day first"
    elif not month_first_ok and not day_first_ok:
        bad = next(i for i, p in enumerate(parsed) if isinstance(p, tuple) and min(p[0], p[1]) > 12)
        raise DateError(bad, f"'{values[bad]}' is not a date in either day or month order")
    else:
        chosen, assumed = "month first", ambiguous
    dates: list[date | None] = []
    for index, item in enumerate(parsed):
        if isinstance(item, tuple):
            a, b, year = item
            month, day = (a, b) if chosen == "month first" else (b, a)
            try:
                dates.append(date(year, month, day))
            except ValueError:
                raise DateError(index, f"'{values[index]}' is not a date ({chosen})") from None
        else:
            dates.append(item)
    return DateColumn(dates, chosen, assumed)


class DateError(ValueError):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def _date_or_pair(value: Any) -> date | tuple[int, int, int] | None:
    """A date, or (first, second, year) for a numeric date whose order is not yet known."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial day number: what a re-saved sheet holds in a date column
        # whose cells lost their date format.
        if 20000 <= value <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"{value} is not a date")
    text = _fold(str(value).strip())
    if match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups()[:3])
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(f"'{value}' is not a date") from None
    if match := _NUMERIC.fullmatch(text):
        first, second, year_text = match.groups()
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return int(first), int(second), year
    named = _NAMED.fullmatch(text)
    day_first = _NAMED_DAY_FIRST.fullmatch(text)
    if named or day_first:
        if named:
            month_name, day_text, year_text = named.groups()
        else:
            assert day_first is not None
            day_text, month_name, year_text = day_first.groups()
        month = _MONTHS.get(month_name.rstrip("."))
        if month is None:
            raise ValueError(f"'{value}' has a month name this reader does not know")
        try:
            return date(int(year_text), month, int(day_text))
        except ValueError:
            raise ValueError(f"'{value}' is not a date") from None
    raise ValueError(f"'{value}' is not a date such as 1/15/2025 or Feb 25, 2026")


_TIME = re.compile(r"([0-9]{1,2})[:h.]([0-9]{2})(?::[0-9]{2})? *([ap]\.? ?m\.?)?")


def time_of_day(value: Any) -> tuple[int, int] | None:
    """'11:53 AM', '23:05' or '9h30' as (hour, minute); None when empty."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.hour, value.minute
    if hasattr(value, "hour") and hasattr(value, "minute"):
        return int(value.hour), int(value.minute)
    text = _fold(str(value).strip())
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError(f"'{value}' is not a time of day such as 11:53 AM")
    hour, minute, meridiem = int(match[1]), int(match[2]), match[3]
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{value}' is not a time of day")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"'{value}' is not a time of day")
    return hour, minute


def label(value: Any) -> str:
    """A cell as a label to match: lower case, accents and trailing colons dropped,
    spaces collapsed."""
    if value is None:
        return ""
    return " ".join(_fold(str(value)).replace("\u00a0", " ").split()).rstrip(":").strip()
