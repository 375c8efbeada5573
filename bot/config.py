"""Read settings from the environment: the only module that does."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import ConfigError
from bot.shipped import FOLDERS, guide, shipped_pack


class FromEnvironment(BaseModel):
    """Settings read from environment variables named PREFIX + the field's name, in
    any case (NARRATOR_DB or narrator_db), under values passed in, which win; pydantic
    validates the text as it would any input. (What pydantic-settings does for flat
    settings like these, without its 0.15 s of imports in every command.)"""

    env_prefix: ClassVar[str] = ""

    def __init__(self, **values: Any) -> None:
        wanted = {(self.env_prefix + name).lower(): name for name in type(self).model_fields}
        found = {wanted[k.lower()]: v for k, v in os.environ.items() if k.lower() in wanted}
        super().__init__(**{**found, **values})


class Settings(FromEnvironment):
    """Where the store, the rules and the narratives live."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    env_prefix: ClassVar[str] = "NARRATOR_"

    db: Path = Field(default=Path("narrator.db"), description="SQLite file of the store")
    pack: Path | None = Field(
        default=None,
        description="a folder holding rules/ and narratives/ (`narrator init` makes one); "
        "default: the pack installed with the package",
    )
    rules: Path = Field(description="folder of *.yaml rule files (default: PACK/rules)")
    narratives: Path = Field(
        description="folder of Jinja templates, one subfolder per language (default: "
        "PACK/narratives)"
    )
    locale: str = Field(default="en", description="language of the narratives")
    timezone: str = Field(
        default="UTC",
        description="the time zone (IANA) an account imported without --tz gets",
    )
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
    linkedin_api_url: str = Field(
        default="https://api.linkedin.com", description="where LinkedIn's REST API is reached"
    )
    linkedin_version: str = Field(
        default="202611", pattern=r"^[0-9]{6}(\.[0-9]{2})?$", description="LinkedIn-Version sent"
    )
    linkedin_token: SecretStr | None = Field(
        default=None, description="an access token, when one account is synced"
    )
    linkedin_refresh_token: SecretStr | None = Field(
        default=None, description="a refresh token for NARRATOR_LINKEDIN_TOKEN, where granted"
    )
    linkedin_client_id: str | None = Field(
        default=None, max_length=200, description="the LinkedIn app's Client ID (for refreshes)"
    )
    linkedin_client_secret: SecretStr | None = Field(
        default=None, description="the LinkedIn app's Client Secret (for refreshes)"
    )
    linkedin_oauth_url: str = Field(
        default="https://www.linkedin.com",
        description="where LinkedIn's OAuth token endpoint (/oauth/v2/accessToken) is reached",
    )
    secrets: Path | None = Field(
        default=None,
        description="a file of 'account = token [refresh token]' lines, one per synced account",
    )
    linkedin_daily_calls: int = Field(
        default=500,
        ge=1,
        le=10_000_000,
        description="LinkedIn calls a sync may make per token per UTC day",
    )

    @model_validator(mode="before")
    @classmethod
    def _pack_folders(cls, data: object) -> object:
        """NARRATOR_RULES and NARRATOR_NARRATIVES, when set, win; else the folders of
        NARRATOR_PACK; else the pack installed with the package."""
        if not isinstance(data, dict):
            return data
        pack = data.get("pack") or None
        if pack is not None:
            missing = [name for name in FOLDERS if not (Path(pack) / name).is_dir()]
            if missing and any(not data.get(name) for name in missing):
                raise ValueError(
                    f"NARRATOR_PACK: {pack} has no {missing[0]}/ folder; make a pack there "
                    f"with narrator init {pack}, or point NARRATOR_PACK at the folder that "
                    "holds rules/ and narratives/"
                )
        base = Path(pack) if pack is not None else shipped_pack()
        return {
            **data,
            **{name: base / name for name in FOLDERS if not data.get(name)},
        }

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError, TypeError):
            raise ValueError(f"'{value}' is not a language code such as en or de") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from bot.clock.schedule import ScheduleError, parse_zone

        try:
            return parse_zone(value)
        except ScheduleError as exc:
            raise ValueError(zone_problem(value, exc.suggestion)) from None

    @field_validator("linkedin_api_url", "linkedin_oauth_url")
    @classmethod
    def _linkedin_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError(
                "must be an https URL such as https://api.linkedin.com (plain http would "
                "send the access token in clear)"
            )
        return value.rstrip("/")

    @property
    def narratives_dir(self) -> Path:
        return self.narratives / self.locale


