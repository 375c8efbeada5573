"""What one render of a template may cost: a template is a small program written
by whoever edits the pack, run for every reply and every `rules check`.

Each render runs under a `Budget`: at most MAX_STEPS loop rounds and calls,
macros nested MAX_DEPTH deep, RENDER_SECONDS of processor time, MAX_OUTPUT
characters written. The sandbox (`bot.narrate.env`) counts a step at every loop
round, call, filter and operator, and refuses before it happens any operation
that would build a text or list longer than MAX_SIZE (`"x" * 10**7`, a width of
10**9, a `replace` that grows) or a number longer than MAX_BITS. Going over is a
`TemplateLimitError` saying what to change; the caller adds the template line.

These checks run between template steps, so they bound every template the
sandbox can express, but not a single step that is slow in C for a reason not
foreseen here: `rules check` and reload attempts therefore also run in a child
process with a time budget (`bot.packcheck`).
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from typing import Any

from jinja2 import TemplateError

#: Loop rounds and calls in one render (the demo `last10` reply takes under 1,000).
MAX_STEPS = 20_000
#: Macro (and other) calls nested in one another.
MAX_DEPTH = 50
#: Characters of one text, or items of one list, a template builds.
MAX_SIZE = 100_000
#: Characters one render writes (a `last10` reply is about 5,000; `rules` with
#: 200 rules under 100,000).
MAX_OUTPUT = 200_000
#: Bits of an integer a template computes: 2**100 is 31 digits.
MAX_BITS = 100
#: Wall time of one render (the slowest shipped template takes a few ms).
RENDER_SECONDS = 1.0

STEPS = f"it takes more than {MAX_STEPS:,} steps (loop rounds and calls); loop over fewer things"
DEPTH = f"it calls macros more than {MAX_DEPTH} deep; does a macro call itself?"
SIZE = f"it builds a text or list longer than {MAX_SIZE:,}; build less"
WIDE = f"it asks for text wider than {MAX_SIZE:,} characters; ask for less"
NUMBER = "it computes a number more than 30 digits long"
NESTED = "it includes, imports or extends itself, or nests too deeply; break the loop"
OUTPUT = f"it writes more than {MAX_OUTPUT:,} characters; write less"


class TemplateLimitError(TemplateError):
    """A render went over one of its limits; the message says which and what to do."""


class TemplateTimeError(TemplateLimitError):
    """A render went over its time."""


class Budget:
    """The steps, nesting and deadline of one render."""

    __slots__ = ("deadline", "depth", "seconds", "steps")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        # The rendering thread's processor time, not the clock on the wall: a busy
        # machine (a parallel test run, a loaded server) must not fail a template
        # whose work is small. A template can only compute, never wait, so its time
        # is all processor time. Read every 16th step: the clock costs a system call.
        self.deadline = time.thread_time() + seconds
        self.steps = 0
        self.depth = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(STEPS)
        if self.steps & 15 == 1 and time.thread_time() > self.deadline:
            raise TemplateTimeError(
                f"it took longer than {self.seconds:g} s to render; loop over fewer things"
            )


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "render_budget", default=None
)


@contextmanager
def budget(seconds: float) -> Iterator[Budget]:
    """Hold the renders inside the block to one fresh budget."""
    token = _current.set(Budget(seconds))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def step() -> None:
    spent = _current.get()
    if spent is not None:
        spent.step()


@contextmanager
def nested() -> Iterator[None]:
    """One call deeper, for the length of the call."""
    spent = _current.get()
    if spent is None:
        yield
        return
    spent.depth += 1
    try:
        if spent.depth > MAX_DEPTH:
            raise TemplateLimitError(DEPTH)
        yield
    finally:
        spent.depth -= 1


def budgeted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every `{% for %}` loops over this: one step per round."""
    for item in iterable:
        step()
        yield item


