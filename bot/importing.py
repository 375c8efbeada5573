"""One file imported into the store: what `narrator import` does for each file.

Reading (ingest) comes after the question the store can answer at once: whether
these very bytes, read with these options, were imported when the data stood as it
stands now. If so, importing them again would change nothing, and the summary is
given without reading the file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.ingest.files import file_digest, read_file
from bot.store import ImportTotals, Store, WriteSummary


def import_file(
    store: Store,
    path: Path,
    *,
    account: str | None = None,
    kind: str | None = None,
    observed_at: datetime | None = None,
    timezone: str | None = None,
    default_zone: str | None = None,
    on_step: Callable[[str], object] | None = None,
    waiting: Callable[[], object] | None = None,
) -> tuple[ImportTotals, WriteSummary]:
    """Import one file, all or nothing; raise a NarratorError saying what is wrong.

    timezone: the zone the file's accounts get (checked by the caller); default_zone:
    the one an account without a zone gets (NARRATOR_TIMEZONE)."""
    options = {"account": account, "kind": kind, "observed_at": observed_at}
    step = on_step or (lambda _: None)
    digest = file_digest(path, **options, timezone=timezone)
    known = store.imported_before(digest) if digest else None
    if known is not None:
        return known, known.unchanged()
    step(f"Reading {path.name}")
    batch = read_file(
        path, **options, on_rows=lambda rows: step(f"Reading {path.name}: {rows:,} rows")
    )
    step(f"Writing {path.name}")
    if digest is not None and file_digest(path, **options, timezone=timezone) != digest:
        digest = None  # the file changed while it was read: record nothing
    written = store.write(
        batch, waiting=waiting, digest=digest, timezone=timezone, default_zone=default_zone
    )
    return ImportTotals.of(batch), written
