"""Block Kit rendering: Slack's limits, splitting, and plain_text fields."""

from __future__ import annotations

from bot.commands import Reply
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE,
    MAX_SECTION,
    button,
    header,
    render,
    section,
    split,
)


def test_long_text_is_cut_into_sections_at_line_ends(pack):
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(200))
    (message, *rest) = render(Reply(text=text, kind="help"), pack.narrator)
    sections = [b for m in (message, *rest) for b in m.blocks]
    assert all(len(b["text"]["text"]) <= MAX_SECTION for b in sections)
    rebuilt = "\n".join(b["text"]["text"] for b in sections)
    assert rebuilt == text


def test_a_code_block_cut_in_two_stays_a_code_block(pack):
    text = "```\n" + "\n".join(f"row {i:03d} " + "y" * 60 for i in range(100)) + "\n```"
    blocks = render(Reply(text=text, kind="help"), pack.narrator)[0].blocks
    assert len(blocks) > 1
    for block in blocks:
        body = block["text"]["text"]
        assert body.startswith("```")
        assert body.endswith("```")


def test_messages_respect_block_and_size_limits():
    blocks = [section("s" * 500) for _ in range(120)]
    messages = split(blocks, "fallback")
    assert sum(len(m.blocks) for m in messages) == 120
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        assert sum(len(b["text"]["text"]) for b in message.blocks) <= MAX_MESSAGE
        assert message.text == "fallback"


def test_plain_text_fields_are_clipped_and_unescaped():
    assert header("x" * 200)["text"]["text"] == "x" * 149 + "…"
    built = button("Mute " + "r" * 100, "mute", "rule")
    assert len(built["text"]["text"]) == 75
    from bot.slack.blocks import plain

    assert plain("*Q&amp;A &lt;!channel&gt;*") == "Q&A <!channel>"


def test_a_one_post_reply_gets_its_buttons(pack, demo_store, demo_now):
    from bot.commands import handle

    reply = handle(
        "post urn:li:activity:7310300000000023757", store=demo_store, pack=pack, at=demo_now
    )
    (message,) = render(reply, pack.narrator)
    actions = [b for b in message.blocks if b["type"] == "actions"]
    values = [e["value"] for e in actions[0]["elements"]]
    assert values == [
        "urn:li:activity:7310300000000023757",
        "narrow-audience",
        "recycling-not-expanding",
    ]
    assert reply.data["post"]["id"] == "urn:li:activity:7310300000000023757"
    assert "1,506 impressions · 278 reached (1:5.4)" in reply.text
