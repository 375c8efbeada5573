"""The command handler both front doors share: account resolution, help, escaping."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from bot.commands import Caller, handle
from bot.commands.last10 import rows
from bot.ingest.csvfile import parse_csv
from bot.metrics.table import Table
from bot.pack import Pack
from bot.store import Store

AT = datetime(2026, 3, 10, tzinfo=UTC)
CSV = """account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts,title,url
{account},p-{account},2026-03-01T09:00:00Z,2026-03-05T09:00:00Z,1200,{reach},30,4,2,{title},https://www.linkedin.com/feed/update/urn:li:activity:1/
"""


def add(store: Store, account: str, title: str = "Hello", reach: int = 600) -> None:
    store.write(parse_csv(CSV.format(account=account, title=title, reach=reach), f"{account}.csv"))


def test_no_data_yet(store: Store, pack: Pack):
    reply = handle("last10", store=store, pack=pack, at=AT)
    assert not reply.ok
    assert reply.text.startswith("There is no LinkedIn data to read yet: import an export file")


def test_the_only_account_may_be_left_out(store: Store, pack: Pack):
    add(store, "acme")
    reply = handle("last10", store=store, pack=pack, at=AT)
    assert reply.ok
    assert reply.kind == "last10"
    assert reply.data["account"] == "acme"


def test_with_several_accounts_one_must_be_named(store: Store, pack: Pack):
    add(store, "acme")
    add(store, "globex")
    reply = handle("last10", store=store, pack=pack, at=AT)
    assert not reply.ok
    assert reply.text == "Which account? Say `last10 ACCOUNT` with one of: `acme`, `globex`.\n"


def test_an_unknown_account_gets_a_suggestion_and_the_list(store: Store, pack: Pack):
    add(store, "acme")
    add(store, "globex")
    reply = handle("last10 acmee", store=store, pack=pack, at=AT)
    assert not reply.ok
    assert reply.text == (
        "I have no account called `acmee`. Did you mean `acme`? "
        "You can ask about: `acme`, `globex`.\n"
    )


def test_accounts_the_caller_may_not_see_are_never_named(store: Store, pack: Pack):
    add(store, "acme")
    add(store, "secret-client")
    reply = handle(
        "last10 secret-client",
        store=store,
        pack=pack,
        at=AT,
        caller=Caller(visible=frozenset({"acme"})),
    )
    assert not reply.ok
    assert "secret-client" in reply.text  # echoes what the user typed...
    assert reply.text.count("secret-client") == 1  # ...but lists only what they may see
    assert "`acme`" in reply.text
    single = handle(
        "last10", store=store, pack=pack, at=AT, caller=Caller(visible=frozenset({"acme"}))
    )
    assert single.data["account"] == "acme"


def test_unknown_subcommand_suggests_the_closest(store: Store, pack: Pack):
    reply = handle("last01", store=store, pack=pack, at=AT)
    assert not reply.ok
    assert reply.text.startswith("I don't know `last01`. Did you mean `last10`?")


def test_help_and_empty_text(store: Store, pack: Pack):
    assert handle("", store=store, pack=pack, at=AT).kind == "help"
    reply = handle("help", store=store, pack=pack, at=AT)
    assert "`last10 [ACCOUNT]`" in reply.text


def test_too_many_arguments(store: Store, pack: Pack):
    add(store, "acme")
    reply = handle("last10 acme extra", store=store, pack=pack, at=AT)
    assert not reply.ok
    assert reply.text == "That command takes this shape: `last10 [ACCOUNT] [public]`.\n"


def test_hostile_titles_and_typed_words_are_escaped(store: Store, pack: Pack):
    # A 1:12 ratio makes the post stand out, so its title is shown.
    add(store, "acme", title='"<!channel> Q&A <@U123> <https://evil.example|click>"', reach=100)
    reply = handle("last10", store=store, pack=pack, at=AT)
    assert reply.data["findings"][0]["rule"] == "narrow-audience"
    assert "<!channel>" not in reply.text
    assert "<@U123>" not in reply.text
    assert "&lt;!channel&gt; Q&amp;A &lt;@U123&gt;" in reply.text
    typed = handle("<!here>", store=store, pack=pack, at=AT)
    assert "<!here>" not in typed.text
    assert "&lt;!here&gt;" in typed.text


def test_lists_give_each_item_a_line_of_its_own(store: Store, pack: Pack):
    # A line ending in a block tag lost its line break (trim_blocks), which ran
    # every account, and every rule, into one line.
    add(store, "acme")
    add(store, "globex")
    accounts = handle("accounts", store=store, pack=pack, at=AT).text.splitlines()
    assert [line.split()[1] for line in accounts if line.startswith("• ")] == [
        "`acme`",
        "`globex`",
    ]
    rules = handle("rules", store=store, pack=pack, at=AT).text.splitlines()
    listed = [line.split("*")[1] for line in rules if line.startswith(":")]
    assert listed == [rule.id for rule in pack.ruleset.rules]


def test_rows_read_python_values_from_a_pandas_frame_of_any_column_types():
    """The digest hands rows a pandas frame's rows as a Table: each cell a plain Python
    value, missing as None (text, times) or NaN (numbers), never pd.NA or NaT."""
    frame = pd.DataFrame(
        {
            "title": ["a", None, "c"],
            "impressions": [1200.0, np.nan, 3.5],
            "posts": [1, 2, 3],
            "published_at": pd.to_datetime(["2026-01-01T09:00Z", "2026-01-02T10:00Z", None]),
            "flag": [True, False, True],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "known": pd.array([True, None, False], dtype="boolean"),
            "name": pd.array(["x", None, "z"], dtype="string"),
        },
        index=["p1", "p2", "p3"],
    )
    got = list(rows(Table.of(frame)))
    assert [index for index, _ in got] == ["p1", "p2", "p3"]
    first, second, third = (row for _, row in got)
    assert list(first) == list(frame.columns)
    assert first == {
        "title": "a",
        "impressions": 1200.0,
        "posts": 1,
        "published_at": datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
        "flag": True,
        "count": 1.0,
        "known": 1.0,
        "name": "x",
    }
    assert type(first["posts"]) is int
    assert type(first["flag"]) is bool
    assert second["title"] is None
    assert second["name"] is None
    assert math.isnan(second["impressions"])
    assert math.isnan(second["count"])
    assert math.isnan(second["known"])
    assert third["published_at"] is None
    assert list(rows(Table.of(frame.head(0)))) == []


def test_post_numbers_match_last10_when_posts_share_a_time(store: Store, pack: Pack):
    text = (
        "account,post,published_at,observed_at,impressions\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-02T09:00:00Z,100\n"
        "acme,p2,2026-03-03T09:00:00Z,2026-03-04T09:00:00Z,100\n"
        "acme,p3,2026-03-03T09:00:00Z,2026-03-04T09:00:00Z,100\n"
    )
    store.write(parse_csv(text, "tie.csv"))
    at = datetime(2026, 3, 10, tzinfo=UTC)
    shown = handle("last10 acme", store=store, pack=pack, at=at).context["posts"]
    places = {p["id"]: p["number"] for p in shown}
    assert places == {"p3": 1, "p2": 2, "p1": 3}
    for post_id, number in places.items():
        assert (
            handle(f"post {post_id}", store=store, pack=pack, at=at).context["post"]["number"]
            == number
        )


def test_checks_that_could_not_run_name_what_is_missing_in_plain_words(store: Store, pack: Pack):
    text = (
        "account,post,published_at,observed_at,impressions\n"
        "acme,p1,2026-03-01T09:00:00Z,2026-03-05T09:00:00Z,1200\n"
    )
    store.write(parse_csv(text, "bare.csv"))
    reply = handle("last10 acme", store=store, pack=pack, at=datetime(2026, 3, 10, tzinfo=UTC))
    (line,) = [x for x in reply.text.splitlines() if "Not enough to go on" in x]
    assert line.startswith("_Not enough to go on yet: #1 (")
    assert " needs " in line
    assert "reach" in line
    assert "saves and shares" in line
    assert "_" not in line.strip("_")  # no metric's code name, such as members_reached


def test_a_post_old_enough_is_not_called_too_early_when_other_data_holds_checks_back(
    store: Store, pack: Pack
):
    """Daily snapshots never cover the first day closely enough for the curve checks:
    the reply says what they need, not that the 4-day-old post is too young."""
    rows = [
        f"acme,p1,2026-03-01T09:00:00Z,2026-03-0{day}T09:00:00Z,{1000 * day},{600 * day},"
        f"{20 * day},{2 * day},1"
        for day in (2, 3, 4, 5)
    ]
    text = "account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts\n"
    store.write(parse_csv(text + "\n".join(rows) + "\n", "daily.csv"))
    reply = handle("last10 acme", store=store, pack=pack, at=datetime(2026, 3, 5, 13, tzinfo=UTC))
    assert "too early" not in reply.text.lower()
    (held,) = [x for x in reply.text.splitlines() if "Not enough to go on" in x]
    assert held.startswith("_Not enough to go on yet: #1 (")
