"""What a CSV file's bytes are, as spreadsheets save them: its encoding, its column
separator and how it writes numbers.

Excel saves "CSV" in the machine's own conventions: where the decimal mark is a
comma (France, Germany, Spain, Brazil...) its columns are separated by `;`, its
numbers may carry a decimal comma (`1200,0`) and a thousands separator (`1 200`,
`1.200`), and unless "CSV UTF-8" is picked the text is Windows-1252. Each is told
from the file itself and said in the import summary, so nobody has to resave.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

#: Bytes read at a time while checking the encoding: the file is never held whole.
BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Dialect:
    """How one file is written; the defaults are the interchange CSV's own."""

    encoding: str = "utf-8-sig"
    delimiter: str = ","

    @property
    def spreadsheet(self) -> bool:
        """Written the way a spreadsheet writes numbers where the decimal mark is a comma."""
        return self.delimiter == ";"


class NotText(ValueError):
    """Bytes that no accepted encoding reads: `offset` is where reading stopped."""

    def __init__(self, offset: int, byte: int) -> None:
        super().__init__(offset, byte)
        self.offset = offset
        self.byte = byte


def blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(BLOCK):
        yield block


def encoding_of(handle: BinaryIO) -> tuple[str, int | None]:
    """('utf-8-sig' when the bytes are UTF-8, with a byte-order mark or not, else
    'cp1252' when Windows-1252 reads them; where the first NUL byte is, if any).
    Raise NotText when neither reads them. Reads the handle to its end."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    still_utf8 = True
    unreadable: NotText | None = None  # the first byte Windows-1252 has no character for
    nul: int | None = None
    for block in blocks(handle):
        if nul is None and (at := block.find(b"\x00")) >= 0:
            nul = offset + at
        if still_utf8:
            try:
                utf8.decode(block)
            except UnicodeDecodeError:
                still_utf8 = False
        if unreadable is None:
            try:
                block.decode("cp1252")
            except UnicodeDecodeError as exc:
                unreadable = NotText(offset + exc.start, block[exc.start])
        if not still_utf8 and unreadable is not None:
            raise unreadable
        offset += len(block)
    if still_utf8:
        try:
            utf8.decode(b"", final=True)
            return "utf-8-sig", nul
        except UnicodeDecodeError:
            pass  # the file ends in the middle of a character
    if unreadable is not None:
        raise unreadable
    return "cp1252", nul


def delimiter_of(header_line: str) -> str:
    """';' when the header reads as one column with ',' and as several with ';'
    (what Excel writes where the decimal mark is a comma), else ','."""
    with_commas = next(csv.reader(io.StringIO(header_line)), [])
    if len(with_commas) == 1 and ";" in with_commas[0]:
        with_semicolons = next(csv.reader(io.StringIO(header_line), delimiter=";"), [])
        if len(with_semicolons) > 1:
            return ";"
    return ","


#: A whole number as a comma-decimal spreadsheet writes it: groups of three digits
#: after a space, a no-break space, a narrow no-break space or a dot (`1 200`, `1.200`),
#: then an optional decimal part of zeros (`1200,0`, `1 200,00`).
_GROUPED = re.compile(r"([0-9]{1,3}(?:([ \u00a0\u202f.])[0-9]{3})(?:\2[0-9]{3})*|[0-9]+)(,0+)?")


def spreadsheet_number(text: str) -> tuple[str, tuple[str, ...]]:
    """(digits, what was read: 'thousands', 'decimal' or both) for a count written with
    thousands separators or a decimal comma; (text, ()) when written some other way."""
    match = _GROUPED.fullmatch(text.strip())
    if match is None or (match[2] is None and match[3] is None):
        return text, ()
    digits = re.sub(r"[ \u00a0\u202f.]", "", match[1])
    forms = ("thousands",) * (match[2] is not None) + ("decimal",) * (match[3] is not None)
    return digits, forms
