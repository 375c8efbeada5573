"""The interchange CSV: every kind of bad input is reported, located, and nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import ImportFileError
from bot.ingest.csvfile import parse_csv, read_csv
from bot.store import Store

HEADER = "account,post,published_at,observed_at,impressions,members_reached,reactions,format,title"
GOOD = "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,Hello"


def problems(text: str) -> list[str]:
    with pytest.raises(ImportFileError) as info:
        parse_csv(text, "posts.csv")
    assert info.value.summary.endswith("nothing from posts.csv was imported.")
    return [str(p) for p in info.value.problems]


def test_a_good_file_becomes_a_batch():
    batch = parse_csv(f"{HEADER}\n{GOOD}\n", "posts.csv")
    assert [a.id for a in batch.accounts] == ["acme"]
    assert batch.posts[0].published_at == "2026-03-01T09:00:00Z"
    assert batch.posts[0].format == "text"
    snap = batch.snapshots[0].as_dict()
    assert snap["impressions"] == 1200
    assert snap["members_reached"] == 800
    # Empty or absent cells are "not reported", never zero.
    assert snap["saves"] is None
    assert snap["comments"] is None


def test_offsets_are_converted_to_utc():
    row = "acme,p1,2026-03-01T10:00:00+01:00,2026-03-01T12:30:00-02:00,5,,,,"
    batch = parse_csv(f"{HEADER}\n{row}\n")
    assert batch.posts[0].published_at == "2026-03-01T09:00:00Z"
    assert batch.snapshots[0].observed_at == "2026-03-01T14:30:00Z"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02,1200,800,30,text,x",
            "posts.csv:2: observed_at: '2026-03-02' has no time zone: add Z for UTC or an offset such as +01:00",
        ),
        (
            "acme,p1,yesterday,2026-03-02T09:00:00Z,1200,800,30,text,x",
            "posts.csv:2: published_at: 'yesterday' is not an ISO 8601 time such as 2026-03-01T09:30:00Z",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,-3,,30,text,x",
            "posts.csv:2: impressions: -3 is negative; counts start at 0",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,12.5,,30,text,x",
            "posts.csv:2: impressions: '12.5' is not a whole number",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,lots,text,x",
            "posts.csv:2: reactions: 'lots' is not a whole number (write digits only, such as 1200)",
        ),
        (
            "acme,p 1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,x",
            "posts.csv:2: post: 'p 1' has a space in it; ids are one word "
            "(such as acme or 7395000000000000001)",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1_200,800,30,text,x",
            "posts.csv:2: impressions: '1_200' is not a whole number (write digits only, such as 1200)",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,٤,30,text,x",
            "posts.csv:2: members_reached: '٤' is not a whole number (write digits only, such as 1200)",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,9223372036854775808,,30,text,x",
            "posts.csv:2: impressions: 9223372036854775808 is too large for a count "
            "(the most is 9,223,372,036,854,775,807)",
        ),
        (
            "acme,p1,0001-01-01T00:00:00+01:00,2026-03-02T09:00:00Z,1200,800,30,text,x",
            "posts.csv:2: published_at: '0001-01-01T00:00:00+01:00' is out of range: "
            "in UTC it falls outside years 1 to 9999",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,,800,30,text,x",
            "posts.csv:2: impressions: is empty, but this column is required",
        ),
        (
            ",p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,x",
            "posts.csv:2: account: is empty, but this column is required",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,100,800,30,text,x",
            "posts.csv:2: members_reached: 800 is more than impressions (100); "
            "each member reached counts at least one impression",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-02-28T09:00:00Z,1200,800,30,text,x",
            "posts.csv:2: observed_at: 2026-02-28T09:00:00Z is before published_at (2026-03-01T09:00:00Z)",
        ),
        (  # a typo in the year: three digits must still sort before four
            "acme,p1,2026-03-01T09:00:00Z,0999-03-01T10:00:00Z,1200,800,30,text,x",
            "posts.csv:2: observed_at: 0999-03-01T10:00:00Z is before published_at (2026-03-01T09:00:00Z)",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,carousell,x",
            "posts.csv:2: format: 'carousell' is not one of text, image, video, document, poll, "
            "article, link, event, newsletter",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,txt,x",
            "posts.csv:2: format: 'txt' is not one of text, image, video, document, poll, article, "
            "link, event, newsletter (did you mean 'text'?)",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800",
            "posts.csv:2: has 6 cells but the header has 9",
        ),
    ],
)
def test_each_bad_cell_is_reported_with_file_line_and_column(row, expected):
    assert problems(f"{HEADER}\n{row}\n") == [expected]


def test_header_problems():
    assert problems("account,post,published_at,observed_at,impressions,impresions\n") == [
        "posts.csv:1: impresions: unknown column (did you mean 'impressions'?)",
    ]
    assert problems("account,post,observed_at\nacme,p1,2026-03-01T09:00:00Z\n") == [
        "posts.csv:1: published_at: required column is missing",
        "posts.csv:1: impressions: required column is missing",
    ]
    assert problems("account,post,post,published_at,observed_at,impressions\n") == [
        "posts.csv:1: post: appears twice in the header",
    ]
    # A semicolon file is read, not refused (see test_spreadsheet_csv.py); what its
    # header lacks is said as for any other file.
    assert problems("account;post;published_at\n") == [
        "posts.csv:1: observed_at: required column is missing",
        "posts.csv:1: impressions: required column is missing",
    ]
    assert problems("") == ["posts.csv:1: the file is empty: expected a header row"]
    # Not a posts file at all: one line, not one per column (before, six).
    (said,) = problems("# Insight Narrator\n\nAn open-source Slack bot\n")
    assert said.startswith(
        "posts.csv:1: this is not a posts file: its first line names none of the columns one "
        "has (account, post, published_at, observed_at, impressions, ...); "
    )
    assert said.endswith(
        "data-format.md says what it needs, or import one of LinkedIn's own exports"
    )
    assert problems(f"{HEADER}\n") == ["posts.csv:2: no data rows after the header"]


def test_every_problem_is_reported_at_once_with_its_line():
    text = "\n".join(
        [
            HEADER + ",colour",
            GOOD + ",red",
            "acme,p2,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,-1,x,30,text,x,blue",
            "",  # blank lines are skipped but still counted
            "acme,p3,2026-03-05T09:00:00Z,2026-03-02T09:00:00Z,10,20,1,text,x,green",
        ]
    )
    assert problems(text) == [
        "posts.csv:1: colour: unknown column",
        "posts.csv:3: impressions: -1 is negative; counts start at 0",
        "posts.csv:3: members_reached: 'x' is not a whole number (write digits only, such as 1200)",
        "posts.csv:5: members_reached: 20 is more than impressions (10); "
        "each member reached counts at least one impression",
        "posts.csv:5: observed_at: 2026-03-02T09:00:00Z is before published_at (2026-03-05T09:00:00Z)",
    ]


def test_quoted_multiline_titles_keep_line_numbers_right():
    text = (
        f"{HEADER}\n"
        'acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,5,1,text,"two\nlines"\n'
        "acme,p1,2026-03-01T09:00:00Z,2026-03-03T09:00:00Z,-1,5,1,text,x\n"
    )
    assert problems(text) == ["posts.csv:4: impressions: -1 is negative; counts start at 0"]


def test_contradictions_between_rows():
    text = "\n".join(
        [
            "account,post,published_at,observed_at,impressions,account_kind,followers",
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,member,800",
            "acme,p1,2026-03-01T10:00:00Z,2026-03-03T09:00:00Z,12,organization,",
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,11,,",
            "other,p2,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,,801",
            "acme,p3,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,,900",
        ]
    )
    assert problems(text) == [
        "posts.csv:3: account_kind: 'organization' contradicts 'member' given for account acme "
        "on line 2; account acme has one account_kind",
        "posts.csv:3: published_at: '2026-03-01T10:00:00Z' contradicts '2026-03-01T09:00:00Z' "
        "given for post p1 on line 2; post p1 has one published_at",
        "posts.csv:4: observed_at: post p1 was already observed at 2026-03-02T09:00:00Z on line 2 "
        "with other counts; keep one row per observation",
        "posts.csv:6: followers: '900' contradicts '800' given for account acme at "
        "2026-03-02T09:00:00Z on line 2; account acme at 2026-03-02T09:00:00Z has one followers",
    ]


def test_identical_duplicate_rows_are_harmless():
    batch = parse_csv(f"{HEADER}\n{GOOD}\n{GOOD}\n")
    assert len(batch.snapshots) == 1


def test_file_level_problems(tmp_path: Path):
    with pytest.raises(ImportFileError, match="no such file"):
        read_csv(tmp_path / "missing.csv")
    unreadable = tmp_path / "unreadable.csv"
    # 0x81 is no character in Windows-1252, and this is not UTF-8 either.
    unreadable.write_bytes(
        f"{HEADER}\n{GOOD}\r\n".encode()
        + "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1,1,1,text,Café".encode("latin-1")
        + b"\x81\n"
    )
    with pytest.raises(ImportFileError) as info:
        read_csv(unreadable)
    assert [str(p) for p in info.value.problems] == [
        f"{unreadable}:3: is not UTF-8 text, nor Windows-1252 (byte 0x81 reads as neither): "
        "save it as 'CSV UTF-8 (comma delimited)'"
    ]
    bom = tmp_path / "bom.csv"
    bom.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8-sig")
    assert read_csv(bom).posts[0].id == "p1"


def test_a_bad_file_writes_nothing(tmp_path: Path, store: Store):
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\n{GOOD}\n")
    store.write(read_csv(good))
    before = store.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEADER}\n"
        "acme,p9,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,5,1,text,fine\n"
        "acme,p10,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,-10,5,1,text,broken\n"
    )
    with pytest.raises(ImportFileError):
        store.write(read_csv(bad))
    assert store.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == before
    assert store.conn.execute("SELECT count(*) FROM posts WHERE id = 'p9'").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "a" * 4000 + ",p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,T",
            "posts.csv:2: account: is 4,000 characters long; an account id has at most 100",
        ),
        (
            "acme," + "7" * 201 + ",2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,T",
            "posts.csv:2: post: is 201 characters long; a post id has at most 200",
        ),
        (
            "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text," + "t" * 3001,
            "posts.csv:2: title: is 3,001 characters long; LinkedIn posts have at most 3,000",
        ),
        (
            "ac\u200bme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,T",
            "posts.csv:2: account: has an invisible character (U+200B) in it; type the id again",
        ),
        (
            "acme,p\u202e1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,T",
            "posts.csv:2: post: has an invisible character (U+202E) in it; type the id again",
        ),
        (
            "*acme*,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,T",
            "posts.csv:2: account: '*acme*' has '*' in it, which Slack reads as formatting; "
            "ids use letters, digits and - _ . : /",
        ),
        (
            "acme,p`1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1200,800,30,text,T",
            "posts.csv:2: post: 'p`1' has '`' in it, which Slack reads as formatting; "
            "ids use letters, digits and - _ . : /",
        ),
    ],
)
def test_ids_and_titles_are_capped_and_kept_visible(row: str, expected: str):
    # An id is read back in commands and shown in Slack's 3,000-character sections.
    assert problems(f"{HEADER}\n{row}\n") == [expected]


# -- rows are never lost silently: the file's structure ---------------------------

ROW2 = "acme,p2,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1300,900,31,text,Second"
ROW3 = "acme,p3,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1400,950,32,text,Third"


def test_an_unclosed_quote_at_the_end_of_a_row_is_located():
    """The rows after it would have become one title, and the import succeeded with
    rows missing."""
    text = f'{HEADER}\n{GOOD[: -len("Hello")]}"Hello\n{ROW2}\n{ROW3}\n'
    assert problems(text) == [
        'posts.csv:2: a quote (") opens a cell on this line and is never closed, so every '
        "line after it would be part of that cell: close it, or write a quote that is part "
        'of a cell as two ("")'
    ]


def test_an_unclosed_quote_closed_rows_later_is_located():
    text = f'{HEADER}\n{GOOD[: -len("Hello")]}"Hello\n{ROW2}\n{ROW3[:-5]}"Third"\n{GOOD}\n'
    assert problems(text) == [
        'posts.csv:2: a quote (") opens a cell on this line that runs on to line 4, where it '
        'ends in the middle of a cell: close it, or write a quote that is part of a cell as two ("")'
    ]


def test_a_quoted_cell_holding_whole_rows_is_located():
    """A quote closed by a stray quote at the end of a later cell reads as one long
    cell; the rows it swallowed must not vanish."""
    header = "account,post,published_at,observed_at,impressions,title,format"
    text = (
        f"{header}\n"
        'acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,"Hello,text\n'
        'acme,p2,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,11,Screen 5",text\n'
        "acme,p3,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,12,Third,text\n"
    )
    assert problems(text) == [
        "posts.csv:2: title: the quoted cell runs on to line 3 and holds what looks like a "
        "whole row (line 3): its quote is probably not closed on line 2: close it, or write "
        'a quote that is part of a cell as two ("")'
    ]


def test_a_two_line_title_is_still_one_row():
    text = f'{HEADER}\n{GOOD[: -len("Hello")]}"Hello,\nworld, again"\n{ROW2}\n'
    batch = parse_csv(text, "posts.csv")
    assert [p.title for p in batch.posts] == ["Hello,\nworld, again", "Second"]


def test_an_oversized_cell_is_located_and_the_other_rows_are_checked():
    """It crashed the import, and the files after it were never read."""
    text = f"{HEADER}\n{GOOD}{'x' * 131_073}\n{ROW2.replace('1300', '-1')}\n"
    assert problems(text) == [
        "posts.csv:2: a cell is longer than 131,072 characters: shorten it (a quote opened "
        "on this line and never closed makes one cell of the lines after it)",
        "posts.csv:3: impressions: -1 is negative; counts start at 0",
    ]


@pytest.mark.parametrize(
    "separator",
    ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e"],
    ids=["line-separator", "paragraph-separator", "NEL", "form-feed", "vtab", "fs", "gs", "rs"],
)
def test_characters_python_calls_line_breaks_do_not_split_a_row(separator: str):
    """Only \\n, \\r\\n and \\r end a CSV line; a title holding U+2028 was split in two
    rows and every line number after it was wrong."""
    text = f"{HEADER}\n{GOOD}{separator}more\n{ROW2}\nacme,p4,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,-1,,,text,x\n"
    assert problems(text) == ["posts.csv:4: impressions: -1 is negative; counts start at 0"]
    batch = parse_csv(f"{HEADER}\n{GOOD}{separator}more\n{ROW2}\n")
    assert [p.title for p in batch.posts] == [f"Hello{separator}more", "Second"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("last", ["", "end"], ids=["newline-at-end", "no-newline-at-end"])
def test_line_endings_and_a_last_row_without_one_lose_nothing(newline: str, last: str):
    text = newline.join([HEADER, GOOD, ROW2, ROW3]) + (newline if last == "" else "")
    batch = parse_csv(text)
    assert [p.id for p in batch.posts] == ["p1", "p2", "p3"]
    assert batch.posts[2].title == "Third"
    bad = newline.join([HEADER, GOOD, "", ROW3.replace("1400", "-1")])
    assert problems(bad) == ["posts.csv:4: impressions: -1 is negative; counts start at 0"]


def test_nul_characters_are_refused_with_their_line():
    """A file saved as UTF-16 without a byte-order mark decodes as UTF-8 with a NUL
    after every letter."""
    utf16 = f"{HEADER}\n{GOOD}\n".encode("utf-16-le").decode("utf-8")
    message = (
        "holds a NUL character (byte 00), which CSV text never does: a file saved as "
        "'Unicode Text' (UTF-16) looks like this; save it as 'CSV UTF-8 (comma delimited)'"
    )
    assert problems(utf16) == [f"posts.csv:1: {message}"]
    assert problems(f"{HEADER}\r\n{GOOD}\r\n{ROW2}\x00\n") == [f"posts.csv:3: {message}"]


def test_a_byte_order_mark_in_text_is_dropped_as_read_csv_drops_it():
    assert parse_csv(f"\ufeff{HEADER}\n{GOOD}\n").posts[0].id == "p1"


def test_a_header_of_thousands_of_columns_is_one_problem():
    assert problems(",".join(f"c{i}" for i in range(100_000)) + "\n") == [
        "posts.csv:1: the header has 100,000 columns, and the format has 21 "
        "(docs/data-format.md): is this the right file?"
    ]


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path):
    fifo = tmp_path / "posts.csv"
    os.mkfifo(fifo)
    with pytest.raises(ImportFileError) as info:
        read_csv(fifo)
    assert [str(p) for p in info.value.problems] == [
        f"{fifo}: is not a regular file (a pipe or a device?): save the data to a file"
    ]


def test_rows_read_are_told_chunk_by_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The progress bar of `narrator import` advances as a big file is read."""
    monkeypatch.setattr("bot.ingest.csvfile.CHUNK_ROWS", 2)
    path = tmp_path / "posts.csv"
    path.write_text("\n".join([HEADER, GOOD, ROW2, ROW3, GOOD.replace("p1", "p4")]) + "\n")
    told: list[int] = []
    batch = read_csv(path, on_rows=told.append)
    assert told == [2, 4]
    assert [p.id for p in batch.posts] == ["p1", "p2", "p3", "p4"]
