"""Turn a Reply into Slack messages: Block Kit within Slack's limits.

Every word comes from the same templates the terminal prints (the partials of
last10.j2), so Slack and `narrator ask` say the same thing. Data values arrive
already escaped for mrkdwn; plain_text fields (headers, buttons) are unescaped,
since Slack shows plain_text literally and never parses mentions in it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.commands import Reply
from bot.narrate.render import Narrator

MAX_BLOCKS = 50  # per message
MAX_SECTION = 3000  # characters of one section's text
MAX_MESSAGE = 12000  # characters across a message's blocks (Slack refuses ~13k)
MAX_HEADER = 150
MAX_BUTTON = 75


@dataclass(frozen=True)
class Message:
    """One Slack message: fallback text for notifications, and its blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...]


def render(reply: Reply, narrator: Narrator) -> list[Message]:
    """The reply as one message, or several if Slack's limits require."""
    if reply.kind == "last10":
        blocks, text = _last10(reply.context, narrator)
    elif reply.kind == "post":
        blocks, text = _post(reply.context, narrator)
    else:
        blocks, text = _sections(reply.text), _first_line(reply.text)
    return split(blocks, text)


def _last10(ctx: dict[str, Any], narrator: Narrator) -> tuple[list[dict[str, Any]], str]:
    def part(name: str, **extra: Any) -> str:
        return narrator.render(f"partials/{name}.j2", **{**ctx, **extra}).strip()

    blocks: list[dict[str, Any]] = [
        header(plain(part("header"))),
        context(part("subtitle")),
        *_sections(part("table")),
        {"type": "divider"},
    ]
    # A trait (a finding on most posts, said once at the top) gets the Mute button a
    # post's finding gets: muting its rule here silences it under every post too.
    traits = [_buttons(narrator, None, ctx["traits"])] if ctx.get("traits") else []
    if ctx["standouts"]:
        blocks += _sections(part("standouts-title"))
        blocks += traits
        for group in ctx["standouts"]:
            blocks += _sections(part("standout", group=group))
            blocks.append(_buttons(narrator, group["post"]["id"], group["findings"]))
    else:
        blocks += _sections(part("nothing"))
        blocks += traits
    if ctx["pending"]:
        blocks.append(context(part("pending")))
    if ctx["across"]:
        blocks += _sections(part("across"))
        blocks.append(_buttons(narrator, None, ctx["across"]))
    if ctx["next_steps"]:
        blocks += _sections(part("next-steps"))
    blocks.append(context(part("definitions")))
    text = narrator.block("slack/labels.j2", "last10_notification", **ctx) or ""
    return blocks, text


def _post(ctx: dict[str, Any], narrator: Narrator) -> tuple[list[dict[str, Any]], str]:
    text = narrator.render("messages/post.j2", **ctx)
    blocks = _sections(text)
    blocks.append(_buttons(narrator, ctx["post"]["id"], ctx["findings"]))
    return blocks, _first_line(text)


def _buttons(
    narrator: Narrator, post_id: str | None, findings: list[dict[str, Any]]
) -> dict[str, Any]:
    """ "Why?" for a post, and "Mute RULE here" for each of its findings."""
    elements = []
    if post_id is not None:
        label = narrator.block("slack/labels.j2", "why") or "Why?"
        elements.append(button(label, "why", post_id))
    seen = set()
    for finding in findings:
        if finding["rule"] in seen:
            continue
        seen.add(finding["rule"])
        label = narrator.block("slack/labels.j2", "mute", rule=finding["rule"]) or finding["rule"]
        elements.append(button(label, "mute", finding["rule"]))
    return {"type": "actions", "elements": elements[:25]}


def button(label: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": _clip(plain(label), MAX_BUTTON)},
        "action_id": action_id,
        "value": value[:2000],
    }


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text, MAX_HEADER)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, MAX_SECTION)}]}


def section(text: str) -> dict[str, Any]:
    # Slack refuses a whole message or view over a section past 3,000 characters.
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION)}}


def _sections(text: str) -> list[dict[str, Any]]:
    """Sections of at most MAX_SECTION characters, cut at line ends (a code block
    cut in two is closed and reopened so both halves stay monospaced)."""
    text = text.strip()
    if not text:
        return []
    out, current, fenced = [], "", False
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) + (4 if fenced else 0) > MAX_SECTION and current:
            out.append(section(current + ("\n```" if fenced else "")))
            current = ("```\n" if fenced else "") + line
        else:
            current = candidate
        if line.strip().startswith("```"):
            fenced = not fenced
        if len(current) > MAX_SECTION:  # one very long line
            out.append(section(current[: MAX_SECTION - 1] + "…"))
            current = ""
    if current:
        out.append(section(current))
    return out


def split(blocks: list[dict[str, Any]], text: str) -> list[Message]:
    """Cut the blocks into messages within Slack's block and size limits."""
    messages: list[Message] = []
    current: list[dict[str, Any]] = []
    size = 0
    for block in blocks:
        weight = _weight(block)
        if current and (len(current) >= MAX_BLOCKS or size + weight > MAX_MESSAGE):
            messages.append(Message(text, tuple(current)))
            current, size = [], 0
        current.append(block)
        size += weight
    if current or not messages:
        messages.append(Message(text, tuple(current)))
    return messages


def _weight(block: dict[str, Any]) -> int:
    if block["type"] in ("section", "header"):
        return len(block["text"]["text"])
    if block["type"] == "context":
        return sum(len(e["text"]) for e in block["elements"])
    if block["type"] == "actions":
        return sum(len(e["text"]["text"]) + len(e["value"]) for e in block["elements"])
    return 0


def plain(text: str) -> str:
    """mrkdwn-escaped text as plain_text: undo the three escapes, drop the bold marks."""
    return html.unescape(text.replace("*", "")).strip()


def _first_line(text: str) -> str:
    return _clip(text.strip().split("\n", 1)[0], 300)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
