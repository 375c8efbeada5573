"""Slack settings that would leave the bot open stop start-up, naming the setting."""

from __future__ import annotations

import pytest

from bot.config import load_slack_settings
from bot.errors import ConfigError
from tests.slack.fakes import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET


@pytest.mark.parametrize(
    ("mode", "settings", "message"),
    [
        # With an empty key anyone can sign a request, so anyone could `link` as an admin.
        ("http", {"slack_signing_secret": ""}, "SLACK_SIGNING_SECRET: is empty"),
        ("http", {"slack_signing_secret": "   "}, "SLACK_SIGNING_SECRET: is empty"),
        ("http", {"slack_signing_secret": "changeme"}, "SLACK_SIGNING_SECRET: is too short"),
        (
            "http",
            {"slack_signing_secret": "0123456789abcdef 0123456789abcdef"},
            "SLACK_SIGNING_SECRET: has a space",
        ),
        ("http", {"slack_bot_token": ""}, "SLACK_BOT_TOKEN: is empty"),
        ("http", {"slack_bot_token": "xoxb-"}, "SLACK_BOT_TOKEN: is only the xoxb- prefix"),
        ("socket", {"slack_app_token": ""}, "SLACK_APP_TOKEN: is empty"),
        ("socket", {"slack_app_token": "xapp-"}, "SLACK_APP_TOKEN: is only the xapp- prefix"),
        # A token sent over plain HTTP to another machine can be read on the way.
        (
            "http",
            {"slack_api_url": "http://slack.example.com/api/"},
            "SLACK_API_URL: must start with https:// (plain http only for 127.0.0.1 or localhost)",
        ),
    ],
)
def test_settings_that_leave_the_bot_open_stop_start_up(mode: str, settings: dict, message: str):
    given = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET if mode == "http" else None,
        "slack_app_token": APP_TOKEN if mode == "socket" else None,
        **settings,
    }
    with pytest.raises(ConfigError) as caught:
        load_slack_settings(mode, **{k: v for k, v in given.items() if v is not None})
    assert message in str(caught.value)
    for value in settings.values():
        if len(value.strip()) > 5:
            assert value not in str(caught.value) or value.startswith("http")


def test_a_secret_pasted_with_a_line_break_is_used_without_it():
    settings = load_slack_settings(
        "http", slack_bot_token=BOT_TOKEN, slack_signing_secret=f" {SIGNING_SECRET}\n"
    )
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == SIGNING_SECRET
