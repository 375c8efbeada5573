"""Render templates and template blocks into Slack mrkdwn text."""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, Template, TemplateNotFound

from bot.narrate import limits
from bot.narrate.env import make_environment

_BLANK_RUNS = re.compile(r"\n{3,}")


class Narrator:
    """Renders narratives/<locale>/ templates; one per language, reused across requests.

    Every render is held to the budget of `bot.narrate.limits`, `render_seconds`
    of time included. A template that once ran out of time is refused at once
    afterwards (until the pack is reloaded): a slow template fails one finding
    in its time, not every finding of every reply."""

    def __init__(
        self, narratives: Path, locale: str = "en", *, render_seconds: float = limits.RENDER_SECONDS
    ) -> None:
        self.locale = locale
        self.root = narratives / locale
        self.narratives = narratives
        self.render_seconds = render_seconds
        self._too_slow: set[str] = set()
        self._lock = threading.Lock()
        self._env: Environment | None = None

    @property
    def env(self) -> Environment:
        """The language's Jinja environment, made at its first use: a pack holds every
        language, and a command answering in one need not load the others' number
        formats (Babel's locale data)."""
        if self._env is None:
            with self._lock:
                if self._env is None:
                    self._env = make_environment(self.narratives, self.locale)
        return self._env

    @contextmanager
    def _budget(self, name: str) -> Iterator[None]:
        with self._lock:
            if name in self._too_slow:
                raise limits.TemplateLimitError(
                    f"skipped: it took longer than {self.render_seconds:g} s on an earlier "
                    "render; loop over fewer things"
                )
        try:
            with limits.budget(self.render_seconds):
                yield
        except limits.TemplateTimeError:
            with self._lock:
                self._too_slow.add(name)
            raise
        except RecursionError as exc:
            # Includes, imports and extends nest Python frames, not sandbox calls: a
            # template that includes itself ends here. Its traceback locates the line.
            raise limits.TemplateLimitError(limits.NESTED).with_traceback(
                exc.__traceback__
            ) from None

    def _template(self, name: str) -> Template:
        return self.env.get_template(name)

    def has(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except TemplateNotFound:
            return False
        return True

    def has_block(self, name: str, block: str) -> bool:
        """Whether template `name` exists and holds `{% block BLOCK %}`."""
        return self.has(name) and block in self._template(name).blocks

    def render(self, name: str, **context: Any) -> str:
        """Render a whole template: trailing spaces trimmed, blank runs collapsed."""
        template = self.env.get_template(name)
        with self._budget(name):
            try:
                text = _written(template.root_render_func(template.new_context(context)))
            except Exception:
                self.env.handle_exception()  # as Template.render does: template lines
        return tidy(text)

    def block(self, name: str, block: str, **context: Any) -> str | None:
        """Render one `{% block %}` of a template as a single paragraph, or None if absent."""
        template = self.env.get_template(name)
        render = template.blocks.get(block)
        if render is None:
            return None
        with self._budget(name):
            text = _written(render(template.new_context(context)))
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
        if isinstance(exc, limits.TemplateLimitError):  # already in plain words
            return f"{where}: {exc}"
        return f"{where}: {type(exc).__name__}: {exc}"

    def blocks(self, name: str, **context: Any) -> dict[str, str]:
        """Render every block of a layout template separately (for Block Kit)."""
        template = self.env.get_template(name)
        out = {}
        with self._budget(name):
            for block_name, render in template.blocks.items():
                out[block_name] = tidy(_written(render(template.new_context(context))))
        return out


def _written(chunks: Iterable[str]) -> str:
    """The chunks of a render, joined, unless they come to more than MAX_OUTPUT."""
    out = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limits.MAX_OUTPUT:
            raise limits.TemplateLimitError(limits.OUTPUT)
        out.append(chunk)
    return "".join(out)


def tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip() + "\n"
