"""Render templates and template blocks into Slack mrkdwn text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import TemplateNotFound

from bot.narrate.env import make_environment

_BLANK_RUNS = re.compile(r"\n{3,}")


class Narrator:
    """Renders narratives/<locale>/ templates; one per language, reused across requests."""

    def __init__(self, narratives: Path, locale: str = "en") -> None:
        self.locale = locale
        self.root = narratives / locale
        self.env = make_environment(narratives, locale)

    def has(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except TemplateNotFound:
            return False
        return True

    def render(self, name: str, **context: Any) -> str:
        """Render a whole template: trailing spaces trimmed, blank runs collapsed."""
        text = self.env.get_template(name).render(**context)
        return tidy(text)

    def block(self, name: str, block: str, **context: Any) -> str | None:
        """Render one `{% block %}` of a template as a single paragraph, or None if absent."""
        template = self.env.get_template(name)
        render = template.blocks.get(block)
        if render is None:
            return None
        text = "".join(render(template.new_context(context)))
        return " ".join(text.split()) or None

    def blocks(self, name: str, **context: Any) -> dict[str, str]:
        """Render every block of a layout template separately (for Block Kit)."""
        template = self.env.get_template(name)
        out = {}
        for block_name, render in template.blocks.items():
            out[block_name] = tidy("".join(render(template.new_context(context))))
        return out


def tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip() + "\n"
