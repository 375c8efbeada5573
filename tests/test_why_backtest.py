"""`why POST` and `rules backtest` on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.commands import Caller, handle
from bot.commands.backtest import backtest
from bot.demo import DEMO_NOW, demo_batch
from bot.errors import CommandError
from bot.pack import Pack
from bot.store import Store

CREATOR_RECYCLED = "urn:li:activity:7310300000000023757"  # built: narrow audience + recycling
PAGE_HOOK = "urn:li:activity:7320200000000031676"  # built: 76k impressions at 0.3 %


def test_why_gives_every_post_rule_with_its_numbers(demo_store: Store, pack: Pack):
    reply = handle(f"why {CREATOR_RECYCLED}", store=demo_store, pack=pack, at=DEMO_NOW)
    assert reply.ok
    verdicts = {r["rule"]: r for r in reply.data["rules"]}
    assert set(verdicts) == {r.id for r in pack.ruleset.scoped("post")}
    assert verdicts["narrow-audience"]["outcome"] == "fired"
    assert verdicts["narrow-audience"]["params"] == {"max_ratio": 5}
    assert verdicts["narrow-audience"]["values"]["impressions_per_member_reached"] > 5
    assert verdicts["low-engagement"]["outcome"] == "quiet"
    assert [r["outcome"] for r in reply.data["rules"]][:2] == ["fired", "fired"]  # fired first
    assert reply.data["freshness"]["snapshots"] > 72
    assert (
        "*narrow-audience* fired: `impressions_per_member_reached &gt; max_ratio`, read "
        "impressions_per_member_reached 1:5." in reply.text
    )


def test_why_says_which_value_applied_and_where_it_came_from(demo_store: Store, pack: Pack):
    reply = handle(f"why {PAGE_HOOK}", store=demo_store, pack=pack, at=DEMO_NOW)
    low = next(r for r in reply.data["rules"] if r["rule"] == "low-engagement")
    assert low["params"]["min_rate"] == 0.015
    assert low["param_sources"]["min_rate"] == "kind:organization"
    assert "min_rate 0.015 (for company pages)" in reply.text


def test_why_on_a_young_post_says_what_it_waits_for(demo_store: Store, pack: Pack):
    young = demo_batch().posts[0].id
    reply = handle(f"why {young}", store=demo_store, pack=pack, at=DEMO_NOW)
    waiting = [r for r in reply.data["rules"] if r["outcome"] == "not_ready"]
    assert len(waiting) >= 8
    assert (
        ":hourglass_flowing_sand: *strong-for-followers* too early: waits for "
        "`post_age_hours &gt;= min_age_hours`, read post_age_hours 10 h" in reply.text
    )


@pytest.mark.parametrize(
    "reference",
    [
        PAGE_HOOK,
        f"https://www.linkedin.com/feed/update/{PAGE_HOOK}/",
        f"https://www.linkedin.com/feed/update/{PAGE_HOOK}/?utm_source=share",
        "https://www.linkedin.com/posts/northwind_customer-story-activity-7320200000000031676-AbCd",
        "7320200000000031676",
    ],
)
def test_a_post_is_found_by_id_or_any_form_of_its_url(demo_store: Store, reference: str):
    assert demo_store.find_post(reference) == (PAGE_HOOK, "demo-page")


def test_why_never_reveals_a_post_the_caller_may_not_see(demo_store: Store, pack: Pack):
    hidden = handle(
        f"why {PAGE_HOOK}",
        store=demo_store,
        pack=pack,
        at=DEMO_NOW,
        caller=Caller(visible=frozenset({"demo-creator"})),
    )
    missing = handle("why 1234567890123", store=demo_store, pack=pack, at=DEMO_NOW)
    assert not hidden.ok
    assert hidden.text.replace(PAGE_HOOK, "X") == missing.text.replace("1234567890123", "X")
    assert "Northwind" not in hidden.text


def test_why_needs_exactly_one_reference(demo_store: Store, pack: Pack):
    reply = handle("why", store=demo_store, pack=pack, at=DEMO_NOW)
    assert reply.text == "That command takes this shape: `why URL-OR-ID`.\n"


def test_backtest_counts_and_compares_params(demo_store: Store, pack: Pack):
    context, data = backtest(
        demo_store, pack, "low-engagement", "demo-creator", DEMO_NOW, settings=["min_rate=0.035"]
    )
    assert len(data["subjects"]) == 30
    assert data["outcomes"] == {"quiet": 27, "fired": 2, "not_ready": 1}
    assert set(data["fired"]) <= set(data["fired_with"])
    assert len(data["fired_with"]) > len(data["fired"])
    assert context["changes"] == [{"name": "min_rate", "old": 0.02, "new": 0.035}]


def test_backtest_set_replaces_an_override_for_this_account(demo_store: Store, pack: Pack):
    _, plain = backtest(demo_store, pack, "low-engagement", "demo-page", DEMO_NOW)
    _, same = backtest(
        demo_store, pack, "low-engagement", "demo-page", DEMO_NOW, settings=["min_rate=0.015"]
    )
    assert same["fired_with"] == plain["fired"]  # 1.5 % is what already applied to the page
    context, _ = backtest(
        demo_store, pack, "low-engagement", "demo-page", DEMO_NOW, settings=["min_rate=0.03"]
    )
    # "instead of" quotes the company-page override that applied, not the default 2 %.
    assert context["changes"] == [{"name": "min_rate", "old": 0.015, "new": 0.03}]


def test_backtest_of_an_account_rule_runs_week_by_week(demo_store: Store, pack: Pack):
    _, data = backtest(demo_store, pack, "off-target", "demo-page", DEMO_NOW, last=3)
    assert data["subjects"] == [
        "2026-11-23T18:00:00Z",
        "2026-11-16T18:00:00Z",
        "2026-11-09T18:00:00Z",
    ]
    assert data["fired"][0] == "2026-11-23T18:00:00Z"


@pytest.mark.parametrize(
    ("rule", "account", "settings", "message"),
    [
        (
            "low-engagment",
            "demo-page",
            [],
            "no rule 'low-engagment' (did you mean 'low-engagement'?)",
        ),
        ("low-engagement", "demo-pag", [], "no account 'demo-pag' (did you mean 'demo-page'?)"),
        (
            "low-engagement",
            "demo-page",
            ["min_rat=1"],
            "--set min_rat=1: low-engagement has no param 'min_rat' (did you mean 'min_rate'?)",
        ),
        ("low-engagement", "demo-page", ["min_rate"], "--set min_rate: write it as NAME=VALUE"),
        (
            "low-engagement",
            "demo-page",
            ["min_rate=lots"],
            "--set min_rate=lots: 'lots' is not a number",
        ),
        (
            "low-engagement",
            "demo-page",
            ["min_rate=nan"],
            "--set min_rate=nan: 'nan' is not a number",
        ),
        (
            "low-engagement",
            "demo-page",
            ["min_rate=inf"],
            "--set min_rate=inf: 'inf' is not a number; write it such as 5, 0.02 or 2%",
        ),
        (
            "low-engagement",
            "demo-page",
            ["min_rate=1:4"],
            "--set min_rate=1:4: '1:4' is a ratio as the narratives show it (1:N for N "
            "impressions per member reached); write the number it stands for: 4",
        ),
    ],
)
def test_backtest_refusals(demo_store: Store, pack: Pack, rule, account, settings, message):
    with pytest.raises(CommandError) as info:
        backtest(demo_store, pack, rule, account, DEMO_NOW, settings=settings)
    assert str(info.value).startswith(message)


def test_backtest_settings_may_be_written_as_the_narrative_shows_them(
    demo_store: Store, pack: Pack
):
    """As in a rule file: `3.5%` is 0.035 (before, it was "not a number")."""

    def run(value: str):
        return backtest(
            demo_store, pack, "low-engagement", "demo-creator", DEMO_NOW, settings=[value]
        )

    assert run("min_rate=3.5%") == run("min_rate=0.035")
    assert run("min_rate=3.5%") != run("min_rate=0.02")


def test_backtest_from_the_cli(demo_db: Path, root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NARRATOR_DB", str(demo_db))
    monkeypatch.setenv("NARRATOR_RULES", str(root / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(root / "narratives"))
    runner = CliRunner()
    args = [
        "rules",
        "backtest",
        "low-engagement",
        "--account",
        "demo-creator",
        "--set",
        "min_rate=0.035",
        "--at",
        "2026-11-23T18:00:00Z",
    ]
    text = runner.invoke(cli, args)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert (
        lines[0] == "low-engagement on demo-creator's last 30 posts, as of 23 Nov 2026, 18:00 UTC"
    )
    slack = runner.invoke(cli, [*args, "--format", "slack"]).output
    assert slack.startswith("*low-engagement* on demo-creator's last 30 posts")
    assert "• fired on 2 of 30; too early for 1" in lines
    assert any(line.startswith("• fired on ") and line.endswith(" (+4)") for line in lines)
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
    assert data["rule"] == "low-engagement"
    bad = runner.invoke(cli, ["rules", "backtest", "nope", "--account", "demo-creator"])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("no rule 'nope'")
