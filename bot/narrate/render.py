"""Render templates and template blocks into Slack mrkdwn text."""

from __future__ import annotations

import re
import traceback
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

    def failure(self, exc: BaseException, name: str) -> str:
        """What went wrong rendering a block of template `name`, and on which line of
        the template (mapped back from the compiled code the traceback shows)."""
        template = self.env.get_template(name)
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.replace("\\", "/").endswith(name) and frame.lineno is not None:
                line = template.get_corresponding_lineno(frame.lineno)
        where = f"{name} line {line}" if line else name
        return f"{where}: {type(exc).__name__}: {exc}"

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
