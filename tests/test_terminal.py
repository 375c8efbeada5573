"""The terminal's rendering: the same words as Slack, without Slack's markup."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest

from bot.checkin.build import due_checkins
from bot.checkin.send import checkin_text
from bot.commands import Caller, handle
from bot.commands.loading import measure
from bot.digest.send import digest_for, digest_text
from bot.narrate.samples import SAMPLES
from bot.store import Subscription
from bot.terminal.mrkdwn import parse
from bot.terminal.render import plain, show
from tests.conftest import check_golden
from tests.test_demo import forked_cli, run_cli

POST = "urn:li:activity:7310300000000023757"

#: What Slack's markup looks like, any of which in terminal text is a leak.
SLACK_MARKUP = {
    "escape": re.compile(r"&(amp|lt|gt);"),
    "fence": re.compile(r"```"),
    "code": re.compile(r"`"),
    "link": re.compile(r"<(https?://|mailto:|@|#|!)[^>]*>"),
    "emoji": re.compile(r"(?<!\w):[a-z0-9_+-]{3,}:(?!\w)"),
    "bold": re.compile(r"(?<![\w*])\*[^*\s][^*\n]*\*(?![\w*])"),
    "italic": re.compile(r"(?<![\w_])_[^_\s][^_\n]*_(?![\w_])"),
}


def leaks(text: str) -> dict[str, list[str]]:
    found = {name: pattern.findall(text) for name, pattern in SLACK_MARKUP.items()}
    return {name: hits for name, hits in found.items() if hits}


def test_the_demo_in_a_pipe_is_plain_text_and_golden(tmp_path):
    result = run_cli(["demo"], tmp_path / "demo.db", "0")
    assert result.returncode == 0, result.stderr
    check_golden("demo-terminal.txt", result.stdout)
    assert "\x1b" not in result.stdout
    assert not leaks(result.stdout)
    assert " ▲ " not in result.stdout
    assert "▲ Narrow audience." in result.stdout
    # The link's title, then its address; the table's header over a rule.
    assert (
        "#3 Three questions I ask before every product launch "
        "(https://www.linkedin.com/feed/update/urn:li:activity:7310300000000023757/)"
    ) in result.stdout
    assert re.search(r"^ #\s+Date\s+Format\s+Impressions\s+Reach", result.stdout, re.M)
    assert "─" * 40 in result.stdout


def test_ask_slack_format_is_the_mrkdwn_slack_gets(tmp_path, demo_store, pack, demo_now):
    db = tmp_path / "demo.db"
    assert forked_cli(["demo"], db).returncode == 0
    at = demo_now.isoformat()
    slack = forked_cli(["ask", "last10 demo-creator", "--format", "slack", "--at", at], db)
    text = forked_cli(["ask", "last10 demo-creator", "--at", at], db)
    assert slack.returncode == text.returncode == 0
    assert (
        slack.stdout == handle("last10 demo-creator", store=demo_store, pack=pack, at=demo_now).text
    )
    assert text.stdout == plain(slack.stdout)
    assert leaks(slack.stdout)
    assert not leaks(text.stdout)


@pytest.mark.parametrize(
    ("command", "golden"),
    [(f"why {POST}", "why-terminal.txt"), (f"post {POST}", "post-terminal.txt")],
)
def test_why_and_post_in_a_pipe_are_golden(demo_store, pack, demo_now, command, golden):
    reply = handle(command, store=demo_store, pack=pack, at=demo_now)
    text = plain(reply.text)
    check_golden(golden, text)
    assert not leaks(text)


def test_the_digest_and_the_checkin_previews_are_plain(demo_store, pack):
    sub = Subscription(
        "C0DEMO0001",
        "mon",
        "09:00",
        "Europe/Paris",
        "digest",
        ("demo-creator", "demo-page"),
        "t",
        "2026-11-01T00:00:00Z",
    )
    sent = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    digest = plain(digest_text(pack, digest_for(demo_store, pack, sub, sent), sub))
    check_golden("digest-terminal.txt", digest)
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    (checkin,) = due_checkins(measure(demo_store, "demo-creator", moment), moment)
    text = plain(checkin_text(pack, checkin))
    check_golden("checkin-terminal.txt", text)
    assert not leaks(digest)
    assert not leaks(text)


def samples():
    for name, contexts in SAMPLES.items():
        if name.startswith("slack/"):
            continue  # Block Kit's words, never printed in a terminal
        for index, context in enumerate(contexts):
            yield pytest.param(name, context, id=f"{name}#{index}")


@pytest.mark.parametrize(("name", "context"), list(samples()))
def test_no_slack_markup_survives_in_any_templates_samples(pack, name, context):
    mrkdwn = pack.narrator.render(name, **context)
    text = plain(mrkdwn)
    assert not leaks(text), (name, leaks(text), text)
    # Data comes through as written: the sample title's < & > are not escapes.
    if "A &lt;sample&gt; &amp; post" in mrkdwn:
        assert "A <sample> & post" in text


def test_a_terminal_gets_bold_colour_and_links(pack):
    mrkdwn = pack.narrator.render("last10.j2", **SAMPLES["last10.j2"][0])
    out = io.StringIO()
    show(mrkdwn, out, force_terminal=True)
    styled = out.getvalue()
    assert "\x1b[1m" in styled  # bold
    assert re.search(r"\x1b\[[0-9;]*3[1-6]m", styled)  # a colour (severity)
    assert "\x1b]8;" in styled  # a hyperlink a terminal can open
    # Stripped of its styling, a terminal reads what a pipe reads.
    bare = re.sub(r"\x1b\]8;[^\x1b]*\x1b\\|\x1b\[[0-9;]*m", "", styled)
    assert [line.rstrip() for line in bare.splitlines()] == [
        line.rstrip() for line in plain(mrkdwn).splitlines()
    ]


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("*bold* and _italic_ and ~gone~", "bold and italic and gone"),
        ("acme_corp and min_rate stay", "acme_corp and min_rate stay"),
        ("`r&amp;d` &lt;b&gt;", "r&d <b>"),
        ("<https://lnkd.in/x|A ∗big∗ title>", "A *big* title (https://lnkd.in/x)"),
        ("<https://lnkd.in/x>", "https://lnkd.in/x"),
        ("<@U0ADMIN> in <#C01|general> <!here>", "@U0ADMIN in #general @here"),
        (":red_circle: :large_orange_circle: :large_blue_circle: :large_green_circle:", "✖ ▲ ● ✔"),
        ("at 09:00:00 :not_an_emoji:", "at 09:00:00 :not_an_emoji:"),
        ("*#3 <https://lnkd.in/x|Title>* · 18 Nov", "#3 Title (https://lnkd.in/x) · 18 Nov"),
        ("a * b * c", "a * b * c"),
        ("[bold]not markup[/bold] [link=x]", "[bold]not markup[/bold] [link=x]"),
        ("```\nonly one line\n```", "only one line"),
    ],
)
def test_mrkdwn_reads_as_plain_words(mrkdwn, expected):
    assert plain(mrkdwn) == expected + "\n"


def test_a_fence_in_columns_is_a_table_and_keeps_its_alignment():
    (block,) = parse("```\n #  Name   Views\n 1  Acme   1,234\n10  B Co Ltd  12\n```")
    assert block.rows == (
        ("#", "Name", "Views"),
        ("1", "Acme", "1,234"),
        ("10", "B Co Ltd", "12"),
    )
    assert block.right == (True, False, True)
    (ragged,) = parse("```\na  b\nc\n```")
    assert ragged.rows is None
    assert ragged.lines == ("a  b", "c")


def test_the_terminal_caller_matches_the_slack_words(demo_store, pack, demo_now):
    """What the terminal prints is Slack's text read back: every word of it."""
    for command in ("last10 demo-page", f"why {POST}", "rules", "accounts", "help"):
        for front in ("terminal", "slack"):
            reply = handle(
                command, store=demo_store, pack=pack, at=demo_now, caller=Caller(front=front)
            )
            words = re.findall(r"[A-Za-z]{4,}", plain(reply.text))
            assert words, command
            source = reply.text.replace("∗", "*")
            for word in words:
                assert word in source, (command, word)
