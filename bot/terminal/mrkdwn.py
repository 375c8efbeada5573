"""Slack mrkdwn read back into plain pieces, for the terminal.

The templates write Slack's mrkdwn, so Slack and the terminal say the same words;
this turns a rendered reply into lines of styled spans and preformatted blocks (a
code fence whose lines fall into the same columns is a table). It knows only
Slack's syntax, never a template's words, so every language reads the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

#: The emoji codes the templates use, as a symbol and a colour: a severity stays a
#: coloured shape (red cross, orange triangle...) that still reads when piped.
EMOJI: dict[str, tuple[str, str]] = {
    "red_circle": ("✖", "bold red"),
    "large_orange_circle": ("▲", "bold yellow"),
    "large_blue_circle": ("●", "bold blue"),
    "large_green_circle": ("✔", "bold green"),
    "white_circle": ("○", "dim"),
    "hourglass_flowing_sand": ("…", "dim"),
    "grey_question": ("?", "dim"),
    "heavy_division_sign": ("÷", "yellow"),
    "warning": ("!", "bold yellow"),
    "white_check_mark": ("✔", "green"),
    "stopwatch": ("◷", "bold"),
}

#: What `neutralise` put in place of formatting marks in data: the terminal shows the
#: characters as they were written (nothing here reads them as marks).
_LOOKALIKES = str.maketrans({"∗": "*", "ˋ": "`", "∼": "~", "ˍ": "_"})

_ATOM = re.compile(
    r"<(?P<angle>[^<>\n]+)>|`(?P<code>[^`\n]+)`|:(?P<emoji>" + "|".join(EMOJI) + r"):"
)
# Slack's emphasis: a mark at a word's edge, content neither starting nor ending in a
# space. Atoms (links, code) are placeholders by then, so emphasis may wrap them.
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?!\s)(?P<bold>[^*\n]+?)(?<!\s)\*(?![\w*])"
    r"|(?<![\w_])_(?!\s)(?P<italic>[^_\n]+?)(?<!\s)_(?![\w_])"
    r"|(?<![\w~])~(?!\s)(?P<strike>[^~\n]+?)(?<!\s)~(?![\w~])"
)
_PLACEHOLDER = 0xE000  # private use: never in a template's words or in data


@dataclass(frozen=True)
class Span:
    """A run of text and how it looks; `link` is the address a title points to."""

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    link: str | None = None
    symbol: str | None = None  # the style of an emoji's symbol


@dataclass(frozen=True)
class Block:
    """A code fence's lines, and its cells when they fall into columns."""

    lines: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] | None = None
    right: tuple[bool, ...] = ()  # per column: right-aligned in the source


Line = tuple[Span, ...]


def parse(text: str) -> list[Line | Block]:
    """A reply's lines (each a tuple of spans) and its code blocks, in order."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: list[Line | Block] = []
    fence: list[str] | None = None
    for line in lines:
        if fence is not None:
            if line.rstrip().endswith("```"):
                fence.append(line.rstrip()[:-3])
                out.append(_block([f for f in fence if f.strip()]))
                fence = None
            else:
                fence.append(line)
        elif line.lstrip().startswith("```"):
            rest = line.lstrip()[3:]
            if rest.rstrip().endswith("```"):
                out.append(_block([rest.rstrip()[:-3]]))
            else:
                fence = [rest]
        else:
            out.append(parse_line(line))
    if fence is not None:  # never closed: Slack shows it as written
        out.extend(parse_line(f) for f in ["```" + fence[0], *fence[1:]])
    return out


def parse_line(line: str) -> Line:
    """One line of mrkdwn as spans: links, code, emoji, then emphasis around them."""
    atoms: list[Span] = []

    def hold(match: re.Match[str]) -> str:
        atoms.append(_atom(match))
        return chr(_PLACEHOLDER + len(atoms) - 1)

    held = _ATOM.sub(hold, line)
    return tuple(s for s in _emphasis(held, Span(""), atoms) if s.text)


def _emphasis(text: str, style: Span, atoms: list[Span]) -> list[Span]:
    spans: list[Span] = []
    at = 0
    for match in _EMPHASIS.finditer(text):
        spans.extend(_plain(text[at : match.start()], style, atoms))
        kind = match.lastgroup or "bold"
        spans.extend(_emphasis(match.group(kind), replace(style, **{kind: True}), atoms))
        at = match.end()
    spans.extend(_plain(text[at:], style, atoms))
    return spans


def _plain(text: str, style: Span, atoms: list[Span]) -> list[Span]:
    spans: list[Span] = []
    buffer = ""
    for ch in text:
        index = ord(ch) - _PLACEHOLDER
        if 0 <= index < len(atoms):
            if buffer:
                spans.append(replace(style, text=_words(buffer)))
                buffer = ""
            atom = atoms[index]
            spans.append(
                replace(
                    atom,
                    bold=style.bold or atom.bold,
                    italic=style.italic or atom.italic,
                    strike=style.strike or atom.strike,
                )
            )
        else:
            buffer += ch
    if buffer:
        spans.append(replace(style, text=_words(buffer)))
    return spans


def _words(text: str) -> str:
    return unescape(text).translate(_LOOKALIKES)


def unescape(text: str) -> str:
    """Slack's three escapes undone (only those: a template's own "&para" is words)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _atom(match: re.Match[str]) -> Span:
    if match.group("code") is not None:
        return Span(_words(match.group("code")), code=True)
    if match.group("emoji") is not None:
        symbol, style = EMOJI[match.group("emoji")]
        return Span(symbol, symbol=style)
    inside = match.group("angle")
    target, _, label = inside.partition("|")
    if target.startswith(("http://", "https://", "mailto:")):
        address = unescape(target)
        return Span(_words(label) if label else address, link=address)
    if target.startswith("@"):  # a user: <@U123>
        return Span((label and "@" + _words(label)) or target, bold=True)
    if target.startswith("#"):  # a channel: <#C123|general>
        return Span("#" + _words(label) if label else target, bold=True)
    if target.startswith("!"):  # <!here>, <!date^...|fallback>
        return Span(_words(label) if label else "@" + target[1:].split("^")[0], bold=True)
    return Span(_words(match.group(0)))


def _block(lines: list[str]) -> Block:
    """A fence's lines; a table when every line has the header's number of cells, cells
    being runs of text apart by two spaces or more (the templates' column gap)."""
    text = tuple(_words(line.rstrip()) for line in lines)
    cells = [list(re.finditer(r"[^ ]+(?: [^ ]+)*", line)) for line in text]
    if len(text) < 2 or len(cells[0]) < 2 or any(len(c) != len(cells[0]) for c in cells):
        return Block(text)
    right = tuple(len({row[i].end() for row in cells}) == 1 for i in range(len(cells[0])))
    rows = tuple(tuple(m.group(0) for m in row) for row in cells)
    return Block(text, rows, right)