def text_size(value: Any, limit: int = MAX_SIZE) -> int:
    """About how many characters `str(value)` has, counted without building it (a
    list of 100,000 references to one long text is small until it is written);
    stops counting past `limit`, so counting costs little too."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, list | tuple | dict | set | frozenset):
        return 24
    total = 2
    pending: list[Any] = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 4
        elif isinstance(item, dict):
            total += 2
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2
            pending.extend(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        else:
            total += 24
    return total


def check_text(*values: Any) -> None:
    """Refuse values whose text, once written, would be longer than MAX_SIZE."""
    total = 0
    for value in values:
        total += text_size(value)
        if total > MAX_SIZE:
            raise TemplateLimitError(SIZE)


def check_size(value: Any) -> Any:
    """`value`, unless it is a text or list longer than MAX_SIZE or a huge integer.
    (How long a list's text would be is checked where it is written: `check_text`.)"""
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_SIZE:
        raise TemplateLimitError(SIZE)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_BITS:
        raise TemplateLimitError(NUMBER)
    return value


def _sized(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too large, before it is computed."""
    step()
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if _sized(seq) and _int(times) and len(seq) * times > MAX_SIZE:
                raise TemplateLimitError(SIZE)
        if _int(left) and _int(right) and left.bit_length() + right.bit_length() > MAX_BITS:
            raise TemplateLimitError(NUMBER)
    elif operator == "**":
        if _int(left) and _int(right) and abs(left) > 1 and left.bit_length() * right > MAX_BITS:
            raise TemplateLimitError(NUMBER)
    elif operator == "+":
        if _sized(left) and _sized(right):
            check_text(left, right)
    elif operator == "%" and isinstance(left, str):
        args = right if isinstance(right, tuple) else (right,)
        if isinstance(right, Mapping):
            args = tuple(right.values())
        check_format(left, args)
        check_text(left, *args)


_DIGITS = re.compile(r"\d+")
#: A width taken from the arguments: `%*d`, or `{0:{1}}` in str.format.
_ARGUMENT_WIDTH = re.compile(r"%[-#0 +]*\*|\{[^{}]*:[^{}]*\{")


def check_format(text: str, args: Sequence[Any]) -> None:
    """Refuse a format asking for a width (or precision) over MAX_SIZE."""
    if any(len(d) > 6 or int(d) > MAX_SIZE for d in _DIGITS.findall(text)):
        raise TemplateLimitError(WIDE)
    if _ARGUMENT_WIDTH.search(text) and any(_int(a) and a > MAX_SIZE for a in args):
        raise TemplateLimitError(WIDE)


#: Methods and filters that make text (or lists) as wide or long as a number given.
_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill", "batch", "slice"})


def check_call(name: str, subject: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse a method or filter call that would build too much, before it runs.
    `subject` is the text (or list) it works on, `args` the rest."""
    step()
    given = [*args, *kwargs.values()]
    if subject is None:  # a macro or a global such as dict(): nothing to grow
        return
    if name in _WIDTHS:
        if any(_int(a) and a > MAX_SIZE for a in given):
            raise TemplateLimitError(WIDE)
    elif name in ("indent", "wordwrap") and isinstance(subject, str):
        # Each line (or each wrap) gets the indent (or the wrap string) added.
        pieces = len(subject) + 1 if name == "wordwrap" else subject.count("\n") + 1
        for extra in given:
            width = extra if _int(extra) else len(extra) if isinstance(extra, str) else 0
            if name == "indent" and width * pieces + len(subject) > MAX_SIZE:
                raise TemplateLimitError(WIDE)
            if name == "wordwrap" and isinstance(extra, str) and width * pieces > MAX_SIZE:
                raise TemplateLimitError(SIZE)
    elif name == "sum" and any(isinstance(a, str | list | tuple) for a in given):
        raise TemplateLimitError(f"it adds up lists; use join instead. {SIZE}")
    elif name == "expandtabs" and isinstance(subject, str):
        if any(_int(a) and a * max(subject.count("\t"), 1) > MAX_SIZE for a in given):
            raise TemplateLimitError(WIDE)
    elif name == "replace" and isinstance(subject, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = subject.count(old) if old else len(subject) + 1
        if len(subject) + count * max(len(new) - len(old), 0) > MAX_SIZE:
            raise TemplateLimitError(SIZE)
    elif name in ("format", "format_map") and isinstance(subject, str):
        values = given[0].values() if name == "format_map" and given else given
        check_format(subject, list(values))
        check_text(subject, *values)
    elif name == "join":
        _check_join(subject, given)
    elif name == "string":
        check_text(subject)


def _check_join(subject: Any, given: list[Any]) -> None:
    """`items|join(sep)` or `sep.join(items)`: the text of the items, plus the
    separator once per item, whichever of the two is the separator."""
    other = given[0] if given else ""
    for items, separator in ((subject, other), (other, subject)):
        if isinstance(separator, str) and isinstance(items, Sized):
            size = text_size(items) + len(separator) * len(items)
            if size > MAX_SIZE:
                raise TemplateLimitError(SIZE)


def concat(parts: list[Any]) -> str:
    """`a ~ b`: the texts joined, unless that would be longer than MAX_SIZE."""
    step()
    check_text(*parts)
    return "".join(str(part) for part in parts)
