"""One front door for every file a team has: the kind is told from what is inside.

A workbook is LinkedIn's creator export, its single-post export or a Company
Page's content export, known by its sheets and labels (never by its file name, which
people rename); anything else is read as the interchange CSV. An export does not say
whose it is, so the caller names the account; the CSV names its own on every row.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.errors import ImportFileError, Problem
from bot.ingest.csvfile import read_csv
from bot.ingest.workbook import WorkbookError, open_workbook, sniff
from bot.model import ImportBatch

KNOWN_KINDS = (
    "LinkedIn's creator analytics export (sheets DISCOVERY, ENGAGEMENT, TOP POSTS, "
    "FOLLOWERS), its single-post export (PERFORMANCE), a Company Page content export "
    "(Metrics, All posts), or the interchange CSV (docs/data-format.md)"
)
MAX_ID_LENGTH = 100


#: Changed whenever a reader would read the same bytes differently, so that a record
#: of an import made by an older reader is not taken for this one's.
READER_VERSION = "issue-11"


def file_digest(
    path: str | Path,
    *,
    account: str | None = None,
    kind: str | None = None,
    observed_at: datetime | None = None,
    timezone: str | None = None,
) -> str | None:
    """A digest of the file's bytes and of the options it is read with (None for what
    is not a regular file, which the reader refuses anyway, never blocking on a pipe)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_DIGEST_BYTES:
            return None
        options = (READER_VERSION, account, kind, observed_at and observed_at.isoformat())
        # A zone set with the import is part of what importing the file does.
        digest = hashlib.sha256(repr(options + ((timezone,) if timezone else ())).encode())
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


#: Files larger than any reader accepts are not worth a digest.
MAX_DIGEST_BYTES = 512 * 1024 * 1024


#: First bytes of files people pick by mistake -> what to call them.
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)


def _other_kind(head: bytes, path: Path) -> str | None:
    """What a file is when it is plainly not a workbook or a CSV, else None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if sniff(head) == "xlsx":
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None  # the workbook reader says what is wrong with it
        if "xl/workbook.xml" not in names:
            return (
                "a zip archive, not a workbook (LinkedIn's data download is one): unzip it "
                "and import the analytics files inside"
            )
    return None


def read_file(
    path: str | Path,
    *,
    account: str | None = None,
    kind: str | None = None,
    observed_at: datetime | None = None,
    on_rows: Callable[[int], object] | None = None,
) -> ImportBatch:
    """Read any accepted file into a batch, or raise ImportFileError saying what is wrong.
    `on_rows` is told how many rows of a CSV have been read, chunk by chunk."""
    name = str(path)
    file = Path(path)

    def refuse(message: str) -> ImportFileError:
        return ImportFileError(
            [Problem(name, None, None, message)],
            summary=f"1 problem found; nothing from {name} was imported.",
        )

    try:
        info = file.stat()
        if stat.S_ISDIR(info.st_mode):
            raise refuse("is a folder: name the files in it")
        if not stat.S_ISREG(info.st_mode):
            # Opening a pipe would wait for a writer for ever.
            raise refuse("is not a regular file (a pipe or a device?): save the data to a file")
        with open(file, "rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise refuse("no such file") from None
    except OSError as exc:
        raise refuse(f"cannot be read: {exc.strerror}") from None
    found = sniff(head)
    other = _other_kind(head, file)
    if other is not None:
        raise refuse(f"is {other}, which is none of the kinds known: {KNOWN_KINDS}")
    if found == "text":
        if account is not None or observed_at is not None:
            raise refuse(
                "is an interchange CSV, which names the account and the moment on each row: "
                "import it without --account and --observed-at"
            )
        return read_csv(file, on_rows=on_rows)

    if account is None:
        raise refuse(
            "is a LinkedIn export, which does not say whose it is: add --account ID "
            "(a one-word name for the account, created if new)"
        )
    if not account or any(ch.isspace() for ch in account) or len(account) > MAX_ID_LENGTH:
        raise refuse(
            f"--account '{account[:40]}' must be one word of at most {MAX_ID_LENGTH} characters"
        )
    try:
        book = open_workbook(file, found)
    except WorkbookError as exc:
        raise refuse(str(exc)) from None

    from bot.ingest.creator import is_creator, read_creator
    from bot.ingest.page import page_sheets, read_page
    from bot.ingest.single_post import performance_sheet, read_single_post

    options = {"account": account, "kind": kind, "observed_at": observed_at}
    if performance_sheet(book) is not None:
        return read_single_post(book, name, **options)  # type: ignore[arg-type]
    if is_creator(book):
        return read_creator(book, name, **options)  # type: ignore[arg-type]
    metrics, posts = page_sheets(book)
    if metrics is not None or posts is not None:
        return read_page(book, name, **options)  # type: ignore[arg-type]
    sheets = ", ".join(s.name for s in book.sheets) or "none"
    raise refuse(
        f"is a workbook with sheets {sheets}, which is none of the kinds known: {KNOWN_KINDS}"
    )
