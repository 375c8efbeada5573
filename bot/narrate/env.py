"""The Jinja environment every narrative is rendered in."""

from __future__ import annotations

from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.narrate.filters import finalize, make_filters, missing


def make_environment(narratives: Path, locale: str) -> ImmutableSandboxedEnvironment:
    """A sandboxed, strict environment over `narratives/<locale>/`.

    HTML autoescape is off (Slack is not HTML: `&#39;` would show literally);
    instead `finalize` escapes every value for Slack mrkdwn, so data such as a
    post title `<!channel>` is shown, never obeyed.
    """
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(narratives / locale)),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(make_filters(locale))
    env.tests["missing"] = missing
    env.globals["locale"] = locale
    return env
