"""Draw a reply for a terminal with rich: bold, colour and links on a TTY, plain text in
a pipe; a link as its title then its address; a code fence in columns as a table."""

from __future__ import annotations

import sys
from typing import TextIO

from rich import box
from rich.console import Console, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from bot.terminal.mrkdwn import Block, Line, parse

#: Width when not on a terminal: wide enough that a table is never squeezed, and text
#: is never wrapped (soft wrap), so a pipe gets each line whole.
PIPE_WIDTH = 200


def console(stream: TextIO | None = None, *, force_terminal: bool | None = None) -> Console:
    out = stream if stream is not None else sys.stdout
    tty = force_terminal if force_terminal is not None else out.isatty()
    return Console(
        file=out,
        force_terminal=force_terminal,
        width=None if tty else PIPE_WIDTH,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
    )


def renderables(text: str) -> list[RenderableType]:
    """A reply's mrkdwn as what rich prints: runs of lines as one Text, tables apart."""
    out: list[RenderableType] = []
    lines: list[Text] = []
    for piece in parse(text):
        if isinstance(piece, Block):
            if lines:
                out.append(Text("\n").join(lines))
                lines = []
            out.append(_block(piece))
        else:
            lines.append(_line(piece))
    if lines:
        out.append(Text("\n").join(lines))
    return out


def show(text: str, stream: TextIO | None = None, *, force_terminal: bool | None = None) -> None:
    """Print a reply's mrkdwn as terminal text on `stream` (default stdout)."""
    target = console(stream, force_terminal=force_terminal)
    for item in renderables(text):
        target.print(item)


def plain(text: str) -> str:
    """The reply as a pipe gets it (for tests and JSON-free callers)."""
    import io

    buffer = io.StringIO()
    show(text, buffer, force_terminal=False)
    return buffer.getvalue()


def _line(spans: Line) -> Text:
    text = Text()
    for span in spans:
        if span.symbol is not None:
            text.append(span.text, style=span.symbol)
            continue
        style = Style(
            bold=span.bold or None,
            italic=span.italic or None,
            strike=span.strike or None,
            color="cyan" if span.code else None,
        )
        if span.link is None:
            text.append(span.text, style=style)
        elif span.text == span.link:
            text.append(span.text, style=style + Style(link=span.link, underline=True))
        else:
            text.append(span.text, style=style + Style(link=span.link))
            text.append(" (")
            text.append(span.link, style=Style(link=span.link, dim=True, underline=True))
            text.append(")")
    return text


def _block(block: Block) -> RenderableType:
    if block.rows is None:
        return Text("\n".join(block.lines), style="cyan")
    header, *rows = block.rows
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold", expand=False
    )
    for cell, right in zip(header, block.right, strict=True):
        table.add_column(cell, justify="right" if right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table
