"""Settings come from the environment (bot/config.py): NARRATOR_* and SLACK_*
variables, in any case, under values passed in; a malformed one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings, load_slack_settings
from bot.errors import ConfigError
from tests.slack.fakes import BOT_TOKEN, SIGNING_SECRET


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NARRATOR_DB", "NARRATOR_POST_INTERVAL", "NARRATOR_DEBUG", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_variables_are_read_and_converted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "team.db"))
    monkeypatch.setenv("narrator_post_interval", "2.5")  # any case, as before
    monkeypatch.setenv("NARRATOR_DEBUG", "yes")
    monkeypatch.setenv("NARRATOR_NOT_A_SETTING", "ignored")
    settings = load_settings()
    assert settings.db == tmp_path / "team.db"
    assert settings.post_interval == 2.5
    assert settings.debug is True


def test_values_passed_in_win_over_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NARRATOR_DB", "from-env.db")
    assert load_settings(db=Path("given.db")).db == Path("given.db")
    assert load_settings().db == Path("from-env.db")


def test_a_malformed_variable_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NARRATOR_POST_INTERVAL", "often")
    with pytest.raises(ConfigError, match="NARRATOR_POST_INTERVAL: "):
        load_settings()


def test_slack_variables_have_no_prefix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    slack = load_slack_settings("http")
    assert slack.slack_bot_token is not None
    assert slack.slack_bot_token.get_secret_value() == BOT_TOKEN