def zone_problem(value: str, suggestion: str | None) -> str:
    """A zone that is not one, in plain words."""
    hint = f"did you mean {suggestion}? " if suggestion else ""
    return (
        f"'{value[:80]}' is not a time zone name: {hint}Use a name of the tz database such "
        "as Europe/Paris or America/New_York (region first, case as written)"
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a malformed value into a message that names it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            if not err["loc"]:  # a check of several settings names them itself
                problems.append(message)
                continue
            name = "NARRATOR_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {message}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None


#: Slack generates 32-character signing secrets; a shorter one is a placeholder or
#: a partial paste, and a short HMAC key can be guessed.
MIN_SIGNING_SECRET = 32
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SlackSettings(FromEnvironment):
    """The Slack app's credentials and who administers it."""

    # Built on first use (serve, clock): most commands never read Slack settings.
    model_config = ConfigDict(
        extra="ignore", frozen=True, hide_input_in_errors=True, defer_build=True
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    narrator_admins: str = ""
    port: int = Field(default=3000, ge=1, le=65535)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _token(value, "xoxb-", "a bot token", "OAuth & Permissions → Bot User OAuth Token")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _token(value, "xapp-", "an app-level token", "Basic Information → App-Level Tokens")

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Requests are trusted because they carry an HMAC under this key: an empty or
        short one (a placeholder, half a paste) would let anyone sign a forged request."""
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        where = "copy it whole from Basic Information → App Credentials → Signing Secret"
        if not secret:
            raise ValueError(f"is empty: {where}")
        if any(ch.isspace() for ch in secret):
            raise ValueError(f"has a space or line break in it: {where}")
        if len(secret) < MIN_SIGNING_SECRET:
            raise ValueError(
                f"is too short (Slack's signing secrets have {MIN_SIGNING_SECRET} characters): "
                + where
            )
        return SecretStr(secret)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL such as https://slack.com/api/")
        # The bot token travels with every call: in clear text only to this machine.
        host = urllib.parse.urlsplit(value).hostname or ""
        if value.startswith("http://") and host not in _LOOPBACK:
            raise ValueError(
                "must start with https:// (plain http only for 127.0.0.1 or localhost)"
            )
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


def _token(value: SecretStr | None, prefix: str, kind: str, where: str) -> SecretStr | None:
    if value is None:
        return None
    token = value.get_secret_value().strip()
    if not token:
        raise ValueError(f"is empty: copy {kind} from {where}")
    if not token.startswith(prefix):
        raise ValueError(f"must be {kind} starting with {prefix}")
    if token == prefix:
        raise ValueError(f"is only the {prefix} prefix: copy the whole token from {where}")
    if any(ch.isspace() for ch in token):
        raise ValueError(f"has a space or line break in it: copy it again from {where}")
    return SecretStr(token)


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
            + f" (see {guide('slack-setup.md')} for where to find "
            + ("it" if len(missing) == 1 else "them")
            + ")"
        )
    return settings


def cache_folder() -> Path | None:
    """Where compiled templates are kept between runs (`bot.narrate.cache`):
    NARRATOR_CACHE if set (`off` or empty: nowhere), else the user's cache folder."""
    import os
    import sys

    value = os.environ.get("NARRATOR_CACHE")
    if value is not None:
        off = value.strip().lower() in ("", "off", "0", "no", "false")
        return None if off else Path(value).expanduser()
    try:
        if sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home folder to speak of: no cache
        return None
    return base / "insight-narrator" / "templates"
