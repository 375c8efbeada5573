"""The creator (member) aggregate export: `Content_*.xlsx` and `AggregateAnalytics_*.xlsx`.

What each sheet really says is kept at its own grain: DISCOVERY the window's totals
(impressions and *unique* members reached), ENGAGEMENT and FOLLOWERS the account's
days, TOP POSTS one observation of each listed post (impressions, or LinkedIn's
engagement total, whichever its table gives), DEMOGRAPHICS who saw the posts. Nothing
is spread from the account onto posts, and nothing missing becomes zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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
    AccountPeriod,
    Demographic,
    FollowerCount,
    ImportBatch,
    Post,
    Snapshot,
    to_utc_text,
)

_RANGE = re.compile(r"(.+?)\s+[-–]\s+(.+)")
_TRAILING_DATE = re.compile(
    r"([0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[^\W\d_]+\.? [0-9]{1,2},? [0-9]{4}|[0-9]{1,2}\.? [^\W\d_]+\.? [0-9]{4})$"
)


def is_creator(book: Workbook) -> bool:
    named = [
        find_sheet(book.sheets, names)
        for names in (labels.DISCOVERY, labels.ENGAGEMENT, labels.TOP_POSTS, labels.FOLLOWERS)
    ]
    if sum(s is not None for s in named) >= 2:
        return True
    # Sheet names translated into a language not listed: know it by its labels.
    return any(_role(sheet) is not None for sheet in book.sheets) and (
        sum(_role(sheet) is not None for sheet in book.sheets) >= 2
    )


def _role(sheet: Sheet) -> str | None:
    first = cells.label(sheet.cell(0, 0))
    if first in labels.WINDOW:
        return "discovery"
    if any(first.startswith(p) for p in labels.TOTAL_FOLLOWERS):
        return "followers"
    if find_header(sheet, labels.POST_URL | labels.PUBLISH_DATE, at_least=3, within=6) is not None:
        return "top posts"
    return None


@dataclass
class _Dates:
    """Every date cell of the file, read together so day/month order is decided once."""

    cells: list[tuple[str, int, int, Any]]  # (sheet, row, column, value)

    def add(self, sheet: Sheet, row: int, column: int) -> int:
        self.cells.append((sheet.name, row, column, sheet.cell(row, column)))
        return len(self.cells) - 1


def read_creator(
    book: Workbook,
    name: str,
    *,
    account: str,
    kind: str | None,
    observed_at: datetime | None,
) -> ImportBatch:
    issues = Issues(name)
    sheets = book.sheets

    def sheet_for(names: set[str], role: str) -> Sheet | None:
        return find_sheet(sheets, names) or next((s for s in sheets if _role(s) == role), None)

    discovery = sheet_for(labels.DISCOVERY, "discovery")
    engagement = find_sheet(sheets, labels.ENGAGEMENT)
    top = sheet_for(labels.TOP_POSTS, "top posts")
    followers = sheet_for(labels.FOLLOWERS, "followers")
    demographics = find_sheet(sheets, labels.DEMOGRAPHICS)

    dates = _Dates([])
    # -- locate every value first, so dates are read as one column --
    window: tuple[int, int] | None = None  # indexes into dates
    totals: dict[str, tuple[int, Any]] = {}
    if discovery is not None:
        for r, row in enumerate(discovery.rows):
            key = cells.label(row[0] if row else None)
            value = row[1] if len(row) > 1 else None
            if key in labels.WINDOW and isinstance(value, str) and _RANGE.fullmatch(value.strip()):
                start_text, end_text = _RANGE.fullmatch(value.strip()).groups()  # type: ignore[union-attr]
                dates.cells.append((discovery.name, r, 1, start_text))
                dates.cells.append((discovery.name, r, 1, end_text))
                window = (len(dates.cells) - 2, len(dates.cells) - 1)
            elif key in labels.IMPRESSIONS:
                totals["impressions"] = (r, value)
            elif key in labels.MEMBERS_REACHED:
                totals["members_reached"] = (r, value)

    daily_rows: list[tuple[str, int, int, dict[str, tuple[int, Any]]]] = []
    if engagement is not None:
        header = find_header(engagement, labels.DATE | labels.IMPRESSIONS | labels.ENGAGEMENTS)
        if header is None:
            issues.add(
                engagement.name,
                None,
                None,
                "no header row with Date, Impressions and Engagements was found in the first rows",
            )
        else:
            cols = columns_of(
                engagement.rows[header],
                {
                    **dict.fromkeys(labels.DATE, "date"),
                    **dict.fromkeys(labels.IMPRESSIONS, "impressions"),
                    **dict.fromkeys(labels.ENGAGEMENTS, "engagements"),
                },
            )
            for r in range(header + 1, len(engagement.rows)):
                if not any(not cells.is_blank(c) for c in engagement.rows[r]):
                    continue
                ref = dates.add(engagement, r, cols.get("date", 0))
                values = {
                    k: (cols[k], engagement.cell(r, cols[k]))
                    for k in ("impressions", "engagements")
                    if k in cols
                }
                daily_rows.append((engagement.name, r, ref, values))

    total_followers: tuple[int, int, Any] | None = None  # (row, date ref, value)
    if followers is not None:
        for r, row in enumerate(followers.rows[:6]):
            key = cells.label(row[0] if row else None)
            if any(key.startswith(prefix) for prefix in labels.TOTAL_FOLLOWERS):
                match = _TRAILING_DATE.search(str(row[0]).strip().rstrip(":").strip())
                if match is None:
                    issues.add(followers.name, r, "A", f"'{row[0]}' names no date")
                    continue
                dates.cells.append((followers.name, r, 0, match[1]))
                total_followers = (r, len(dates.cells) - 1, row[1] if len(row) > 1 else None)
                break
        header = find_header(followers, labels.DATE | labels.NEW_FOLLOWERS)
        if header is not None:
            cols = columns_of(
                followers.rows[header],
                {
                    **dict.fromkeys(labels.DATE, "date"),
                    **dict.fromkeys(labels.NEW_FOLLOWERS, "new_followers"),
                },
            )
            for r in range(header + 1, len(followers.rows)):
                if not any(not cells.is_blank(c) for c in followers.rows[r]):
                    continue
                ref = dates.add(followers, r, cols.get("date", 0))
                if "new_followers" in cols:
                    value = followers.cell(r, cols["new_followers"])
                    daily_rows.append(
                        (followers.name, r, ref, {"new_followers": (cols["new_followers"], value)})
                    )

    listed: list[tuple[str, int, int, str, int | None, str, int, Any]] = []
    if top is not None:
        header = find_header(top, labels.POST_URL | labels.PUBLISH_DATE, at_least=2)
        if header is None:
            issues.add(
                top.name,
                None,
                None,
                "no header row with Post URL and Post publish date was found in the first rows",
            )
        else:
            row = top.rows[header]
            # Two tables side by side: each starts at a Post URL column.
            starts = [i for i, c in enumerate(row) if cells.label(c) in labels.POST_URL]
            for start in starts:
                date_col = start + 1
                metric_col = start + 2
                metric_label = cells.label(top.cell(header, metric_col))
                if metric_label in labels.IMPRESSIONS:
                    metric = "impressions"
                elif metric_label in labels.ENGAGEMENTS:
                    metric = "engagements"
                else:
                    issues.add(
                        top.name,
                        header,
                        metric_col,
                        f"'{top.cell(header, metric_col)}' is neither Impressions nor Engagements",
                    )
                    continue
                for r in range(header + 1, len(top.rows)):
                    url = top.cell(r, start)
                    if cells.is_blank(url):
                        continue
                    pid = post_id(str(url))
                    if pid is None:
                        issues.add(
                            top.name,
                            r,
                            start,
                            f"'{url}' is not the address of a "
                            "LinkedIn post (no urn:li:activity, share or ugcPost in it)",
                        )
                        continue
                    ref = (
                        None
                        if cells.is_blank(top.cell(r, date_col))
                        else dates.add(top, r, date_col)
                    )
                    listed.append(
                        (top.name, r, start, pid, ref, metric, metric_col, top.cell(r, metric_col))
                    )

    # -- dates, read together --
    try:
        column = cells.read_dates([c[3] for c in dates.cells])
    except cells.DateError as exc:
        sheet, row, col, _ = dates.cells[exc.index]
        issues.add(sheet, row, col, exc.message)
        issues.raise_if_any()
        raise AssertionError("unreachable") from None
    day = column.dates
    notes = []
    if column.assumed:
        notes.append(
            "Dates such as 3/4/2024 could be read either way and nothing in the file told; "
            "they were read month first, as LinkedIn's English exports write them."
        )
    elif column.order == "day first":
        notes.append("Dates were read day first (15/01/2025), as the file writes them.")

    start_day = end_day = None
    if window is not None:
        start_day, end_day = day[window[0]], day[window[1]]
        if start_day and end_day and start_day > end_day:
            issues.add(
                discovery.name if discovery else None,
                None,
                None,
                "the date range ends before it starts",
            )
    known_days = [day[ref] for _, _, ref, _ in daily_rows if day[ref] is not None]
    if start_day is None and known_days:
        start_day, end_day = min(known_days), max(known_days)
    fallback = window_end(end_day) if end_day else None
    moment, how = observation_moment(observed_at, book.created, fallback)
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
    notes.append(f"Figures observed at {observed} ({how}).")

    # -- the window's totals --
    periods = []
    period_values: dict[str, int | None] = {}
    for key, (r, value) in totals.items():
        try:
            period_values[key] = cells.count(value)
        except ValueError as exc:
            issues.add(discovery.name if discovery else None, r, "B", str(exc))
    imp, reach = period_values.get("impressions"), period_values.get("members_reached")
    if imp is not None and reach is not None and reach > imp:
        issues.add(
            discovery.name if discovery else None,
            totals["members_reached"][0],
            "B",
            f"{reach:,} members reached is more than the {imp:,} impressions; each member "
            "reached counts at least one impression. Export the file again",
        )
    if start_day and end_day and (imp is not None or reach is not None):
        periods.append(
            AccountPeriod(account, start_day.isoformat(), end_day.isoformat(), observed, imp, reach)
        )

    # -- the account's days --
    by_day: dict[date, dict[str, int | None]] = {}
    seen_at: dict[tuple[date, str], tuple[str, int]] = {}
    for sheet, r, ref, values in daily_rows:
        when = day[ref]
        if when is None:
            issues.add(sheet, r, dates.cells[ref][2], "the date is empty")
            continue
        if start_day and end_day and not start_day <= when <= end_day:
            issues.add(
                sheet,
                r,
                dates.cells[ref][2],
                f"{when:%Y-%m-%d} is outside the "
                f"export's own range ({start_day:%Y-%m-%d} to {end_day:%Y-%m-%d}); "
                "the file is damaged: export it again",
            )
            continue
        target = by_day.setdefault(when, {})
        for key, (col, value) in values.items():
            try:
                number = cells.count(value, negative=True)
            except ValueError as exc:
                issues.add(sheet, r, col, str(exc))
                continue
            if (when, key) in seen_at and target.get(key) != number:
                _, first_row = seen_at[(when, key)]
                issues.add(
                    sheet,
                    r,
                    col,
                    f"{when:%Y-%m-%d} is listed twice with different "
                    f"values (first on row {first_row + 1})",
                )
                continue
            seen_at[(when, key)] = (sheet, r)
            target[key] = number
    days = tuple(
        AccountDay(account, when.isoformat(), observed, tuple(v.get(c) for c in DAILY_COUNTERS))
        for when, v in sorted(by_day.items())
    )

    # -- followers --
    follower_counts = []
    if total_followers is not None:
        r, ref, value = total_followers
        try:
            total = cells.count(value)
        except ValueError as exc:
            issues.add(followers.name if followers else None, r, "B", str(exc))
            total = None
        if total is not None:
            when = day[ref]
            at = window_end(when) if when else moment
            follower_counts.append(FollowerCount(account, to_utc_text(min(at, moment)), total))

    # -- posts: both tables merged by post, the larger figure kept --
    posts: dict[str, dict[str, Any]] = {}
    for sheet, r, col, pid, ref, metric, metric_col, value in listed:
        entry = posts.setdefault(pid, {"url": None, "date": None, "values": {}})
        when = day[ref] if ref is not None else None
        if when is not None:
            if end_day and when > end_day:
                issues.add(
                    sheet,
                    r,
                    col + 1,
                    f"{when:%Y-%m-%d} is after the export's last day "
                    f"({end_day:%Y-%m-%d}); the file is damaged: export it again",
                )
                continue
            entry["date"] = when if entry["date"] is None else min(entry["date"], when)
        entry["url"] = entry["url"] or _canonical_url(str(top.cell(r, col) if top else ""))
        try:
            number = cells.count(value)
        except ValueError as exc:
            issues.add(sheet, r, metric_col, str(exc))
            continue
        if number is not None:
            old = entry["values"].get(metric)
            entry["values"][metric] = number if old is None else max(old, number)

    batch_posts, snapshots, undated, older = [], [], 0, 0
    for pid, entry in posts.items():
        if entry["date"] is None:
            undated += 1
            continue
        batch_posts.append(Post(pid, account, to_utc_text(day_start(entry["date"])), entry["url"]))
        if start_day and entry["date"] < start_day and entry["values"]:
            # LinkedIn counts what the post drew inside the range only: not its total,
            # which a later, shorter export would then seem to lower.
            older += 1
            continue
        if entry["values"]:
            snapshots.append(
                Snapshot(pid, observed, tuple(entry["values"].get(c) for c in COUNTERS))
            )
    if undated:
        notes.append(
            f"{undated} listed post{'s' if undated != 1 else ''} had no publishing date "
            "anywhere in the file and {} left out.".format("was" if undated == 1 else "were")
        )

    if older:
        notes.append(
            f"{older} listed post{'s' if older != 1 else ''} went out before the export's "
            "range; LinkedIn counts only what {} drew inside it, so {} kept without "
            "figures.".format("it" if older == 1 else "they", "it is" if older == 1 else "they are")
        )

    # -- who saw the posts --
    people = read_demographics(demographics, issues, account, None, observed)

    issues.raise_if_any()
    return ImportBatch(
        source=name,
        accounts=(Account(account, kind or "member"),),
        posts=tuple(batch_posts),
        snapshots=tuple(snapshots),
        follower_counts=tuple(follower_counts),
        days=days,
        periods=tuple(periods),
        demographics=people,
        notes=tuple(notes),
        kind="creator export",
    )


def read_demographics(
    sheet: Sheet | None,
    issues: Issues,
    account: str,
    post: str | None,
    observed: str,
    *,
    start: int | None = None,
) -> tuple[Demographic, ...]:
    """Category | value | share rows after a header row (or from `start`)."""
    if sheet is None:
        return ()
    header = (
        start
        if start is not None
        else find_header(sheet, labels.DEMOGRAPHIC_HEADER | labels.PERCENTAGE, at_least=1)
    )
    if header is None:
        return ()
    found: dict[tuple[str, str], Demographic] = {}
    for r in range(header + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if len(row) < 3 or cells.is_blank(row[0]) or cells.is_blank(row[1]):
            continue
        try:
            share = cells.share(row[2])
        except ValueError as exc:
            issues.add(sheet.name, r, 2, str(exc))
            continue
        if share is None:
            continue
        category, value = str(row[0]).strip()[:100], str(row[1]).strip()[:200]
        found.setdefault(
            (category, value),
            Demographic(account, post, observed, category, value, share.value, share.below),
        )
    return tuple(found.values())


def _canonical_url(url: str) -> str | None:
    text = url.strip()
    return text or None
