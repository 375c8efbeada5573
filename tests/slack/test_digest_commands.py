"""`/linkedin digest ...` and `/linkedin checkin ...` over signed requests to the real
server: admins change what a channel gets, anyone in it sees the schedule and a
preview only they can read; the asker's Slack time zone fills in a missing one."""

from __future__ import annotations

import pytest

from bot.store import Store
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, DM, EMPTY_CHANNEL, MEMBER, Running
from tests.slack.test_http import all_text, ask


def subscription(running: Running, channel: str = CREATOR_CHANNEL):
    with Store(running.db) as store:
        return store.subscription(channel)


def test_an_admin_subscribes_the_channel_to_its_linked_accounts(running: Running):
    reply = ask(running, "digest weekly mon 09:00 Europe/Paris", user=ADMIN)
    assert reply["response_type"] == "ephemeral"
    assert all_text(reply) == (
        "Subscribed C0CREATOR to a weekly digest every Monday at 09:00 (Europe/Paris), "
        "for the accounts linked to the channel (demo-creator). The next one goes out "
        "Monday 30 Nov 2026 at 09:00."
    )
    sub = subscription(running)
    assert (sub.day, sub.time, sub.zone, sub.accounts, sub.created_by) == (
        "mon",
        "09:00",
        "Europe/Paris",
        (),
        ADMIN,
    )
    # A zone was named: Slack was not asked for the user's.
    assert running.slack.method_calls("users.info") == []


def test_without_a_zone_the_subscription_takes_the_askers_slack_zone(running: Running):
    running.slack.user_zones[ADMIN] = "Asia/Tokyo"
    text = all_text(ask(running, "digest weekly Friday 17:30", user=ADMIN))
    assert "every Friday at 17:30 (Asia/Tokyo, your time zone in Slack)" in text
    assert subscription(running).zone == "Asia/Tokyo"
    (call,) = running.slack.method_calls("users.info")
    assert call.body["user"] == ADMIN


def test_when_slack_cannot_say_the_askers_zone_the_reply_asks_for_one(running: Running):
    running.slack.failing_after["users.info"] = 10  # past the client's retries
    text = all_text(ask(running, "digest weekly mon 09:00", user=ADMIN))
    assert text == (
        "I could not read your time zone from Slack, so I don't know which 09:00 you mean. "
        "Name the zone: `/linkedin digest weekly mon 09:00 Europe/Paris` (any name of the "
        "tz database)."
    )
    assert subscription(running) is None


@pytest.mark.parametrize(
    "command",
    [
        "digest weekly mon 09:00 Europe/Paris",
        "digest weekly mon 09:00",
        "digest off",
        "checkin on",
        "checkin off",
    ],
)
def test_members_cannot_change_what_the_channel_gets(running: Running, command: str):
    text = all_text(ask(running, command, user=MEMBER))
    assert text.startswith("Only admins can change this channel's")
    assert f"<@{ADMIN}>" in text
    assert subscription(running) is None
    with Store(running.db) as store:
        assert store.checkin_channels() == []


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (
            "digest weekly mon 09:00 europe/paris",
            "`europe/paris` is not a time zone I can read: time zone names are "
            "case-sensitive. Did you mean `Europe/Paris`?",
        ),
        (
            "digest weekly mon 09:00 Paris",
            "`Paris` is not a time zone I can read: write the whole time zone name, "
            "region first. Did you mean `Europe/Paris`?",
        ),
        (
            "digest weekly 1 09:00 Europe/Paris",
            "`1` is not a day I can read: numbers mean Monday to some and Sunday to others: "
            "write the day's name (mon, tue, wed, thu, fri, sat, sun).",
        ),
        (
            "digest weekly mon 9am Europe/Paris",
            "`9am` is not a time I can read: write it on the 24-hour clock. Did you mean `09:00`?",
        ),
    ],
)
def test_bad_days_times_and_zones_get_the_terminals_did_you_mean(
    running: Running, command: str, said: str
):
    assert all_text(ask(running, command, user=ADMIN)) == said
    assert subscription(running) is None


