"""Read settings from the environment: the only module that does."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


class Settings(BaseSettings):
    """Where the store, the rules and the narratives live."""

    model_config = SettingsConfigDict(env_prefix="NARRATOR_", extra="ignore", frozen=True)

    db: Path = Field(default=Path("narrator.db"), description="SQLite file of the store")
    rules: Path = Field(default=Path("rules"), description="folder of *.yaml rule files")
    narratives: Path = Field(default=Path("narratives"), description="folder of Jinja templates")
    locale: str = Field(default="en", description="language of the narratives")
    debug: bool = Field(default=False, description="show tracebacks of internal errors")
    digest_grace_hours: float = Field(
        default=6.0,
        ge=0,
        le=24 * 6,
        description="a digest missed while the clock was down is sent this late, no later",
    )
    post_interval: float = Field(
        default=1.0, ge=0, le=60, description="seconds between two messages the clock posts"
    )

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError, TypeError):
            raise ValueError(f"'{value}' is not a language code such as en or de") from None
        return value

    @property
    def narratives_dir(self) -> Path:
        return self.narratives / self.locale


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a malformed value into a message that names it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "NARRATOR_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None


class SlackSettings(BaseSettings):
    """The Slack app's credentials and who administers it."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    narrator_admins: str = ""
    port: int = Field(default=3000, ge=1, le=65535)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("narrator_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for user in _split(value):
            if user[:1] not in ("U", "W") or not user.isalnum():
                raise ValueError(f"'{user}' is not a Slack user id such as U012ABCDEF")
        return value

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(_split(self.narrator_admins))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def load_slack_settings(mode: str, **overrides: object) -> SlackSettings:
    """Read the Slack settings for `mode` ("http", "socket" or "clock"); name what is
    missing or wrong."""
    try:
        settings = SlackSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{str(err['loc'][0]).upper()}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        ]
        raise ConfigError("bad setting: " + "; ".join(problems)) from None
    needed = ["slack_bot_token"]
    if mode != "clock":  # the clock only posts: it receives nothing to verify
        needed.append("slack_app_token" if mode == "socket" else "slack_signing_secret")
    missing = [name.upper() for name in needed if getattr(settings, name) is None]
    if missing:
        raise ConfigError(
            "missing setting: "
            + ", ".join(missing)
            + " (see docs/slack-setup.md for where to find "
            + ("it" if len(missing) == 1 else "them")
            + ")"
        )
    return settings
