"""Who sees what, beyond last10: per-account details in `rules` and App Home, and
where a `public` reply may go."""

from __future__ import annotations

import json

from bot.store import Store
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, DM, MEMBER, Running
from tests.slack.fakes import event
from tests.slack.test_http import all_text, ask

PAGE_CHANNEL = "C0PAGE"  # demo-page is linked here
#: An override for an account nobody has imported yet: its name alone is a secret.
OVERRIDES = """
      - account: demo-page
        params: {min_rate: 0.01}
      - account: prospect-globex
        params: {min_rate: 0.03}
"""


def edit_rules(running: Running, extra: str) -> None:
    """Add `extra` to low-engagement's overrides and reload, as an edit on disk would."""
    path = running.root / "rules" / "engagement.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "        params: {min_rate: 0.015}\n"
    path.write_text(text.replace(marker, marker + extra.lstrip("\n"), 1), encoding="utf-8")
    running.bot.holder.reload()


def home_text(running: Running, user: str, event_id: str, count: int) -> str:
    body = event("app_home_opened", event_id, user=user, channel="D0X", tab="home")
    assert running.post(body, content_type="application/json").status_code == 200
    return json.dumps(running.slack.wait_for_calls("views.publish", count=count)[-1].body)


def test_rules_show_per_account_overrides_only_where_the_account_is_seen(running: Running):
    with Store(running.db) as store:
        store.link(PAGE_CHANNEL, "demo-page", by=ADMIN, at=running.bot.services.clock())
    edit_rules(running, OVERRIDES)
    assert running.bot.holder.status().last_attempt_ok
    creator = all_text(ask(running, "rules", channel=CREATOR_CHANNEL, hook="a"))
    assert "company pages: min_rate 0.015" in creator  # kinds name no account
    assert "demo-page" not in creator
    assert "globex" not in creator
    page = all_text(ask(running, "rules", channel=PAGE_CHANNEL, hook="b"))
    assert "demo-page: min_rate 0.01" in page
    assert "globex" not in page
    admin = all_text(ask(running, "rules", user=ADMIN, channel="D0ADMIN", hook="c"))
    assert "demo-page: min_rate 0.01" in admin
    assert "prospect-globex: min_rate 0.03" in admin


def test_refused_edits_name_accounts_only_to_who_may_see_them(running: Running):
    edit_rules(running, "      - account: prospect-globex\n        params: {min_rat: 0.03}\n")
    status = running.bot.holder.status()
    assert not status.last_attempt_ok
    assert any("prospect-globex" in str(p) for p in status.problems)
    channel = all_text(ask(running, "rules", channel=CREATOR_CHANNEL, hook="a"))
    assert "The last edit of the rules was refused" in channel
    assert "globex" not in channel
    assert "1 problem in an override for an account not linked here" in channel
    admin = all_text(ask(running, "rules", user=ADMIN, channel="D0ADMIN", hook="b"))
    assert "override for account prospect-globex sets 'min_rat'" in admin

    with Store(running.db) as store:
        store.link(MEMBER, "demo-creator", by=ADMIN, at=running.bot.services.clock())
    member_home = home_text(running, MEMBER, "Ev0HOMEA", 1)
    assert "The last edit was refused" in member_home
    assert "globex" not in member_home
    assert "prospect-globex" in home_text(running, ADMIN, "Ev0HOMEB", 2)


def test_public_in_a_direct_message_stays_private(running: Running):
    # In a DM the asker sees the accounts linked to them; the person they are
    # talking to may not.
    with Store(running.db) as store:
        store.link(MEMBER, "demo-page", by=ADMIN, at=running.bot.services.clock())
    message = ask(running, "last10 demo-page public", channel=DM, hook="dm")
    assert message["response_type"] == "ephemeral"
    assert "Northwind" not in all_text(message)
    assert "public" in all_text(message)
    channel = ask(running, "last10 demo-creator public", channel=CREATOR_CHANNEL, hook="c")
    assert channel["response_type"] == "in_channel"


def test_titles_and_urls_from_an_import_can_neither_format_nor_link_elsewhere(running: Running):
    with Store(running.db) as store:
        store.conn.execute(
            "UPDATE posts SET title = ?, url = ? WHERE account = 'demo-creator'",
            ("```*Big* ~news~ _now_ \u202edesrever\u200b", "https://evil.example/phish"),
        )
        store.conn.commit()
    plain = ask(running, "last10 demo-creator", hook="t")
    raw = json.dumps(plain, ensure_ascii=False)
    assert "evil.example" not in raw
    assert "*Big*" not in raw
    assert "~news~" not in raw
    assert "_now_" not in raw
    assert "\u202e" not in raw
    assert "\u200b" not in raw
    # Only the table opens and closes a code block.
    fences = sum(b["text"]["text"].count("```") for b in plain["blocks"] if "text" in b)
    assert fences == 2


def test_app_home_stays_within_slack_limits_whatever_the_store_holds(running: Running):
    # An account stored before ids were capped at import.
    long_id = "x" * 4000
    with Store(running.db) as store:
        store.conn.execute("INSERT INTO accounts (id, name) VALUES (?, ?)", (long_id, long_id))
        store.conn.commit()
        store.link(MEMBER, long_id, by=ADMIN, at=running.bot.services.clock())
    body = event("app_home_opened", "Ev0LONG", user=MEMBER, channel="D0X", tab="home")
    assert running.post(body, content_type="application/json").status_code == 200
    (call,) = running.slack.wait_for_calls("views.publish")
    for block in call.body["view"]["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
