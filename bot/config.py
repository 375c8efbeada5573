"""Read settings from the environment: the only module that does."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
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
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None
