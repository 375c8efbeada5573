"""The Company Page content export (`.xls` or `.xlsx`): daily metrics and all posts.

Row 1 is a banner and the headers sit on row 2 in today's files, but headers are
looked for rather than assumed. The daily sheet is the Page's own series (its unique
impressions are organic, and per day: never added up); the posts sheet is one
observation of every post. Sponsored posts are left out: their figures include paid
impressions, which would make every organic comparison wrong.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from bot.ingest import cells, labels
from bot.ingest.sheets import (
    Issues,
    columns_of,
    day_start,
    find_header,
    find_sheet,
    observation_moment,
    window_end,
)
from bot.ingest.urls import post_id
from bot.ingest.workbook import Sheet, Workbook
from bot.model import (
    COUNTERS,
    DAILY_COUNTERS,
    Account,
    AccountDay,
    ImportBatch,
    Post,
    Snapshot,
    to_utc_text,
)

_POST_COUNTERS = (
    "impressions",
    "clicks",
    "reactions",
    "comments",
    "reposts",
    "followers_gained",
    "engagements",
)


def page_sheets(book: Workbook) -> tuple[Sheet | None, Sheet | None]:
    """(daily metrics, posts), by name or by their headers."""
    metrics = find_sheet(book.sheets, labels.PAGE_METRICS)
    posts = find_sheet(book.sheets, labels.PAGE_POSTS)
    for sheet in book.sheets:
        if (
            posts is None
            and find_header(sheet, set(labels.PAGE_POST_COLUMNS), at_least=4) is not None
            and find_header(sheet, labels.POST_URL, at_least=1) is not None
        ):
            posts = sheet
            continue
        if metrics is None and sheet is not posts:
            header = find_header(sheet, set(labels.PAGE_DAILY_COLUMNS) | labels.DATE, at_least=3)
            if header is not None:
                metrics = sheet
    return metrics, posts


def read_page(
    book: Workbook,
    name: str,
    *,
    account: str,
    kind: str | None,
    observed_at: datetime | None,
) -> ImportBatch:
    issues = Issues(name)
    metrics, posts_sheet = page_sheets(book)
    notes: list[str] = []
    order = _file_order(metrics, posts_sheet, notes)

    daily: dict[date, dict[str, int | None]] = {}
    if metrics is not None:
        header = find_header(metrics, set(labels.PAGE_DAILY_COLUMNS) | labels.DATE, at_least=2)
        if header is None:
            issues.add(metrics.name, None, None, "no header row with Date and Impressions")
        else:
            cols = columns_of(
                metrics.rows[header],
                {**labels.PAGE_DAILY_COLUMNS, **dict.fromkeys(labels.DATE, "date")},
            )
            body = _frame(metrics, header, cols)
            when = _dates(body, metrics, header, cols.get("date", 0), issues, order)
            for counter in DAILY_COUNTERS:
                if counter in cols:
                    body[counter] = _counts(
                        body[counter], metrics, header, cols[counter], issues, negative=True
                    )
            # Columns as lists once: a frame's .iat costs microseconds a cell.
            present = [c for c in DAILY_COUNTERS if c in cols and c in body]
            values = {c: body[c].tolist() for c in present}
            for i, day in enumerate(when):
                if day is None:
                    continue
                row = {c: _int(values[c][i]) for c in present}
                if day in daily and daily[day] != row:
                    issues.add(
                        metrics.name,
                        header + 1 + i,
                        cols.get("date", 0),
                        f"{day:%Y-%m-%d} is listed twice with different values",
                    )
                daily[day] = row

    posts: list[Post] = []
    snapshots: list[Snapshot] = []
    sponsored = 0
    last_post_day: date | None = None
    if posts_sheet is not None:
        header = find_header(posts_sheet, set(labels.PAGE_POST_COLUMNS), at_least=3)
        if header is None:
            issues.add(
                posts_sheet.name,
                None,
                None,
                "no header row with Post link and Impressions was found in the first rows",
            )
        else:
            cols = columns_of(posts_sheet.rows[header], labels.PAGE_POST_COLUMNS)
            if "url" not in cols:
                issues.add(
                    posts_sheet.name,
                    header,
                    None,
                    "no Post link column: without it the posts cannot be told apart",
                )
            body = _frame(posts_sheet, header, cols)
            when = _dates(body, posts_sheet, header, cols.get("date", 0), issues, order)
            for counter in _POST_COUNTERS:
                if counter in cols:
                    body[counter] = _counts(
                        body[counter], posts_sheet, header, cols[counter], issues
                    )
            seen: dict[str, int] = {}
            # Columns as lists once: a frame's .iat costs microseconds a cell.
            column = {c: body[c].tolist() for c in body.columns}
            nothing = [None] * len(body)
            types, campaigns = column.get("type", nothing), column.get("campaign", nothing)
            urls, titles, formats = (column.get(c, nothing) for c in ("url", "title", "format"))
            counted = [c for c in _POST_COUNTERS if c in column]
            label = _memo(cells.label)
            published = _memo(lambda day: to_utc_text(day_start(day)))
            slots = [COUNTERS.index(c) for c in counted]
            for i in range(len(body)):
                row_no = header + 1 + i
                kind_text = label(types[i]) if "type" in column else ""
                if kind_text.startswith(("sponsored", "sponsoris", "patrocin")) or (
                    "campaign" in column and not cells.is_blank(campaigns[i])
                ):
                    sponsored += 1
                    continue
                url = urls[i]
                if cells.is_blank(url):
                    continue
                pid = post_id(str(url))
                if pid is None:
                    issues.add(
                        posts_sheet.name,
                        row_no,
                        cols["url"],
                        f"'{url}' is not the address of a LinkedIn post",
                    )
                    continue
                if pid in seen:
                    issues.add(
                        posts_sheet.name,
                        row_no,
                        cols["url"],
                        f"the post is listed twice (first on row {seen[pid] + 1})",
                    )
                    continue
                seen[pid] = row_no
                day = when[i]
                if day is None:
                    issues.add(
                        posts_sheet.name, row_no, cols.get("date"), "the post has no created date"
                    )
                    continue
                last_post_day = day if last_post_day is None else max(last_post_day, day)
                title = titles[i]
                fmt = None
                if not cells.is_blank(formats[i]):
                    fmt = labels.CONTENT_TYPES.get(label(formats[i]))
                posts.append(
                    Post(
                        pid,
                        account,
                        published(day),
                        str(url).strip(),
                        fmt,
                        None if cells.is_blank(title) else str(title).strip(),
                    )
                )
                reading: list[int | None] = [None] * len(COUNTERS)
                for slot, c in zip(slots, counted, strict=True):
                    reading[slot] = _int(column[c][i])
                if any(v is not None for v in reading):
                    snapshots.append(Snapshot(pid, "", tuple(reading)))
    if metrics is None and posts_sheet is None:
        issues.add(None, None, None, "neither a daily metrics sheet nor a posts sheet was found")
    issues.raise_if_any()

    last_day = max([*daily, *([last_post_day] if last_post_day else [])], default=None)
    moment, how = observation_moment(
        observed_at, book.created, window_end(last_day) if last_day else None
    )
    if moment is None:
        issues.add(
            None,
            None,
            None,
            "nothing in the file says when it was exported; give the moment with --observed-at",
        )
        issues.raise_if_any()
    assert moment is not None
    observed = to_utc_text(moment)
    late = [p for p in posts if p.published_at > observed]
    for post in late[:5]:
        issues.add(
            posts_sheet.name if posts_sheet else None,
            None,
            None,
            f"post {post.id} is "
            f"dated after the file was exported ({observed}); check --observed-at",
        )
    issues.raise_if_any()
    notes.append(f"Figures observed at {observed} ({how}).")
    if sponsored:
        notes.append(
            f"{sponsored} sponsored post{'s' if sponsored != 1 else ''} left out: "
            "their figures include paid impressions."
        )
    days = tuple(
        AccountDay(account, day.isoformat(), observed, tuple(v.get(c) for c in DAILY_COUNTERS))
        for day, v in sorted(daily.items())
    )
    return ImportBatch(
        source=name,
        accounts=(Account(account, kind or "organization"),),
        posts=tuple(posts),
        snapshots=tuple(Snapshot(s.post, observed, s.counters) for s in snapshots),
        days=days,
        notes=tuple(notes),
        kind="Page content export",
    )


def _frame(sheet: Sheet, header: int, cols: dict[str, int]) -> pd.DataFrame:
    """The rows under `header` as a frame of the named columns (object cells), blank
    rows dropped."""
    rows = list(sheet.rows[header + 1 :])
    data = {name: [r[c] if c < len(r) else None for r in rows] for name, c in cols.items()}
    frame = pd.DataFrame(data, dtype=object, index=range(header + 1, header + 1 + len(rows)))
    if not len(frame) or not len(frame.columns):
        return frame
    # Row by row, stopping at the first cell that is not blank (almost always the first).
    used = np.fromiter(
        (any(not cells.is_blank(v) for v in row) for row in zip(*data.values(), strict=True)),
        bool,
        len(frame),
    )
    return frame[used]


def _memo(read: Any) -> Any:
    """`read`, remembering its answer for each distinct cell (of one column's few labels)."""
    known: dict[tuple[type, Any], Any] = {}

    def cached(value: Any) -> Any:
        key = (value.__class__, value)
        if key not in known:
            known[key] = read(value)
        return known[key]

    return cached


def _file_order(metrics: Sheet | None, posts: Sheet | None, notes: list[str]) -> str | None:
    """Day/month order from every date of the file, both sheets together: one sheet
    alone may not tell (a few posts dated 03/02), and the file was written one way."""
    values: list[Any] = []
    for sheet, vocabulary, at_least in (
        (metrics, set(labels.PAGE_DAILY_COLUMNS) | labels.DATE, 2),
        (posts, set(labels.PAGE_POST_COLUMNS), 3),
    ):
        if sheet is None:
            continue
        header = find_header(sheet, vocabulary, at_least=at_least)
        if header is None:
            continue
        column = columns_of(
            sheet.rows[header],
            {
                **dict.fromkeys(labels.DATE, "date"),
                "created date": "date",
                "date de creation": "date",
            },
        ).get("date")
        if column is not None:
            values.extend(sheet.cell(r, column) for r in range(header + 1, len(sheet.rows)))
    try:
        read = cells.read_dates(values)
    except cells.DateError:
        return None  # each sheet's own reading names the cell
    if read.assumed:
        notes.append(
            "Dates such as 3/4/2024 could be read either way and nothing in the file told; "
            "they were read month first, as LinkedIn's English exports write them."
        )
    elif read.order == "day first":
        notes.append("Dates were read day first (15/01/2025), as the file writes them.")
    return read.order


def _dates(
    body: pd.DataFrame,
    sheet: Sheet,
    header: int,
    column: int,
    issues: Issues,
    order: str | None = None,
) -> list[date | None]:
    if "date" not in body:
        return [None] * len(body)
    try:
        read = cells.read_dates(body["date"].tolist(), order=order)
    except cells.DateError as exc:
        issues.add(sheet.name, int(body.index[exc.index]), column, exc.message)
        return [None] * len(body)
    return read.dates


def _counts(
    column: pd.Series,
    sheet: Sheet,
    header: int,
    col: int,
    issues: Issues,
    *,
    negative: bool = False,
) -> pd.Series:
    """A column of counts: plain numbers converted at once, only text cells one by one."""
    values = column.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    numeric = np.fromiter(
        (
            isinstance(v, int) and not isinstance(v, bool) and abs(v) <= cells.MAX_COUNT
            for v in values
        ),
        bool,
        len(values),
    )
    out[numeric] = values[numeric]
    bad = 0
    for i in np.flatnonzero(~numeric):
        try:
            out[i] = cells.count(values[i], negative=negative)
        except ValueError as exc:
            out[i] = None
            bad += 1
            if bad <= 20:
                issues.add(sheet.name, int(column.index[i]), col, str(exc))
    if not negative and numeric.any():
        below = np.zeros(len(values), dtype=bool)
        below[numeric] = values[numeric].astype(np.int64) < 0
        for i in np.flatnonzero(below)[:20]:
            issues.add(
                sheet.name, int(column.index[i]), col, f"{values[i]} is negative; counts start at 0"
            )
    return pd.Series(out, index=column.index, dtype=object)


def _int(value: Any) -> int | None:
    return None if value is None or (isinstance(value, float) and value != value) else int(value)
