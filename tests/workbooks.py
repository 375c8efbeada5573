"""Build LinkedIn-like export workbooks for tests: real .xlsx (openpyxl) and .xls (xlwt)
files, laid out as LinkedIn lays them out, with whatever quirks a test asks for."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

Rows = list[list[Any]]

CREATED = datetime(2026, 3, 1, 8, 0, 0)  # docProps' created time of generated files


def write_xlsx(path: Path, sheets: dict[str, Rows], created: datetime | None = CREATED) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.properties.created = created or CREATED
    book.save(path)
    if created is None:
        _drop_created(path)
    return path


def _drop_created(path: Path) -> None:
    """Remove the creation time from docProps, as some tools that re-save files do."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    core = parts["docProps/core.xml"].decode()
    parts["docProps/core.xml"] = re.sub(
        r"<dcterms:created[^>]*>[^<]*</dcterms:created>", "", core
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)


def write_xls(path: Path, sheets: dict[str, Rows]) -> Path:
    import xlwt

    book = xlwt.Workbook()
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


def creator_sheets(
    *,
    window: str = "2/1/2026 - 2/28/2026",
    impressions: Any = 5200,
    reached: Any = 2100,
    reached_label: str = "Members reached",
    days: Rows | None = None,
    posts: Rows | None = None,
    followers_total: Any = 900,
    followers_on: str = "2/28/2026",
    new_followers: Rows | None = None,
    demographics: Rows | None = None,
    names: tuple[str, str, str, str, str] = (
        "DISCOVERY",
        "ENGAGEMENT",
        "TOP POSTS",
        "FOLLOWERS",
        "DEMOGRAPHICS",
    ),
    top_banner_rows: int = 2,
) -> dict[str, Rows]:
    """A creator export's five sheets; each part can be replaced."""
    if days is None:
        days = [[f"2/{d}/2026", 100 + d, 5] for d in range(1, 29)]
    if posts is None:
        url = "https://www.linkedin.com/feed/update/urn:li:activity:"
        posts = [
            [
                url + "7400000000000000001",
                "2/20/2026",
                40,
                None,
                url + "7400000000000000001",
                "2/20/2026",
                3100,
            ],
            [
                url + "7400000000000000002",
                "2/10/2026",
                12,
                None,
                url + "7400000000000000002",
                "2/10/2026",
                1400,
            ],
        ]
    if new_followers is None:
        new_followers = [[f"2/{d}/2026", 2] for d in range(1, 29)]
    if demographics is None:
        demographics = [["Job titles", "Marketing Manager", 0.12], ["Locations", "Paris", "< 1%"]]
    top = [["Maximum of 50 posts available to include in this list"]]
    top += [[] for _ in range(top_banner_rows - 1)]
    top += [
        [
            "Post URL",
            "Post publish date",
            "Engagements",
            None,
            "Post URL",
            "Post publish date",
            "Impressions",
        ]
    ]
    discovery, engagement, top_name, followers, people = names
    return {
        discovery: [
            ["Overall Performance", window],
            ["Impressions", impressions],
            [reached_label, reached],
        ],
        engagement: [["Date", "Impressions", "Engagements"], *days],
        top_name: top + posts,
        followers: [
            [f"Total followers on {followers_on}:", followers_total],
            [],
            ["Date", "New followers"],
            *new_followers,
        ],
        people: [["Top Demographics", "Value", "Percentage"], *demographics],
    }


def single_post_sheets(
    performance: Rows | None = None, demographics: Rows | None = None
) -> dict[str, Rows]:
    if performance is None:
        performance = [
            ["Post URL", "https://www.linkedin.com/feed/update/urn:li:share:7410000000000000001"],
            ["Post Date", "Feb 25, 2026"],
            ["Post Publish Time", "11:53 AM"],
            ["Impressions", "5,537"],
            ["Members reached", "1,316"],
            ["Reactions", "88"],
            ["Comments", "12"],
            ["Reposts", "4"],
            ["Saves", "9"],
            ["Sends on LinkedIn", "3"],
        ]
    if demographics is None:
        demographics = [["Job title", "Founder", "2%"], ["Location", "Lyon", "< 1%"]]
    return {
        "PERFORMANCE": performance,
        "TOP DEMOGRAPHICS": [["Category", "Value", "Percentage"], *demographics],
    }


PAGE_METRIC_HEADER = [
    "Date",
    "Impressions (organic)",
    "Impressions (sponsored)",
    "Impressions (total)",
    "Unique impressions (organic)",
    "Clicks (organic)",
    "Clicks (sponsored)",
    "Clicks (total)",
    "Reactions (organic)",
    "Reactions (sponsored)",
    "Reactions (total)",
    "Comments (organic)",
    "Comments (sponsored)",
    "Comments (total)",
    "Reposts (organic)",
    "Reposts (sponsored)",
    "Reposts (total)",
    "Engagement rate (organic)",
    "Engagement rate (sponsored)",
    "Engagement rate (total)",
]
PAGE_POST_HEADER = [
    "Post title",
    "Post link",
    "Post type",
    "Campaign name",
    "Posted by",
    "Created date",
    "Campaign start date",
    "Campaign end date",
    "Audience",
    "Impressions",
    "Views",
    "Offsite Views",
    "Clicks",
    "Click through rate (CTR)",
    "Likes",
    "Comments",
    "Reposts",
    "Follows",
    "Engagement rate",
    "Content Type",
]


def page_metric_row(day: str, impressions: int, unique: int) -> list[Any]:
    return [
        day,
        impressions,
        0,
        impressions,
        unique,
        10,
        0,
        10,
        20,
        0,
        20,
        3,
        0,
        3,
        1,
        0,
        1,
        0.05,
        0,
        0.05,
    ]


def page_post_row(
    title: str,
    link: str,
    day: str,
    impressions: Any,
    *,
    kind: str = "Organic",
    campaign: str | None = None,
    content: str = "Image",
) -> list[Any]:
    return [
        title,
        link,
        kind,
        campaign,
        "Jane",
        day,
        None,
        None,
        "All followers",
        impressions,
        0,
        0,
        30,
        0.01,
        45,
        6,
        2,
        3,
        0.03,
        content,
    ]


def page_sheets(metrics: Rows | None = None, posts: Rows | None = None) -> dict[str, Rows]:
    if metrics is None:
        metrics = [page_metric_row(f"02/{d:02d}/2026", 400 + d, 300) for d in range(1, 15)]
    if posts is None:
        posts = [
            page_post_row(
                "Launch day",
                "https://www.linkedin.com/feed/update/urn:li:share:7420000000000000001",
                "02/12/2026",
                2500,
            ),
            page_post_row(
                "Hiring",
                "https://www.linkedin.com/feed/update/urn:li:ugcPost:7420000000000000002",
                "02/05/2026",
                900,
                content="Video",
            ),
            page_post_row(
                "Ad",
                "https://www.linkedin.com/feed/update/urn:li:share:7420000000000000003",
                "02/06/2026",
                9000,
                kind="Sponsored",
                campaign="Spring",
            ),
        ]
    return {
        "Metrics": [["Aggregated metrics for the page"], PAGE_METRIC_HEADER, *metrics],
        "All posts": [["All posts published in the period"], PAGE_POST_HEADER, *posts],
    }
