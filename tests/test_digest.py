"""The weekly digest's words and numbers: the same as last10 at the week's end,
remembered from one digest to the next, and drawn as a chart."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib import image

from bot.cli import cli
from bot.commands import handle
from bot.digest.build import build_digest, week_end
from bot.digest.commands import preview, subscribe
from bot.digest.send import chart_png, digest_for, digest_text
from bot.store import Said, Store, Subscription
from tests.conftest import GOLDEN, check_golden

#: Monday 23 November 2026, 09:00 in Paris: the week of 16 to 22 November.
SENT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def sub(accounts=("demo-creator", "demo-page"), quiet="digest", channel="C0DEMO0001"):
    return Subscription(
        channel, "mon", "09:00", "Europe/Paris", quiet, accounts, "t", "2026-11-01T00:00:00Z"
    )


@pytest.mark.parametrize(
    ("moment", "zone", "end"),
    [
        ("2026-11-23T08:00:00Z", "Europe/Paris", "2026-11-22T23:00:00Z"),
        ("2026-11-23T14:00:00Z", "America/New_York", "2026-11-23T05:00:00Z"),
        # The Monday after the clocks went back: the week is 169 hours long.
        ("2026-10-26T08:00:00Z", "Europe/Paris", "2026-10-25T23:00:00Z"),
    ],
)
def test_the_week_ends_at_local_midnight(moment, zone, end):
    assert week_end(datetime.fromisoformat(moment), zone) == datetime.fromisoformat(end)


def test_the_demo_digest_reads_as_written(demo_store, pack):
    digest = digest_for(demo_store, pack, sub(), SENT)
    check_golden("digest-demo.txt", digest_text(pack, digest, sub()))


def test_digest_and_last10_never_disagree(demo_store, pack):
    """Every post the digest names carries last10's number and figures at the same moment:
    the account's week's end, its last midnight before the digest is sent (the demo
    accounts are in UTC, the subscription in Paris: an hour after END)."""
    digest = digest_for(demo_store, pack, sub(), SENT)
    for part in digest.context["accounts"]:
        account = part["account"]["id"]
        at = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
        last10 = handle(f"last10 {account}", store=demo_store, pack=pack, at=at)
        shown = {p["id"]: p for p in last10.context["posts"]}
        groups = [*part["learn"], *part["under"], *part["standouts"]]
        assert groups, account
        for group in groups:
            post = group["post"]
            assert {
                k: post[k]
                for k in ("number", "impressions", "members_reached", "saves_shares_per_1k")
            } == {
                k: shown[post["id"]][k]
                for k in ("number", "impressions", "members_reached", "saves_shares_per_1k")
            }
        fired = {(f["rule"]) for f in last10.context["across"]}
        assert fired == {f["rule"] for f in [*part["reading"], *part["across"]]}


def test_findings_are_marked_new_still_open_or_resolved(demo_store, pack):
    history = [
        (
            "2026-11-15T23:00:00Z",
            [
                Said("demo-creator", "digest", "", "info"),
                Said("demo-creator", "urn:li:x:1", "narrow-audience", "warning"),
                Said("demo-creator", "urn:li:x:2", "low-engagement", "warning"),
            ],
        ),
        (
            "2026-11-08T23:00:00Z",
            [
                Said("demo-creator", "digest", "", "info"),
                Said("demo-creator", "urn:li:x:0", "narrow-audience", "warning"),
            ],
        ),
    ]
    digest = build_digest(
        demo_store, pack, ["demo-creator"], end=END, zone="Europe/Paris", history=history
    )
    (part,) = digest.context["accounts"]
    memory = {
        f["rule"]: f["memory"] for g in part["standouts"] + part["learn"] for f in g["findings"]
    }
    assert memory == {
        "narrow-audience": {"new": False, "weeks": 3},
        "recycling-not-expanding": {"new": True, "weeks": 1},
        "top-saves-shares": {"new": True, "weeks": 1},
        "quality-beats-reach": {"new": True, "weeks": 1},
    }
    assert part["resolved"] == [{"rule": "low-engagement", "scope": "posts"}]
    text = pack.narrator.render("digest.j2", **digest.context)
    assert "_Still open: 3 weeks running._" in text
    assert (
        ":white_check_mark: `low-engagement` on your posts: flagged in the last digest, clear this week."
        in text
    )


def test_a_first_digest_marks_nothing(demo_store, pack):
    digest = build_digest(demo_store, pack, ["demo-creator"], end=END, zone="Europe/Paris")
    text = pack.narrator.render("digest.j2", **digest.context)
    assert "New this week" not in text
    assert "Resolved" not in text


def test_a_quiet_week_is_one_line_when_asked(demo_store, pack):
    quiet = sub(accounts=("demo-creator",), quiet="line")
    long_ago = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # before the demo's first post
    digest = digest_for(demo_store, pack, quiet, long_ago)
    assert digest.quiet
    assert digest_text(pack, digest, quiet) == (
        "*Weekly digest: 29 Dec to 4 Jan 2026*: nothing worth saying this week for Demo Creator.\n"
    )
    assert digest_text(pack, digest, sub(accounts=("demo-creator",))).startswith(
        "*Weekly digest: 29 Dec"
    )
    assert not digest_for(demo_store, pack, quiet, SENT).quiet


def test_a_preview_of_a_week_without_data_shows_the_last_week_with_some(demo_db, pack):
    with Store(demo_db) as store:
        store.subscribe(sub(accounts=("demo-creator",)))
        shown = preview(
            store, pack, channel="C0DEMO0001", at=datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
        )
        assert store.digest_history("C0DEMO0001", SENT) == []  # a preview remembers nothing
    lines = shown.reply.text.splitlines()
    assert lines[:2] == [
        "*Weekly digest: 16 Nov to 22 Nov 2026* (Europe/Paris)",
        "_No data yet for the week to 1 Dec: this is the last week with data._",
    ]


def test_the_chart_matches_its_golden_image(demo_store, pack):
    png, words = chart_png(pack, digest_for(demo_store, pack, sub(), SENT))
    assert words["alt"].startswith("Scatter chart of 7 posts from 16 Nov to 22 Nov")
    path = GOLDEN / "digest-chart.png"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(png)
    got = image.imread(io.BytesIO(png), format="png")
    want = image.imread(path, format="png")
    assert got.shape == want.shape == (600, 960, 4)
    # Pixel-tolerant: anti-aliasing may differ by a shade between freetype builds.
    differ = np.abs(got - want).max(axis=2) > 0.1
    assert differ.mean() < 0.005


def test_a_chart_is_the_same_pixels_every_time(demo_store, pack):
    digest = digest_for(demo_store, pack, sub(), SENT)
    assert chart_png(pack, digest)[0] == chart_png(pack, digest)[0]


@pytest.mark.parametrize(
    ("weekly", "zone", "expected"),
    [
        (
            ("1", "09:00"),
            "Europe/Paris",
            "`1` is not a day I can read: numbers mean Monday to some and Sunday to others: write the day's name (mon, tue, wed, thu, fri, sat, sun).\n",
        ),
        (
            ("mon", "9am"),
            "Europe/Paris",
            "`9am` is not a time I can read: write it on the 24-hour clock. Did you mean `09:00`?\n",
        ),
        (
            ("mon", "09:00"),
            "europe/paris",
            "`europe/paris` is not a time zone I can read: time zone names are case-sensitive. Did you mean `Europe/Paris`?\n",
        ),
    ],
)
def test_subscribe_refuses_bad_days_times_and_zones(demo_store, pack, weekly, zone, expected):
    reply = subscribe(
        demo_store,
        pack,
        channel="C1",
        accounts=["demo-creator"],
        day=weekly[0],
        time=weekly[1],
        zone=zone,
        by="t",
        at=SENT,
    )
    assert not reply.ok
    assert reply.text == expected


def test_subscribe_refuses_unknown_accounts_and_channels_without_any(demo_db, pack):
    with Store(demo_db) as store:
        typo = subscribe(
            store,
            pack,
            channel="C1",
            accounts=["demo-creater"],
            day="mon",
            time="09:00",
            zone="UTC",
            by="t",
            at=SENT,
        )
        nothing = subscribe(
            store,
            pack,
            channel="C1",
            accounts=[],
            day="mon",
            time="09:00",
            zone="UTC",
            by="t",
            at=SENT,
        )
        assert store.subscriptions() == []
    assert "did you mean" in typo.text.lower()
    assert "demo-creator" in typo.text
    assert nothing.text.startswith("No account is linked to C1")


def test_the_done_when_from_the_terminal(tmp_path: Path, root: Path):
    """narrator demo, digest subscribe, digest preview --chart: the issue's steps."""
    runner = CliRunner()
    env = {
        "NARRATOR_DB": str(tmp_path / "n.db"),
        "NARRATOR_RULES": str(root / "rules"),
        "NARRATOR_NARRATIVES": str(root / "narratives"),
    }
    assert runner.invoke(cli, ["demo"], env=env).exit_code == 0
    made = runner.invoke(
        cli,
        [
            "digest",
            "subscribe",
            "--channel",
            "C0DEMO0001",
            "--account",
            "demo-creator",
            "--weekly",
            "mon",
            "09:00",
            "--tz",
            "Europe/Paris",
        ],
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert made.output.startswith(
        "Subscribed C0DEMO0001 to a weekly digest every Monday at 09:00 (Europe/Paris), for demo-creator."
    )
    chart = tmp_path / "digest.png"
    shown = runner.invoke(
        cli,
        [
            "digest",
            "preview",
            "--channel",
            "C0DEMO0001",
            "--at",
            "2026-11-23T09:00:00+01:00",
            "--chart",
            str(chart),
        ],
        env=env,
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith(
        "Weekly digest: 16 Nov to 22 Nov 2026 (Europe/Paris)\n\n"
        "Demo Creator (its weeks and times in UTC) · "
    )
    assert chart.read_bytes().startswith(b"\x89PNG")
    listed = runner.invoke(cli, ["digest", "list"], env=env)
    assert "C0DEMO0001: Mondays at 09:00 (Europe/Paris), demo-creator" in listed.output
    off = runner.invoke(cli, ["digest", "off", "--channel", "C0DEMO0001"], env=env)
    assert off.output == "C0DEMO0001 will get no more weekly digests.\n"
    bad = runner.invoke(cli, ["clock", "--at", "2026-11-23T08:00:00Z"], env=env)
    assert bad.exit_code == 2
    assert "--at needs --once" in bad.output


@pytest.mark.parametrize(
    ("zone", "week_end"),
    [
        # In the subscription's zone: midnight starting the digest's day.
        ("Europe/Paris", datetime(2026, 11, 22, 23, 0, tzinfo=UTC)),
        # In UTC: Monday's midnight there, an hour later, so Sunday evening counts.
        ("UTC", datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
        # In New York (sent at 03:00 there): Monday's midnight there, 05:00 UTC.
        ("America/New_York", datetime(2026, 11, 23, 5, 0, tzinfo=UTC)),
        # In Tokyo: Monday began at 15:00 UTC on Sunday.
        ("Asia/Tokyo", datetime(2026, 11, 22, 15, 0, tzinfo=UTC)),
    ],
)
def test_each_account_s_week_ends_at_its_own_last_midnight_before_sending(
    demo_db, pack, zone, week_end
):
    from bot.commands.loading import measure

    with Store(demo_db) as store:
        store.set_timezone("demo-creator", zone)
        digest = digest_for(store, pack, sub(accounts=("demo-creator",)), SENT)
        (part,) = digest.context["accounts"]
        row = measure(store, "demo-creator", week_end).account_metrics.record(0)
    assert part["week"]["impressions_week"] == pytest.approx(row["impressions_week"])
    assert part["week"]["posts_week"] == row["posts_week"]
    named = "(its weeks and times in" in digest_text(pack, digest, sub())
    assert named == (zone != "Europe/Paris")
