"""`/linkedin timezone` over signed requests to the real server: anyone sees the zone
of the accounts their channel sees, admins set one, and a bad zone gets a did-you-mean."""

from __future__ import annotations

from bot.store import Store
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, MEMBER, Running
from tests.slack.test_http import all_text, ask


def zone(running: Running, account: str = "demo-creator") -> str | None:
    with Store(running.db) as store:
        return store.timezone(account)


def test_anyone_sees_the_zone_an_admin_sets_it(running: Running):
    assert all_text(ask(running, "timezone", user=MEMBER)) == (
        "*Demo Creator* (`demo-creator`): posting hours, days and weeks in UTC time.\n"
        "_An admin changes one with `/linkedin timezone ACCOUNT ZONE`, e.g. Europe/Paris._"
    )
    text = all_text(ask(running, "timezone Europe/Paris", user=ADMIN, hook="r2"))
    assert text == (
        "*Demo Creator* now speaks in Europe/Paris time (it was UTC): posting hours, days "
        "and weeks are read there from the next reply on."
    )
    assert zone(running) == "Europe/Paris"
    again = all_text(ask(running, "timezone demo-creator Europe/Paris", user=ADMIN, hook="r3"))
    assert again == "*Demo Creator* already speaks in Europe/Paris time."
    # The next reply about the account speaks Paris time, and names the zone once.
    reply = all_text(ask(running, "last10", user=MEMBER, hook="r4"))
    assert "Europe/Paris" in reply
    assert "UTC" not in reply


def test_members_cannot_change_the_zone(running: Running):
    text = all_text(ask(running, "timezone Europe/Paris", user=MEMBER))
    assert text.startswith("Only admins can change an account's time zone.")
    assert f"<@{ADMIN}>" in text
    assert zone(running) == "UTC"


def test_a_zone_that_is_not_one_gets_a_suggestion(running: Running):
    text = all_text(ask(running, "timezone paris", user=ADMIN))
    assert text == (
        "`paris` is not a time zone I can read: write the whole time zone name, region "
        "first. Did you mean `Europe/Paris`?"
    )
    assert zone(running) == "UTC"


def test_only_the_accounts_the_channel_sees(running: Running):
    text = all_text(ask(running, "timezone demo-page Europe/Paris", user=ADMIN))
    assert text.startswith("I have no account called `demo-page`.")
    assert zone(running, "demo-page") == "UTC"
    assert all_text(ask(running, "timezone a b c", user=ADMIN, hook="r2")) == (
        "That command takes this shape: `timezone [ACCOUNT] [ZONE]`."
    )
    assert CREATOR_CHANNEL  # the channel `ask` speaks in sees demo-creator only
