"""LinkedIn's own export files in: the creator, single-post and Page exports, told apart
by what is inside them, read with their real-world quirks, stored at their own grain."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.errors import ImportFileError
from bot.ingest.files import read_file
from bot.ingest.urls import post_id
from bot.store import Store
from tests.workbooks import (
    creator_sheets,
    page_sheets,
    single_post_sheets,
    write_xls,
    write_xlsx,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
REAL = FIXTURES / "creator-2023-08-07-2024-08-05.xlsx"


@pytest.fixture
def runner(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    return CliRunner()


def problems_of(path: Path, **options: object) -> list[str]:
    with pytest.raises(ImportFileError) as caught:
        read_file(path, **options)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


# -- the real creator export --


def test_the_real_creator_export_speaks_with_linkedins_own_figures(runner: CliRunner):
    first = runner.invoke(cli, ["import", str(REAL), "--account", "arpita"])
    assert first.exit_code == 0, first.output
    assert "(creator export): 1 account, 45 posts (45 new, 0 updated)" in first.output
    assert "365 days of account figures, 1 date-range total, 30 audience lines" in first.output
    # The post of 1 Aug 2023 went out before the range: its figures are the range's only.
    assert (
        "1 listed post went out before the export's range; LinkedIn counts only what it "
        "drew inside it, so it is kept without figures." in first.output
    )
    last10 = runner.invoke(
        cli, ["ask", "last10 arpita", "--format", "json", "--at", "2024-08-06T00:00:00Z"]
    )
    assert last10.exit_code == 0, last10.output
    posts = json.loads(last10.output)["posts"]
    assert len(posts) == 10
    july17 = next(p for p in posts if p["published_at"].startswith("2024-07-17"))
    assert july17["impressions"] == 11285
    # LinkedIn's engagement total feeds the engagement rate; no part is invented.
    assert (july17["engagements"], july17["reactions"], july17["comments"]) == (110, None, None)
    assert july17["engagement_rate"] == pytest.approx(110 / 11285)
    url = "https://www.linkedin.com/feed/update/urn:li:activity:7204703086211198976"
    june7 = runner.invoke(cli, ["ask", f"post {url}", "--at", "2024-08-06T00:00:00Z"])
    assert june7.exit_code == 0, june7.output
    assert "12,463 impressions" in june7.output
    # Who saw the posts, as the export's DEMOGRAPHICS gives it, on a line of its own.
    assert (
        "Who saw your posts (LinkedIn's export of 5 Aug): Companies: Deloitte 1.3%" in june7.output
    )
    assert "Higher Education 4.3%\n" in june7.output


def test_reimporting_the_same_export_changes_nothing(runner: CliRunner, tmp_path: Path):
    runner.invoke(cli, ["import", str(REAL), "--account", "arpita"])
    with Store(tmp_path / "cli.db") as store:
        before = store.conn.execute("SELECT count(*), total_changes() FROM account_days").fetchone()
    again = runner.invoke(cli, ["import", str(REAL), "--account", "arpita"])
    assert again.exit_code == 0, again.output
    assert "45 posts (0 new, 0 updated)" in again.output
    assert "(0 new, 0 changed, 44 unchanged)" in again.output
    assert again.output.rstrip().endswith("Nothing new: the store already held all of it.")
    with Store(tmp_path / "cli.db") as store:
        assert store.conn.execute("SELECT count(*) FROM account_days").fetchone()[0] == before[0]


def test_the_real_export_keeps_each_sheet_at_its_own_grain():
    batch = read_file(REAL, account="arpita")
    assert [(p.start, p.end, p.impressions, p.members_reached) for p in batch.periods] == [
        ("2023-08-07", "2024-08-05", 70416, 28517)  # "Unique views" is members reached
    ]
    assert len(batch.days) == 365  # ENGAGEMENT sorted by impressions, read by date
    assert batch.days[0].day == "2023-08-07"
    assert [f.followers for f in batch.follower_counts] == [782]
    below = [d for d in batch.demographics if d.below]
    assert [(d.value, d.share) for d in below] == [("Wipro", 0.01)]  # the text "< 1%"
    # Rows with a URL and nothing else add no figures; posts seen in one table only
    # have the other table's figure missing, not zero.
    by_id = {s.post: s.as_dict() for s in batch.snapshots}
    june7 = by_id["activity-7204703086211198976"]
    assert (june7["impressions"], june7["engagements"], june7["reactions"]) == (12463, 146, None)


# -- telling files apart --


def test_a_workbook_of_no_known_kind_gets_one_line(tmp_path: Path):
    path = write_xlsx(tmp_path / "budget.xlsx", {"Budget": [["Item", "Cost"], ["Ads", 100]]})
    assert problems_of(path, account="acme") == [
        f"{path}: is a workbook with sheets Budget, which is none of the kinds known: "
        "LinkedIn's creator analytics export (sheets DISCOVERY, ENGAGEMENT, TOP POSTS, "
        "FOLLOWERS), its single-post export (PERFORMANCE), a Company Page content export "
        "(Metrics, All posts), or the interchange CSV (docs/data-format.md)"
    ]


def test_the_kind_comes_from_the_content_not_the_name(tmp_path: Path):
    path = write_xlsx(tmp_path / "PostAnalytics_jane_1.csv", creator_sheets())
    assert read_file(path, account="jane").kind == "creator export"


def test_an_export_needs_an_account_and_a_csv_refuses_one(tmp_path: Path):
    path = write_xlsx(tmp_path / "c.xlsx", creator_sheets())
    assert problems_of(path) == [
        f"{path}: is a LinkedIn export, which does not say whose it is: add --account ID "
        "(a one-word name for the account, created if new)"
    ]
    csv = tmp_path / "posts.csv"
    csv.write_text(
        "account,post,published_at,observed_at,impressions\nacme,p1,2026-03-01T09:00:00Z,"
        "2026-03-02T09:00:00Z,100\n",
        encoding="utf-8",
    )
    assert problems_of(csv, account="acme") == [
        f"{csv}: is an interchange CSV, which names the account and the moment on each row: "
        "import it without --account and --observed-at"
    ]


# -- quirks, each from a generated workbook --


def test_numbers_as_text_percentages_and_a_negative_day(tmp_path: Path):
    days = [[f"2/{d}/2026", "1,200" if d == 3 else 100, -28 if d == 4 else 5] for d in range(1, 29)]
    sheets = creator_sheets(
        impressions="5,200",
        reached="2 100",
        days=days,
        demographics=[["Job title", "Founder", "2%"], ["Location", "Lyon", "< 1%"]],
    )
    batch = read_file(write_xlsx(tmp_path / "c.xlsx", sheets), account="jane")
    assert (batch.periods[0].impressions, batch.periods[0].members_reached) == (5200, 2100)
    day = {d.day: d.as_dict() for d in batch.days}
    assert day["2026-02-03"]["impressions"] == 1200
    assert day["2026-02-04"]["engagements"] == -28  # LinkedIn's correction, kept
    assert [(d.value, d.share, d.below) for d in batch.demographics] == [
        ("Founder", 0.02, False),
        ("Lyon", 0.01, True),
    ]


def test_day_first_dates_are_decided_from_the_whole_column(tmp_path: Path):
    days = [[f"{d:02d}/02/2026", 100, 5] for d in range(1, 29)]
    sheets = creator_sheets(
        window="01/02/2026 - 28/02/2026",
        days=days,
        followers_on="28/02/2026",
        new_followers=[[f"{d}/02/2026", 1] for d in range(1, 29)],
        posts=[
            [
                "https://www.linkedin.com/posts/jane_topic-activity-7400000000000000009-AbCd",
                "03/02/2026",
                7,
                None,
                None,
                None,
                None,
            ]
        ],
    )
    batch = read_file(write_xlsx(tmp_path / "c.xlsx", sheets), account="jane")
    assert batch.days[0].day == "2026-02-01"
    assert batch.posts[0].published_at == "2026-02-03T00:00:00Z"  # 3 February, not 2 March
    assert "Dates were read day first (15/01/2025), as the file writes them." in batch.notes


def test_dates_that_read_the_same_either_way_are_said_to_be_a_guess(tmp_path: Path):
    sheets = creator_sheets(
        window="2/1/2026 - 2/12/2026",
        days=[[f"2/{d}/2026", 100, 5] for d in range(1, 13)],
        followers_on="2/12/2026",
        new_followers=[],
        posts=[],
    )
    batch = read_file(write_xlsx(tmp_path / "c.xlsx", sheets), account="jane")
    assert any("could be read either way" in note for note in batch.notes)
    assert batch.days[-1].day == "2026-02-12"


def test_named_dates_moved_headers_and_localized_sheet_names(tmp_path: Path):
    sheets = creator_sheets(
        window="Feb 1, 2026 - Feb 28, 2026",
        days=[[f"Feb {d}, 2026", 100, 5] for d in range(1, 29)],
        names=(
            "DÉCOUVERTE",
            "INTERACTIONS",
            "MEILLEURS POSTS",
            "ABONNÉS",
            "DONNÉES DÉMOGRAPHIQUES",
        ),
        top_banner_rows=4,  # the header moved down two rows
    )
    batch = read_file(write_xlsx(tmp_path / "fr.xlsx", sheets), account="jane")
    assert batch.kind == "creator export"
    assert len(batch.days) == 28
    assert {p.id for p in batch.posts} == {
        "activity-7400000000000000001",
        "activity-7400000000000000002",
    }
    assert len(batch.demographics) == 2


def test_a_day_outside_the_exports_own_range_is_refused_with_its_place(tmp_path: Path):
    days = [[f"2/{d}/2026", 100, 5] for d in range(1, 28)] + [["3/15/2026", 100, 5]]
    path = write_xlsx(tmp_path / "c.xlsx", creator_sheets(days=days))
    assert problems_of(path, account="jane") == [
        f"{path}: ENGAGEMENT: row 29: column A: 2026-03-15 is outside the export's own range "
        "(2026-02-01 to 2026-02-28); the file is damaged: export it again"
    ]


def test_reach_above_impressions_is_refused(tmp_path: Path):
    path = write_xlsx(tmp_path / "c.xlsx", creator_sheets(impressions=100, reached=900))
    assert problems_of(path, account="jane") == [
        f"{path}: DISCOVERY: row 3: column B: 900 members reached is more than the 100 "
        "impressions; each member reached counts at least one impression. Export the file again"
    ]


def test_a_file_re_saved_without_its_creation_time_uses_the_end_of_its_range(tmp_path: Path):
    path = write_xlsx(tmp_path / "c.xlsx", creator_sheets(), created=None)
    batch = read_file(path, account="jane")
    assert {s.observed_at for s in batch.snapshots} == {"2026-03-01T00:00:00Z"}
    given = read_file(path, account="jane", observed_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert {s.observed_at for s in given.snapshots} == {"2026-03-02T09:00:00Z"}


# -- post ids --


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.linkedin.com/feed/update/urn:li:activity:7204703086211198976/",
            "activity-7204703086211198976",
        ),
        (
            "https://www.linkedin.com/posts/jane-doe_words-activity-7204703086211198976-AbCd",
            "activity-7204703086211198976",
        ),
        (
            "https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A7410000000000000001",
            "share-7410000000000000001",
        ),
        (
            "https://www.linkedin.com/feed/update/urn:li:ugcPost:7420000000000000002",
            "ugcPost-7420000000000000002",
        ),
        ("https://www.linkedin.com/in/jane-doe/", None),
    ],
)
def test_post_ids_come_from_every_url_form(url: str, expected: str | None):
    assert post_id(url) == expected


def test_one_post_through_two_url_forms_is_one_post(tmp_path: Path):
    feed = "https://www.linkedin.com/feed/update/urn:li:activity:7400000000000000005"
    slug = "https://www.linkedin.com/posts/jane_x-activity-7400000000000000005-Zz"
    sheets = creator_sheets(posts=[[feed, "2/20/2026", 40, None, slug, "2/20/2026", 3100]])
    batch = read_file(write_xlsx(tmp_path / "c.xlsx", sheets), account="jane")
    assert [p.id for p in batch.posts] == ["activity-7400000000000000005"]
    counts = batch.snapshots[0].as_dict()
    assert (counts["impressions"], counts["engagements"]) == (3100, 40)


# -- the single-post export --


def test_the_single_post_export_is_matched_by_label(tmp_path: Path):
    rows = single_post_sheets()["PERFORMANCE"]
    moved = [rows[3], rows[0], ["Premium custom button engagements", "0"], *rows[1:3], *rows[4:]]
    path = write_xlsx(tmp_path / "p.xlsx", single_post_sheets(performance=moved))
    batch = read_file(path, account="jane", observed_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    assert batch.kind == "single-post export"
    assert batch.posts[0].id == "share-7410000000000000001"
    assert batch.posts[0].published_at == "2026-02-25T11:53:00Z"
    counts = batch.snapshots[0].as_dict()
    assert (counts["impressions"], counts["members_reached"], counts["sends"]) == (5537, 1316, 3)
    assert counts["clicks"] is None  # not in the file: missing, not zero
    assert [(d.post, d.category, d.share, d.below) for d in batch.demographics] == [
        ("share-7410000000000000001", "Job title", 0.02, False),
        ("share-7410000000000000001", "Location", 0.01, True),
    ]


def test_the_post_reply_says_who_saw_that_post(runner: CliRunner, tmp_path: Path):
    path = write_xlsx(tmp_path / "p.xlsx", single_post_sheets())
    assert runner.invoke(cli, ["import", str(path), "--account", "jane"]).exit_code == 0
    reply = runner.invoke(
        cli, ["ask", "post share-7410000000000000001", "--at", "2026-03-02T00:00:00Z"]
    )
    assert reply.exit_code == 0, reply.output
    assert (
        "Who saw it (LinkedIn's export of 1 Mar): Job title: Founder 2% · "
        "Location: Lyon under 1%\n" in reply.output
    )


def test_single_post_exports_on_several_days_build_a_curve(runner: CliRunner, tmp_path: Path):
    for day, impressions in ((26, "2,000"), (27, "3,100"), (28, "3,400")):
        perf = single_post_sheets()["PERFORMANCE"]
        perf = [row if row[0] != "Impressions" else ["Impressions", impressions] for row in perf]
        path = write_xlsx(
            tmp_path / f"p{day}.xlsx",
            single_post_sheets(performance=perf),
            created=datetime(2026, 2, day, 12, 0),
        )
        result = runner.invoke(cli, ["import", str(path), "--account", "jane"])
        assert result.exit_code == 0, result.output
    with Store(tmp_path / "cli.db") as store:
        rows = store.conn.execute(
            "SELECT observed_at, impressions FROM snapshots ORDER BY observed_at"
        ).fetchall()
    assert rows == [
        ("2026-02-26T12:00:00Z", 2000),
        ("2026-02-27T12:00:00Z", 3100),
        ("2026-02-28T12:00:00Z", 3400),
    ]


# -- the Company Page content export --


@pytest.mark.parametrize("writer", [write_xlsx, write_xls], ids=["xlsx", "xls"])
def test_the_page_export_reads_in_both_formats(tmp_path: Path, writer):
    suffix = ".xlsx" if writer is write_xlsx else ".xls"
    path = writer(tmp_path / f"page{suffix}", page_sheets())
    batch = read_file(path, account="acme-page", observed_at=datetime(2026, 2, 15, tzinfo=UTC))
    assert batch.kind == "Page content export"
    assert batch.accounts[0].kind == "organization"
    assert [(p.id, p.format, p.title) for p in batch.posts] == [
        ("share-7420000000000000001", "image", "Launch day"),
        ("ugcPost-7420000000000000002", "video", "Hiring"),
    ]
    assert "1 sponsored post left out: their figures include paid impressions." in batch.notes
    launch = batch.snapshots[0].as_dict()
    assert (launch["impressions"], launch["reactions"], launch["followers_gained"]) == (
        2500,
        45,
        3,
    )
    assert launch["members_reached"] is None  # the Page export has no reach per post
    first = batch.days[0].as_dict()
    assert (first["impressions"], first["members_reached"], first["clicks"]) == (401, 300, 10)


def test_the_real_export_imports_from_the_readme_command(runner: CliRunner, tmp_path: Path):
    csv = Path(__file__).resolve().parent.parent / "docs" / "sample-posts.csv"
    result = runner.invoke(cli, ["import", str(csv)])
    assert result.exit_code == 0, result.output


# -- the account's week over week --


def weekly_export(tmp_path: Path, start: int, reached: int, impressions: int) -> Path:
    """A creator export of the seven days from 1 Feb 2026 + `start`."""
    days = [f"2/{d}/2026" for d in range(start, start + 7)]
    sheets = creator_sheets(
        window=f"{days[0]} - {days[-1]}",
        impressions=impressions,
        reached=reached,
        days=[[d, impressions // 7, 20] for d in days],
        followers_on=days[-1],
        new_followers=[[d, 1] for d in days],
        posts=[],
    )
    return write_xlsx(
        tmp_path / f"week{start}.xlsx", sheets, created=datetime(2026, 2, start + 7, 6, 0)
    )


def test_week_over_week_uses_unique_reach_where_an_export_gives_it(tmp_path: Path):
    from bot.commands.loading import measure

    at = datetime(2026, 2, 15, 9, tzinfo=UTC)
    with Store(tmp_path / "w.db") as store:
        store.write(read_file(weekly_export(tmp_path, 1, 1000, 7000), account="jane"))
        store.write(read_file(weekly_export(tmp_path, 8, 1500, 14000), account="jane"))
        row = measure(store, "jane", at).account_metrics.row("jane")
    assert (row["reach_prev_week"], row["reach_week"], row["reach_is_unique"]) == (1000, 1500, 1)
    assert (row["impressions_prev_week"], row["impressions_week"]) == (7000, 14000)
    assert row["engagement_rate_week"] == pytest.approx(140 / 14000)


def test_without_a_weekly_export_reach_is_said_to_be_an_upper_bound(tmp_path: Path):
    from bot.commands.loading import measure

    at = datetime(2026, 2, 15, 9, tzinfo=UTC)
    with Store(tmp_path / "w.db") as store:
        store.write(read_file(weekly_export(tmp_path, 1, 1000, 7000), account="jane"))
        row = measure(store, "jane", at).account_metrics.row("jane")
    assert row["reach_is_unique"] == 0


@pytest.mark.parametrize(
    ("zone", "impressions_week"),
    [
        # 09:00 on 15 Feb in UTC: the weeks are 1-7 and 8-14 Feb, both exported.
        ("UTC", 14000),
        # 23:00 on 14 Feb in Honolulu: the week before runs from 31 Jan, a day no
        # export covers, so the impressions summed over posts (none) stand.
        ("Pacific/Honolulu", None),
    ],
)
def test_an_exports_days_are_the_accounts_calendar_days(
    tmp_path: Path, zone: str, impressions_week: int | None
):
    from bot.commands.loading import measure

    at = datetime(2026, 2, 15, 9, tzinfo=UTC)
    with Store(tmp_path / "w.db") as store:
        store.write(read_file(weekly_export(tmp_path, 1, 1000, 7000), account="jane"))
        store.write(read_file(weekly_export(tmp_path, 8, 1500, 14000), account="jane"))
        store.set_timezone("jane", zone)
        row = measure(store, "jane", at).account_metrics.row("jane")
    if impressions_week is None:
        assert math.isnan(row["impressions_week"])
    else:
        assert (row["impressions_prev_week"], row["impressions_week"]) == (7000, 14000)
        assert row["reach_is_unique"] == 1


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path):
    import os

    fifo = tmp_path / "export.xlsx"
    os.mkfifo(fifo)
    assert problems_of(fifo, account="jane") == [
        f"{fifo}: is not a regular file (a pipe or a device?): save the data to a file"
    ]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"%PDF-1.7\n...", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n....", "a PNG image"),
    ],
)
def test_files_plainly_of_another_kind_are_named(tmp_path: Path, content: bytes, named: str):
    path = tmp_path / "analytics.xlsx"
    path.write_bytes(content)
    (problem,) = problems_of(path, account="jane")
    assert problem.startswith(f"{path}: is {named}, which is none of the kinds known: ")


def test_linkedins_data_archive_is_told_to_be_unzipped(tmp_path: Path):
    import zipfile

    path = tmp_path / "Basic_LinkedInDataExport.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Shares.csv", "Date,ShareLink\n")
    (problem,) = problems_of(path, account="jane")
    assert problem.startswith(
        f"{path}: is a zip archive, not a workbook (LinkedIn's data download is one): "
        "unzip it and import the analytics files inside"
    )


def test_a_page_exports_day_month_order_is_decided_from_both_sheets(tmp_path: Path):
    """The Metrics sheet's 28/02 told the order; the posts sheet's 03/02 alone did not,
    and was read as 2 March (months ahead of the export)."""
    from tests.workbooks import page_metric_row, page_post_row

    metrics = [page_metric_row(f"{d:02d}/02/2026", 400 + d, 300) for d in range(1, 29)]
    posts = [
        page_post_row(
            "Launch",
            "https://www.linkedin.com/feed/update/urn:li:share:7420000000000000011",
            "03/02/2026",
            900,
        ),
        page_post_row(
            "Hiring",
            "https://www.linkedin.com/feed/update/urn:li:share:7420000000000000012",
            "10/02/2026",
            700,
        ),
    ]
    path = write_xlsx(tmp_path / "page.xlsx", page_sheets(metrics=metrics, posts=posts))
    batch = read_file(path, account="acme", observed_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert [p.published_at for p in batch.posts] == ["2026-02-03T00:00:00Z", "2026-02-10T00:00:00Z"]
    assert "Dates were read day first (15/01/2025), as the file writes them." in batch.notes
