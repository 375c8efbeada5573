"""The Jinja environment every narrative is rendered in."""

from __future__ import annotations

import functools
import os
import posixpath
import re
from collections.abc import Callable, Sized
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
)
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from bot.config import cache_folder
from bot.limits import PackFileError, digits_too_long, number_too_large, read_pack_file
from bot.narrate import limits
from bot.narrate.cache import open_cache
from bot.narrate.filters import ZONED, finalize, make_filters, missing, zoned

#: Filters the compiled templates call, under names no template can write.
_LOOP = "loop budget"
_CONCAT = "concat budget"


class TemplateRefusedError(TemplateError):
    """A template file that must not be read (see `bot.limits`), and why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class PackLoader(BaseLoader):
    """Templates from `narratives/<locale>/`, each read through `bot.limits`: a link
    out of `narratives/`, a pipe or a file over the size limit is refused, never read.
    `..` in a name is refused by `split_template_path`."""

    def __init__(self, narratives: Path, locale: str) -> None:
        self.narratives = narratives
        self.folder = narratives / locale
        # Found once, at the first template: every template of the pack lies below it.
        self._real: str | None = None

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = Path(posixpath.join(self.folder, *split_template_path(template)))
        if not os.path.lexists(path):
            raise TemplateNotFound(template)
        try:
            if self._real is None:
                self._real = os.path.realpath(self.narratives)
            text = read_pack_file(path, self.narratives, self._real).decode("utf-8")
        except PackFileError as exc:
            raise TemplateRefusedError(template, exc.reason) from None
        except UnicodeDecodeError:
            raise TemplateRefusedError(template, "is not UTF-8 text; save it as UTF-8") from None
        # Templates are compiled once per pack (auto_reload is off): never out of date.
        return text, os.path.normpath(path), lambda: True


class _Budgeted(NodeTransformer):
    """Route what the sandbox has no hook for through one: every `{% for %}` loops
    over `limits.budgeted` (a step per round) and every `a ~ b` joins with
    `limits.concat` (refused when too long)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT, [], [], None, None, lineno=node.lineno)


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, holding each render to the budget of `bot.narrate.limits`."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        try:
            tree = super()._parse(source, name, filename)
        except ValueError as exc:  # an integer literal too long for Python to read
            run = max(re.findall(r"\d+", source), key=len, default="")
            if "digits" not in str(exc) or not run:
                raise
            line = source[: source.index(run)].count("\n") + 1
            raise TemplateSyntaxError(digits_too_long(len(run)), line, name, filename) from None
        for const in tree.find_all(nodes.Const):
            too_large = number_too_large(const.value)
            if too_large:
                raise TemplateSyntaxError(too_large, const.lineno, name, filename)
        tree = _Budgeted().visit(tree)
        tree.set_environment(self)
        return tree

    def call(self, __context: Any, __obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "")
        limits.check_call(name, getattr(__obj, "__self__", None), args, kwargs)
        limits.check_text(*args, *kwargs.values())
        with limits.nested():
            return limits.check_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja wraps str.format when it is read, not when it is called: guard it there.
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        name, text = value.__name__, value.__self__

        @functools.wraps(wrapped)
        def guarded(*args: Any, **kwargs: Any) -> str:
            limits.check_call(name, text, args, kwargs)
            return limits.check_size(wrapped(*args, **kwargs))

        return guarded

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits.check_binop(operator, left, right)
        return limits.check_size(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        # A namespace attribute doubled in a loop is refused when it is read back.
        return limits.check_size(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return limits.check_size(super().getitem(obj, argument))


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that counts as a step and is refused before it builds too much."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)  # keeps `jinja_pass_arg` (pass_context and the like)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) > skip:
            subject = args[skip]
            if name == "join" and not isinstance(subject, Sized):
                subject = list(limits.budgeted(subject))  # measured before it is joined
                args = (*args[:skip], subject, *args[skip + 1 :])
            limits.check_call(name, subject, args[skip + 1 :], kwargs)
        return limits.check_size(func(*args, **kwargs))

    return guarded


def _finalize(value: Any) -> Any:
    limits.check_text(value)
    return finalize(value)


def make_environment(narratives: Path, locale: str) -> ImmutableSandboxedEnvironment:
    """A sandboxed, strict environment over `narratives/<locale>/`, each render held
    to the limits of `bot.narrate.limits`.

    HTML autoescape is off (Slack is not HTML: `&#39;` would show literally);
    instead `finalize` escapes every value for Slack mrkdwn, so data such as a
    post title `<!channel>` is shown, never obeyed.

    Compiled templates are kept between runs in the user's cache folder
    (`bot.narrate.cache`, NARRATOR_CACHE).
    """
    env = LimitedEnvironment(
        loader=PackLoader(narratives, locale),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=open_cache(cache_folder()),
    )
    filters = make_filters(locale)
    env.filters.update({name: zoned(f) if name in ZONED else f for name, f in filters.items()})
    env.filters = {name: _guarded(name, func) for name, func in env.filters.items()}
    env.filters[_LOOP] = limits.budgeted
    env.filters[_CONCAT] = limits.concat
    env.tests["missing"] = missing
    env.globals["locale"] = locale
    del env.globals["lipsum"]  # lorem ipsum of any length: nothing a narrative needs
    return env
