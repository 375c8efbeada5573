"""The single-post export, `PostAnalytics_*.xlsx`: one post's figures at one moment.

PERFORMANCE is a list of label/value pairs whose rows move between versions, so
every value is found by its label. Who saw the post sits in TOP DEMOGRAPHICS, or in
older files below a `Category` header on the same sheet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.ingest import cells, labels
from bot.ingest.creator import read_demographics
from bot.ingest.sheets import Issues, find_sheet, observation_moment
from bot.ingest.urls import post_id
from bot.ingest.workbook import Sheet, Workbook
from bot.model import COUNTERS, Account, ImportBatch, Post, Snapshot, to_utc_text


def performance_sheet(book: Workbook) -> Sheet | None:
    """The sheet of label/value pairs, by name or by holding a post URL and impressions."""
    named = find_sheet(book.sheets, labels.PERFORMANCE)
    if named is not None:
        return named
    for sheet in book.sheets:
        found = {
            labels.PERFORMANCE_LABELS.get(cells.label(row[0])) for row in sheet.rows[:40] if row
        }
        if {"url", "impressions"} <= found:
            return sheet
    return None


def read_single_post(
    book: Workbook,
    name: str,
    *,
    account: str,
    kind: str | None,
    observed_at: datetime | None,
) -> ImportBatch:
    issues = Issues(name)
    sheet = performance_sheet(book)
    assert sheet is not None
    values: dict[str, tuple[int, Any]] = {}
    demographics_from: int | None = None
    for r, row in enumerate(sheet.rows):
        if not row:
            continue
        key = cells.label(row[0])
        if key in labels.DEMOGRAPHIC_HEADER:
            demographics_from = r
            break
        field = labels.PERFORMANCE_LABELS.get(key)
        if field is not None and field not in values:
            values[field] = (r, row[1] if len(row) > 1 else None)

    url_row, url = values.get("url", (None, None))
    pid = None if cells.is_blank(url) else post_id(str(url))
    if pid is None:
        issues.add(
            sheet.name,
            url_row,
            "B" if url_row is not None else None,
            "no post address with urn:li:activity, share or ugcPost was found; "
            "this export does not say which post it is",
        )
    published = None
    if "date" in values:
        r, raw = values["date"]
        try:
            day = cells.read_dates([raw]).dates[0]
        except cells.DateError as exc:
            issues.add(sheet.name, r, "B", exc.message)
            day = None
        hour_minute = None
        if "time" in values:
            tr, traw = values["time"]
            try:
                hour_minute = cells.time_of_day(traw)
            except ValueError as exc:
                issues.add(sheet.name, tr, "B", str(exc))
        if day is not None:
            hour, minute = hour_minute or (0, 0)
            published = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    else:
        issues.add(
            sheet.name,
            None,
            None,
            "no 'Post Date' row: the export does not say when the post was published",
        )

    counters: dict[str, int | None] = {}
    for field, (r, raw) in values.items():
        if field in COUNTERS:
            try:
                counters[field] = cells.count(raw)
            except ValueError as exc:
                issues.add(sheet.name, r, "B", f"{sheet.rows[r][0]}: {exc}")
    imp, reach = counters.get("impressions"), counters.get("members_reached")
    if imp is not None and reach is not None and reach > imp:
        issues.add(
            sheet.name,
            values["members_reached"][0],
            "B",
            f"{reach:,} members reached is more than the {imp:,} impressions; each member "
            "reached counts at least one impression. Export the post again",
        )

    moment, how = observation_moment(observed_at, book.created, None)
    if moment is None:
        issues.add(
            None,
            None,
            None,
            "nothing in the file says when it was exported; give the moment with --observed-at",
        )
    if moment is not None and published is not None and moment < published:
        issues.add(
            sheet.name,
            values["date"][0],
            "B",
            f"the post is dated after the file was "
            f"exported ({to_utc_text(moment)}); check --observed-at",
        )
    issues.raise_if_any()
    assert pid is not None
    assert published is not None
    assert moment is not None
    observed = to_utc_text(moment)

    people_sheet = find_sheet(book.sheets, labels.DEMOGRAPHICS | {"top demographics"})
    people = read_demographics(
        people_sheet or (sheet if demographics_from is not None else None),
        issues,
        account,
        pid,
        observed,
        start=None if people_sheet is not None else demographics_from,
    )
    issues.raise_if_any()
    notes = [f"Figures observed at {observed} ({how})."]
    if "time" not in values:
        notes.append("The file gives the publishing day only; the post is dated at 00:00 UTC.")
    return ImportBatch(
        source=name,
        accounts=(Account(account, kind),),
        posts=(Post(pid, account, to_utc_text(published), str(url).strip()),),
        snapshots=(Snapshot(pid, observed, tuple(counters.get(c) for c in COUNTERS)),),
        demographics=people,
        notes=tuple(notes),
        kind="single-post export",
    )
