"""The interchange CSV as spreadsheets save it where the decimal mark is a comma:
semicolons, CRLF, Windows-1252 without a byte-order mark, numbers as `1 200` or
`1200,0`. Each file is written byte for byte as Excel writes it, read, and the import
summary says what was found."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.errors import ImportFileError
from bot.ingest.csvfile import read_csv
from bot.ingest.csvsniff import spreadsheet_number

HEADER = "account;post;published_at;observed_at;impressions;members_reached;reactions;format;title"


def excel_file(path: Path, rows: list[str], encoding: str = "cp1252") -> Path:
    """Rows as Excel's "CSV (separated by semicolons)" saves them: CRLF, no BOM."""
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding))
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ImportFileError) as info:
        read_csv(path)
    return [str(p) for p in info.value.problems]


def test_a_french_excel_file_is_read_and_the_summary_says_how(tmp_path: Path):
    path = excel_file(
        tmp_path / "posts.csv",
        [
            "acme;p1;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;1 200;800;30;text;Lancement réussi",
            "acme;p2;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;12\u00a0345,0;1\u00a0200;2;image;Été",
            'acme;p3;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;1.234.567;;;text;"Prix; offres"',
        ],
    )
    assert b"\xe9" in path.read_bytes()  # é as Windows-1252 writes it: not UTF-8
    batch = read_csv(path)
    assert [p.title for p in batch.posts] == ["Lancement réussi", "Été", "Prix; offres"]
    assert [s.as_dict()["impressions"] for s in batch.snapshots] == [1200, 12345, 1234567]
    assert batch.snapshots[1].as_dict()["members_reached"] == 1200
    assert batch.snapshots[2].as_dict()["members_reached"] is None
    assert batch.notes == (
        "Read as a spreadsheet saved it: columns separated by ';', thousands written apart "
        "(1 200 or 1.200), whole numbers with a decimal comma (1200,0), "
        "Windows-1252 text, not UTF-8.",
    )


def test_a_comma_file_in_utf8_has_no_note(tmp_path: Path):
    path = tmp_path / "posts.csv"
    path.write_text(
        "account,post,published_at,observed_at,impressions\r\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10\r\n",
        encoding="utf-8",
    )
    assert read_csv(path).notes == ()


def test_a_semicolon_file_in_utf8_says_only_the_separator(tmp_path: Path):
    path = excel_file(
        tmp_path / "posts.csv",
        ["acme;p1;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;1200;800;30;text;Café"],
        encoding="utf-8",
    )
    batch = read_csv(path)
    assert batch.posts[0].title == "Café"
    assert batch.notes == ("Read as a spreadsheet saved it: columns separated by ';'.",)


def test_a_windows_1252_comma_file_is_read(tmp_path: Path):
    path = tmp_path / "posts.csv"
    path.write_bytes(
        "account,post,published_at,observed_at,impressions,title\r\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,10,Œuvre – “déjà vu” €\r\n".encode(
            "cp1252"
        )
    )
    batch = read_csv(path)
    assert batch.posts[0].title == "Œuvre – “déjà vu” €"
    assert batch.notes == ("Read as a spreadsheet saved it: Windows-1252 text, not UTF-8.",)


def test_separators_in_a_comma_file_are_still_refused(tmp_path: Path):
    """Only a semicolon file writes numbers a spreadsheet's way; in a comma file
    `1.200` is a decimal, and not a whole number."""
    path = tmp_path / "posts.csv"
    path.write_text(
        "account,post,published_at,observed_at,impressions\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,1.200\n"
        'acme,p2,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,"1 200"\n'
    )
    assert problems_of(path) == [
        f"{path}:2: impressions: '1.200' is not a whole number",
        f"{path}:3: impressions: '1 200' is not a whole number (write digits only, such as 1200)",
    ]


def test_bad_numbers_in_a_semicolon_file_are_quoted_as_written(tmp_path: Path):
    path = excel_file(
        tmp_path / "posts.csv",
        [
            "acme;p1;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;1 200,5;800;30;text;x",
            "acme;p2;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;12 34;;;text;x",
            "acme;p3;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;1 000;2 000;;text;x",
        ],
    )
    assert problems_of(path) == [
        f"{path}:2: impressions: '1 200,5' is not a whole number (write digits only, such as 1200)",
        f"{path}:3: impressions: '12 34' is not a whole number (write digits only, such as 1200)",
        f"{path}:4: members_reached: 2000 is more than impressions (1000); "
        "each member reached counts at least one impression",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", ("1200", ())),
        ("1 200", ("1200", ("thousands",))),
        ("1\u202f200\u202f000", ("1200000", ("thousands",))),
        ("1.200", ("1200", ("thousands",))),
        ("1200,0", ("1200", ("decimal",))),
        ("1 200,00", ("1200", ("thousands", "decimal"))),
        ("1.2", ("1.2", ())),
        ("1 20", ("1 20", ())),
        ("1.200 300", ("1.200 300", ())),  # two kinds of separator: not a number
        ("12,5", ("12,5", ())),
    ],
)
def test_spreadsheet_numbers(text: str, expected: tuple[str, tuple[str, ...]]):
    assert spreadsheet_number(text) == expected


def test_narrator_import_prints_what_was_detected(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    path = excel_file(
        tmp_path / "posts.csv",
        ["acme;p1;2026-03-01T09:00:00Z;2026-03-02T09:00:00Z;1 200;800;30;text;Réussi"],
    )
    result = CliRunner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: 1 account, 1 post (1 new, 0 updated), 1 snapshot (1 new, 0 changed, "
        "0 unchanged). Read as a spreadsheet saved it: columns separated by ';', thousands "
        "written apart (1 200 or 1.200), Windows-1252 text, not UTF-8.\n"
    )
