"""Filters, Slack escaping, and the sandbox the templates run in."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from bot.narrate.filters import Mrkdwn, escape_mrkdwn, finalize, make_filters
from bot.narrate.render import Narrator

NAN = float("nan")
EN = make_filters("en")
FR = make_filters("fr")


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("ratio", (5.34,), "1:5.3"),
        ("ratio", (1.0,), "1:1.0"),
        ("ratio", (5, 0), "1:5"),
        ("pct", (0.0312,), "3.1%"),
        ("pct", (0.02, 0), "2%"),
        ("signed_pct", (1.5,), "+150%"),
        ("signed_pct", (-0.2,), "-20%"),
        ("signed_pct", (-0.001,), "0%"),  # rounds to nothing: never "-0%"
        ("signed_pct", (0.004,), "0%"),
        ("signed_pct", (-0.004, 1), "-0.4%"),
        ("count", (0.75, "interaction", "interactions"), "1 interaction"),
        ("pct", (20 / 1005, 1, False, 0.02), "1.99%"),  # not "2.0%, below the 2%"
        ("pct", (0.0312, 1, False, 0.02), "3.1%"),
        ("pct", (0.02, 1, False, 0.02), "2.0%"),
        ("ratio", (1008 / 200, 1, 5), "1:5.04"),  # not "1:5.0, past 1:5"
        ("ratio", (6.0, 1, 5), "1:6.0"),
        ("ratio", (5.04, 1, None), "1:5.0"),
        ("pct", (0.0195, 1, False, 0.02), "1.95%"),  # half-way: Babel would write 2.0%
        ("pct", (0.01495, 1, False, 0.015), "1.495%"),
        ("num", (4.5, 0, 4), "4.5"),  # a median hour past hour 4, not "hour 4"
        ("num", (5.0, 0, 4), "5"),
        ("count", (1.4, "reply", "replies"), "1 reply"),
        ("count", (1.6, "reply", "replies"), "2 replies"),
        ("count", (0, "reply", "replies"), "0 replies"),
        ("compact", (12345,), "12.3k"),
        ("compact", (80000,), "80k"),
        ("compact", (1234567,), "1.2M"),
        ("compact", (9876,), "9,876"),
        ("num", (1234.5,), "1,234"),
        ("num", (1234.56, 1), "1,234.6"),
        ("per1k", (4.25,), "4.2"),
        ("times", (2.44,), "2.4×"),
        ("age", (10,), "10 hours"),
        ("age", (80,), "3 days"),
        ("day", ("2026-11-21T09:00:00Z",), "21 Nov"),
        ("moment", ("2026-11-21T09:05:00Z",), "21 Nov 2026, 09:05 UTC"),
        # In the account's zone: a late Saturday in UTC is Sunday in Paris.
        ("day", ("2026-11-21T23:30:00Z", "d MMM", "Europe/Paris"), "22 Nov"),
        (
            "moment",
            ("2026-11-21T23:30:00Z", True, "Europe/Paris"),
            "22 Nov 2026, 00:30 Europe/Paris",
        ),
        ("moment", ("2026-11-21T09:05:00Z", False, "Europe/Paris"), "21 Nov 2026, 10:05"),
        ("clock", ("2026-11-24T08:00:00Z",), "Tue 08:00"),
        # Summer time: 07:00 UTC is 09:00 in Paris on 31 March, after the change.
        ("clock", ("2026-03-31T07:00:00Z", "EEE HH:mm", "Europe/Paris"), "Tue 09:00"),
        ("clip", ("a  long\ntitle here", 10), "a long ti…"),
        ("clip", (None, 10), ""),
    ],
)
def test_english_filters(name, args, expected):
    assert EN[name](*args) == expected


def test_french_filters_follow_french_conventions():
    # Babel's French: a narrow no-break space groups thousands, a no-break space
    # comes before %, a comma before decimals; the pattern is the locale's, not ours.
    assert FR["num"](12345) == "12\u202f345"
    assert FR["pct"](0.0312) == "3,1\xa0%"
    assert FR["pct"](0.034, 1) == "3,4\xa0%"
    assert FR["signed_pct"](0.6) == "+60\xa0%"
    assert FR["ratio"](5.2) == "1:5,2"
    assert FR["ratio"](5.34) == "1:5,3"
    assert FR["compact"](12345) == "12,3\xa0k"
    assert FR["day"]("2026-11-21T09:00:00Z") == "21 nov."
    assert FR["day"]("2026-11-23T09:00:00Z", "EEE d MMM") == "lun. 23 nov."
    assert FR["weekday"](1) == "mardi"
    assert FR["moment"]("2026-11-23T18:00:00Z") == "23 nov. 2026, 18:00 UTC"


@pytest.mark.parametrize(
    ("value", "english", "french"),
    [
        (0, "0 replies", "0 réponse"),  # French counts zero as one
        (1, "1 reply", "1 réponse"),
        (1.4, "1 reply", "1 réponse"),
        (2, "2 replies", "2 réponses"),
        (1500, "1,500 replies", "1\u202f500 réponses"),
    ],
)
def test_count_agrees_with_the_number_in_each_language(value, english, french):
    assert EN["count"](value, "reply", "replies") == english
    assert FR["count"](value, "réponse", "réponses") == french


def test_weekday_names_follow_the_locale():
    assert [EN["weekday"](d) for d in (0, 6)] == ["Monday", "Sunday"]
    assert [FR["weekday"](d) for d in (0, 6)] == ["lundi", "dimanche"]


@pytest.mark.parametrize(
    "name", ["ratio", "pct", "signed_pct", "compact", "num", "per1k", "times", "age"]
)
def test_missing_values_print_as_a_dash_never_nan(name):
    assert EN[name](None) == "—"
    assert EN[name](NAN) == "—"


def test_escaping_neutralises_every_mention_and_link():
    hostile = (
        "<!channel> <!here> <!everyone> <@U123> <#C42> <!subteam^S1> <https://x.io|click> & more"
    )
    escaped = escape_mrkdwn(hostile)
    assert "<" not in escaped
    assert ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt; &lt;!here&gt;")
    assert "&amp; more" in escaped
    assert finalize(hostile) == escaped
    assert finalize(Mrkdwn("<https://ok|fine>")) == "<https://ok|fine>"
    assert finalize(None) == "—"


def test_links_cannot_be_broken_out_of():
    link = EN["link"]
    assert link("https://www.linkedin.com/feed/update/1/", "My <!channel> post") == (
        "<https://www.linkedin.com/feed/update/1/|My &lt;!channel&gt; post>"
    )
    assert link("https://lnkd.in/a|b", "a|b") == "<https://lnkd.in/a%7Cb|a¦b>"
    assert link("javascript:alert(1)", "x") == "x"
    assert link(None, "<@U1>") == "&lt;@U1&gt;"


@pytest.fixture
def narrator(tmp_path: Path) -> Narrator:
    (tmp_path / "en").mkdir()
    return Narrator(tmp_path, "en")


def write(narrator: Narrator, name: str, text: str) -> None:
    path = narrator.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_times_are_written_in_the_zone_the_reply_names(narrator: Narrator):
    write(
        narrator,
        "t.j2",
        "{{ t|day }} {{ t|clock }} {{ t|moment }} / {{ t|clock(zone='America/New_York') }}"
        "{% for zone in ['UTC'] %} / {% include 'u.j2' %}{% endfor %}",
    )
    write(narrator, "u.j2", "{{ t|clock }}")  # an included part sees the zone set around it
    text = narrator.render("t.j2", t="2026-03-29T22:30:00Z", zone="Europe/Paris")
    assert text.strip() == (
        "30 Mar Mon 00:30 30 Mar 2026, 00:30 Europe/Paris / Sun 18:30 / Sun 22:30"
    )
    # A context that names no zone speaks UTC, as every time before zones did.
    assert narrator.render("t.j2", t="2026-03-29T22:30:00Z").startswith("29 Mar Sun 22:30")


def test_every_value_is_escaped_but_template_text_is_not(narrator: Narrator):
    write(narrator, "t.j2", "*Post:* {{ title }} {{ n|num }} <{{ url }}|link>")
    out = narrator.render("t.j2", title="<!channel> Q&A", n=1200, url="https://x")
    assert out == "*Post:* &lt;!channel&gt; Q&amp;A 1,200 <https://x|link>\n"


def test_html_autoescape_is_off(narrator: Narrator):
    write(narrator, "t.j2", "{{ text }}")
    assert narrator.render("t.j2", text='We\'ve "won"') == 'We\'ve "won"\n'


def test_undefined_values_fail_loudly(narrator: Narrator):
    write(narrator, "t.j2", "{{ values.nope|num }}")
    with pytest.raises(UndefinedError):
        narrator.render("t.j2", values={})
    write(narrator, "u.j2", "{{ missing_name }}")
    with pytest.raises(UndefinedError):
        narrator.render("u.j2")


def test_the_sandbox_refuses_python_internals(narrator: Narrator):
    write(narrator, "t.j2", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SecurityError):
        narrator.render("t.j2")
    write(narrator, "u.j2", "{{ values.update({'x': 1}) }}")
    with pytest.raises(SecurityError):
        narrator.render("u.j2", values={})


def test_blocks_render_as_single_paragraphs(narrator: Narrator):
    write(narrator, "r.j2", "{% block finding %}\nOne\n  two {{ n|num }}.\n{% endblock %}")
    assert narrator.block("r.j2", "finding", n=3) == "One two 3."
    assert narrator.block("r.j2", "next", n=3) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/feed/update/1/",
        "http://www.linkedin.com/feed/update/1/",  # not encrypted
        "https://www.linkedin.com.evil.example/x",
        "https://evil.example\\@www.linkedin.com/x",  # browsers read \ as /
        "https://user@www.linkedin.com/x",
        "https://www.linkedin.com:8443/x",
        "https://www.linkedin.com/x y",
        "https://xn--linkedn-9ya.com/x",
        "https://notlinkedin.com/x",
    ],
)
def test_links_go_only_to_linkedin(url: str):
    assert EN["link"](url, "Post") == "Post"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/feed/update/urn:li:activity:1/",
        "https://linkedin.com/posts/jane_x-activity-1-AbCd",
        "https://WWW.LinkedIn.com/feed/update/1/",
        "https://lnkd.in/eAbC123",
    ],
)
def test_linkedin_links_stay_links(url: str):
    assert EN["link"](url, "Post") == f"<{url}|Post>"


def test_markup_and_invisible_characters_in_values_are_neutralised():
    hostile = "*bold* `code` ```fence``` ~strike~ _italic_ a\u202eb\u2066c\u200bd\ufeff\x1b[31m\x00"
    shown = finalize(hostile)
    for marker in ("*", "`", "~", "\u202e", "\u2066", "\u200b", "\ufeff", "\x1b", "\x00"):
        assert marker not in shown, repr(marker)
    assert " _" not in shown
    assert "_ " not in shown
    assert finalize("acme_corp min_rate") == "acme_corp min_rate"  # no italics inside words
    assert finalize("two\nlines\tand tab") == "two\nlines\tand tab"
    assert finalize("👩\u200d💻 team") == "👩\u200d💻 team"  # an emoji's joiner is kept
    assert EN["link"]("https://lnkd.in/x", "*a* `b`").count("*") == 0
    assert "`" not in finalize(EN["clip"]("``` break out", 70))


def test_code_keeps_what_a_condition_needs(narrator: Narrator):
    write(narrator, "c.j2", "`{{ c|code }}`")
    out = narrator.render("c.j2", c="a * b < 2 and x_y > 1\u202e`")
    assert out == "`a * b &lt; 2 and x_y &gt; 1ˋ`\n"
