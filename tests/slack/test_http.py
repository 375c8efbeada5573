"""The Slack app over a real HTTP round trip: signed requests in, replies at response_url."""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot.commands import handle
from bot.demo import DEMO_NOW
from bot.ingest.csvfile import parse_csv
from bot.store import Store
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, DM, EMPTY_CHANNEL, MEMBER, Running
from tests.slack.fakes import BOT_TOKEN, NO_TLS, SIGNING_SECRET, button_click, event, slash_command


def ask(
    running: Running,
    text: str,
    *,
    user: str = MEMBER,
    channel: str = CREATOR_CHANNEL,
    hook: str = "r1",
) -> dict:
    """Send `/linkedin TEXT` as Slack does; return the first message posted to response_url."""
    body = slash_command(text, user=user, channel=channel, response_url=running.slack.hook(hook))
    response = running.post(body)
    assert response.status_code == 200
    assert response.text == ""  # acknowledged empty: the answer goes to response_url
    return running.slack.wait_for_posts(hook)[0]


def all_text(message: dict) -> str:
    parts = []
    for block in message["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            parts.append(
                element.get("text", "")
                if isinstance(element.get("text"), str)
                else element.get("text", {}).get("text", "")
            )
    return "\n".join(parts)


def table_rows(message: dict) -> list[list[str]]:
    table = next(
        b["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("```")
    )
    lines = table.strip("`\n").split("\n")[1:]
    return [line.split() for line in lines]


def test_last10_arrives_with_the_numbers_of_the_terminal_json(running: Running, pack):
    message = ask(running, "last10 demo-creator")
    assert message["response_type"] == "ephemeral"
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Demo Creator: the last 10 posts"},
    }
    with Store(running.db) as store:
        terminal = handle("last10 demo-creator", store=store, pack=pack, at=DEMO_NOW)
    rows = table_rows(message)
    assert len(rows) == len(terminal.data["posts"]) == 10
    f = pack.narrator.env.filters
    for row, post in zip(rows, terminal.data["posts"], strict=True):
        assert row[0] == str(terminal.data["posts"].index(post) + 1)
        assert row[-5:] == [
            f["compact"](post["impressions"]),
            f["compact"](post["members_reached"]),
            f["ratio"](post["impressions_per_member_reached"]),
            f["pct"](post["engagement_rate"]),
            f["per1k"](post["saves_shares_per_1k"]),
        ]
    text = all_text(message)
    for finding in terminal.data["findings"]:
        assert f"Mute {finding['rule']} here" in text  # one button per rule that fired
    # The same words as the terminal, piece by piece.
    for paragraph in terminal.text.split("\n\n"):
        for line in paragraph.split("\n"):
            if line and not line.startswith(("```", " #", " ", "1")):
                assert line in text or line.lstrip("*").split("*")[0] in text, line


def test_replies_stay_within_slack_limits(running: Running, pack):
    message = ask(running, "last10 demo-creator")
    with Store(running.db) as store:
        terminal = handle("last10 demo-creator", store=store, pack=pack, at=DEMO_NOW)
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert sum(len(json.dumps(b)) for b in message["blocks"]) < 13000
    count = len(terminal.data["findings"])
    assert message["text"] == f"Demo Creator: {count} findings in the last 10 posts"


def test_public_posts_in_the_channel(running: Running):
    message = ask(running, "last10 demo-creator public")
    assert message["response_type"] == "in_channel"


def test_a_channel_sees_only_its_linked_accounts(running: Running):
    unlinked = ask(running, "last10 demo-page", hook="a")
    nonexistent = ask(running, "last10 demo-pagf", hook="b")
    assert all_text(unlinked).replace("demo-page", "X") == all_text(nonexistent).replace(
        "demo-pagf", "X"
    )
    assert "Northwind" not in all_text(unlinked)
    accounts = all_text(ask(running, "accounts", hook="c"))
    assert "demo-creator" in accounts
    assert "demo-page" not in accounts
    nothing = all_text(ask(running, "last10", channel=EMPTY_CHANNEL, hook="d"))
    assert "demo-" not in nothing
    assert "Northwind" not in nothing


def test_only_admins_link_and_unlink(running: Running):
    refused = all_text(ask(running, "link demo-page", channel=EMPTY_CHANNEL, hook="a"))
    assert refused == f"Only admins can change which accounts this channel sees. Ask <@{ADMIN}>."
    linked = all_text(ask(running, "link demo-page", user=ADMIN, channel=EMPTY_CHANNEL, hook="b"))
    assert linked.startswith("Linked `demo-page` to this channel")
    page = ask(running, "last10", channel=EMPTY_CHANNEL, hook="c")
    assert page["blocks"][0]["text"]["text"] == "Northwind Analytics: the last 10 posts"
    unlinked = all_text(
        ask(running, "unlink demo-page", user=ADMIN, channel=EMPTY_CHANNEL, hook="d")
    )
    assert unlinked == "Unlinked `demo-page` from this channel."
    again = all_text(ask(running, "last10", channel=EMPTY_CHANNEL, hook="e"))
    assert "Northwind" not in again


def test_in_a_direct_message_a_user_sees_what_an_admin_linked_to_them(running: Running):
    before = all_text(ask(running, "accounts", channel=DM, hook="a"))
    assert "demo-" not in before
    link = all_text(
        ask(running, f"link demo-page <@{MEMBER}|member>", user=ADMIN, channel="D0ADMIN", hook="b")
    )
    assert link.startswith(f"Linked `demo-page` to <@{MEMBER}>")
    after = ask(running, "last10", channel=DM, hook="c")
    assert after["blocks"][0]["text"]["text"] == "Northwind Analytics: the last 10 posts"
    usage = all_text(ask(running, "link demo-page", user=ADMIN, channel="D0ADMIN", hook="d"))
    assert usage == "That command takes this shape: `link ACCOUNT @user`."


def test_unknown_subcommands_get_help_with_a_suggestion(running: Running):
    text = all_text(ask(running, "lats10"))
    assert text.startswith("I don't know `lats10`. Did you mean `last10`?")
    assert "`link`" in text
    help_text = all_text(ask(running, "help", hook="h"))
    assert "`/linkedin last10 [ACCOUNT]`" in help_text


@pytest.mark.parametrize(
    "title",
    ['"<!channel> big news"', '"<!here> & <@U0ADMIN> <https://evil.example|click>"'],
)
def test_titles_can_never_mention_or_link(running: Running, title: str):
    with Store(running.db) as store:
        store.conn.execute("UPDATE posts SET title = ? WHERE account = 'demo-creator'", (title,))
        store.conn.commit()
    message = ask(running, "last10 demo-creator")
    raw = json.dumps(message)
    for dangerous in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil.example|click>"):
        assert dangerous not in raw
    assert "&lt;!" in raw


def test_bad_signatures_and_stale_requests_get_401_and_do_nothing(running: Running):
    body = slash_command(
        "link demo-page", user=ADMIN, channel=EMPTY_CHANNEL, response_url=running.slack.hook("x")
    )
    forged = running.post(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    stale = running.post(body, timestamp=int(time.time()) - 6 * 60)
    unsigned = running.post(body, headers={"X-Slack-Signature": ""})
    assert [forged.status_code, stale.status_code, unsigned.status_code] == [401, 401, 401]
    running.finish_replies()  # a reply job, had one been queued, has run by now
    assert running.slack.posts_to("x") == []
    with Store(running.db) as store:
        assert store.linked_accounts(EMPTY_CHANNEL) == []


def test_acknowledgement_comes_before_the_work(running: Running):
    body = slash_command(
        "last10 demo-creator",
        user=MEMBER,
        channel=CREATOR_CHANNEL,
        response_url=running.slack.hook("fast"),
    )
    started = time.monotonic()
    response = running.post(body)
    acked = time.monotonic()
    assert response.status_code == 200
    (post,) = running.slack.wait_for_posts("fast")
    arrived = running.slack.calls[-1].at
    assert post["blocks"]
    assert acked - started < arrived - started  # the 200 came back before the reply was posted


def test_why_button_explains_the_post(running: Running):
    post = "urn:li:activity:7310300000000023757"
    body = button_click(
        "why", post, user=MEMBER, channel=CREATOR_CHANNEL, response_url=running.slack.hook("why")
    )
    assert running.post(body).status_code == 200
    (message,) = running.slack.wait_for_posts("why")
    assert "*narrow-audience* fired" in all_text(message)


def test_mute_button_mutes_a_rule_in_that_channel_until_unmuted(running: Running):
    body = button_click(
        "mute",
        "narrow-audience",
        user=MEMBER,
        channel=CREATOR_CHANNEL,
        response_url=running.slack.hook("mute"),
    )
    assert running.post(body).status_code == 200
    (confirmation,) = running.slack.wait_for_posts("mute")
    assert all_text(confirmation).startswith("Muted `narrow-audience` in this channel")
    quiet = all_text(ask(running, "last10 demo-creator", hook="after"))
    assert "Narrow audience." not in quiet
    assert "Recycled, not expanding." in quiet  # other rules still speak
    rules = all_text(ask(running, "rules", hook="rules"))
    assert f"`narrow-audience`, by <@{MEMBER}>" in rules
    assert all_text(ask(running, "unmute narrow-audience", hook="unmute")).startswith(
        "`narrow-audience` is back"
    )
    back = all_text(ask(running, "last10 demo-creator", hook="back"))
    assert "Narrow audience." in back


def test_app_home_shows_linked_accounts_and_rule_status(running: Running):
    with Store(running.db) as store:
        store.link(MEMBER, "demo-creator", by=ADMIN, at=DEMO_NOW)
    body = event("app_home_opened", "Ev0HOME1", user=MEMBER, channel="D0MEMBER", tab="home")
    response = running.post(body, content_type="application/json")
    assert response.status_code == 200
    (call,) = running.slack.wait_for_calls("views.publish")
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    view = call.body["view"]
    assert call.body["user_id"] == MEMBER
    text = json.dumps(view)
    assert "Demo Creator" in text
    assert "Northwind" not in text
    assert "17 active" in text


def test_a_retried_event_is_handled_once(running: Running):
    body = event("app_home_opened", "Ev0RETRY", user=ADMIN, channel="D0ADMIN", tab="home")
    first = running.post(body, content_type="application/json")
    retry = running.post(
        body,
        content_type="application/json",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    running.slack.wait_for_calls("views.publish")
    running.finish_replies()  # a second handling, had there been one, has published too
    assert len(running.slack.method_calls("views.publish")) == 1


def test_rate_limits_are_retried_after_the_time_slack_asks(running: Running):
    running.slack.rate_limited["views.publish"] = 1
    body = event("app_home_opened", "Ev0LIMIT", user=ADMIN, channel="D0ADMIN", tab="home")
    assert running.post(body, content_type="application/json").status_code == 200
    first, second = running.slack.wait_for_calls("views.publish", count=2)
    assert second.at - first.at >= 1.0  # Retry-After: 1


def test_an_internal_error_is_an_apology_with_a_reference(
    running: Running, monkeypatch, caplog: pytest.LogCaptureFixture
):
    import bot.slack.listeners.command as command

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(command, "handle", explode)
    with caplog.at_level(logging.INFO):
        message = ask(running, "last10 demo-creator")
    text = all_text(message)
    assert text.startswith("Sorry, something went wrong on my side")
    ref = text.split("`")[1]
    assert "secret internals" not in text
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


def test_tokens_and_secrets_never_reach_the_logs(
    running: Running, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.DEBUG):
        ask(running, "last10 demo-creator")
        running.post(
            event("app_home_opened", "Ev0LOGS", user=ADMIN, channel="D0ADMIN", tab="home"),
            content_type="application/json",
        )
        running.slack.wait_for_calls("views.publish")
        running.post("token=x", headers={"X-Slack-Signature": "v0=bad"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (BOT_TOKEN, SIGNING_SECRET, running.slack.hook("r1")):
        assert secret not in logged


def test_healthz(running: Running):
    import httpx

    data = httpx.get(running.server.url + "/healthz", verify=NO_TLS).json()
    assert data["ok"] is True
    assert data["rules"] == 17
    assert data["last_reload_ok"] is True


def test_healthz_says_a_refused_edit_is_refused_and_why(running: Running):
    """Issue #10: health kept saying OK while the newest edit was refused."""
    import httpx

    path = running.root / "rules" / "distribution.yaml"
    path.write_text(path.read_text().replace("max_ratio: 5", "max_ratio: five"))
    holder = running.bot.services.holder
    assert holder.reload().last_attempt_ok is False
    data = httpx.get(running.server.url + "/healthz", verify=NO_TLS).json()
    assert data["ok"] is True  # the last good pack still answers
    assert data["rules"] == 17
    assert data["last_reload_ok"] is False
    assert data["last_reload_at"] == "2026-11-23T18:00:00Z"
    assert data["reload"] == (
        "serving the last good pack since 2026-11-23T18:00:00Z, the newest edit is "
        'refused because rules/distribution.yaml:11:18: rule "narrow-audience": '
        "params.max_ratio: 'five' is not a number; write it without quotes, such as 5 or 0.02"
    )


def test_a_trait_said_once_has_a_mute_button_that_mutes_its_rule_here(running: Running):
    # Four posts, three seen 6 times per person: narrow-audience is said once, at the top.
    header = "account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts,followers\n"
    rows = [
        f"acme,p{day},2026-11-{day:02d}T09:00:00Z,2026-11-{day + 5:02d}T09:00:00Z,"
        f"{6000 if day < 4 else 2000},1000,80,3,2,5000"
        for day in range(1, 5)
    ]
    with Store(running.db) as store:
        store.write(parse_csv(header + "\n".join(rows) + "\n", "posts.csv"))
        store.link(CREATOR_CHANNEL, "acme", by=ADMIN, at=DEMO_NOW)
    message = ask(running, "last10 acme", hook="trait")
    blocks = message["blocks"]
    (at,) = [
        i
        for i, b in enumerate(blocks)
        if b["type"] == "section" and "Narrow audience, post after post" in b["text"]["text"]
    ]
    assert "*Narrow audience.*" not in all_text(message)  # said once, not per post
    actions = blocks[at + 1]
    assert actions["type"] == "actions"
    (mute,) = [e for e in actions["elements"] if e["value"] == "narrow-audience"]
    assert mute["action_id"] == "mute"
    assert mute["text"]["text"] == "Mute narrow-audience here"
    assert not [e for e in actions["elements"] if e["action_id"] == "why"]  # no one post

    click = button_click(
        mute["action_id"],
        mute["value"],
        user=MEMBER,
        channel=CREATOR_CHANNEL,
        response_url=running.slack.hook("mute-trait"),
    )
    assert running.post(click).status_code == 200
    (confirmation,) = running.slack.wait_for_posts("mute-trait")
    assert all_text(confirmation).startswith("Muted `narrow-audience` in this channel")
    after = all_text(ask(running, "last10 acme", hook="trait-after"))
    assert "Narrow audience" not in after