def test_the_preview_goes_to_the_asker_only_and_posts_nothing(running: Running):
    ask(running, "digest weekly mon 09:00 Europe/Paris", user=ADMIN, hook="sub")
    reply = ask(running, "digest preview", user=MEMBER, hook="preview")
    assert reply["response_type"] == "ephemeral"
    text = all_text(reply)
    assert text.startswith("*Weekly digest: 16 Nov to 22 Nov 2026* (Europe/Paris)")
    assert "Demo Creator" in text
    assert running.slack.method_calls("chat.postMessage") == []
    with Store(running.db) as store:
        assert store.runs("digest:") == []  # nothing claimed, nothing remembered


def test_list_and_off_in_the_channel(running: Running):
    assert all_text(ask(running, "digest list", hook="empty")) == (
        "No channel is subscribed to a digest."
    )
    with Store(running.db) as store:
        store.link(EMPTY_CHANNEL, "demo-page", by=ADMIN, at=running.bot.services.clock())
    ask(running, "digest weekly tue 08:00 UTC", user=ADMIN, channel=EMPTY_CHANNEL, hook="other")
    ask(running, "digest weekly mon 09:00 Europe/Paris", user=ADMIN, hook="sub")
    listed = all_text(ask(running, "digest list", hook="list"))
    assert "C0CREATOR: Mondays at 09:00 (Europe/Paris)" in listed
    assert EMPTY_CHANNEL not in listed  # another channel's digest is its own business
    everything = all_text(ask(running, "digest list", user=ADMIN, channel="D0ADMIN", hook="dm"))
    assert EMPTY_CHANNEL in everything
    assert "C0CREATOR" in everything
    off = all_text(ask(running, "digest off", user=ADMIN, hook="off"))
    assert off == "C0CREATOR will get no more weekly digests."
    assert subscription(running) is None


def test_a_channel_without_linked_accounts_is_told_how_to_link_one(running: Running):
    text = all_text(ask(running, "digest weekly mon 09:00 UTC", user=ADMIN, channel=EMPTY_CHANNEL))
    assert "`/linkedin link ACCOUNT`" in text
    assert "--account" not in text  # a terminal flag means nothing in Slack


@pytest.mark.parametrize(
    "command", ["digest", "digest weekly mon", "digest sometimes", "checkin", "checkin maybe"]
)
def test_malformed_digest_and_checkin_commands_show_their_shape(running: Running, command: str):
    text = all_text(ask(running, command, user=ADMIN))
    assert text.startswith("That command takes this shape: `")


def test_digests_and_checkins_belong_to_channels_not_direct_messages(running: Running):
    for n, command in enumerate(["digest weekly mon 09:00 UTC", "digest preview", "checkin on"]):
        text = all_text(
            ask(running, command, user=ADMIN if n != 1 else MEMBER, channel=DM, hook=f"h{n}")
        )
        assert text.startswith("Digests and check-ins go to channels")
    assert subscription(running, DM) is None


def test_checkins_are_switched_on_and_off_by_an_admin(running: Running):
    on = all_text(ask(running, "checkin on", user=ADMIN, hook="on"))
    assert on.startswith("First-hour check-ins are on in this channel.")
    assert "Accounts followed: demo-creator." in on
    again = all_text(ask(running, "checkin on", user=ADMIN, hook="again"))
    assert again.startswith("First-hour check-ins were already on")
    with Store(running.db) as store:
        assert [c for c, _ in store.checkin_channels()] == [CREATOR_CHANNEL]
    off = all_text(ask(running, "checkin off", user=ADMIN, hook="off"))
    assert off == "First-hour check-ins are off in this channel."
    with Store(running.db) as store:
        assert store.checkin_channels() == []


def test_help_in_slack_lists_the_digest_and_checkin_commands(running: Running):
    text = all_text(ask(running, "help"))
    assert "`/linkedin digest weekly DAY HH:MM [TIMEZONE]`" in text
    assert "`/linkedin digest list`, `digest preview`" in text
    assert "`/linkedin checkin on` / `checkin off`" in text
