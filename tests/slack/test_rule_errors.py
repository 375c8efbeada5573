"""A lead's broken edit reaches Slack in plain words, while the bot keeps serving
the last good rules (issue #14, item 6)."""

from __future__ import annotations

import pytest

from tests.slack.conftest import ADMIN, Running
from tests.slack.test_http import all_text, ask


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    severity: warning\n    tags: [engagement]\n",
            "    severity warning\n    tags: [engagement]\n",
            'rules/engagement.yaml:{line}:5: a colon is missing after the key: "severity warning"; '
            'write "severity: warning"',
        ),
        (
            "      min_rate: 0.02\n",
            "      min_rate: 1:50\n",
            "rules/engagement.yaml:{line}:17: rule \"low-engagement\": params.min_rate: '1:50' is a "
            "ratio as the narratives show it (1:N for N impressions per member reached); write "
            "the number it stands for: 50",
        ),
    ],
    ids=["yaml", "param"],
)
def test_a_broken_edit_is_told_in_plain_words_and_the_last_good_rules_serve(
    running: Running, old: str, new: str, expected: str
):
    path = running.root / "rules" / "engagement.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    expected = expected.format(line=text[: text.index(old)].count("\n") + 1)
    running.bot.holder.reload()
    status = running.bot.holder.status()
    assert not status.last_attempt_ok
    assert [str(p) for p in status.problems] == [expected]

    reply = all_text(ask(running, "rules", user=ADMIN, channel="D0ADMIN", hook="a"))
    assert "The last edit of the rules was refused" in reply
    assert "low-engagement" in reply  # still listed: the last good rules serve
    # The problem, word for word as the terminal says it, in a code span.
    assert f"• `{expected}`" in reply
    assert "mapping values" not in reply
    assert "could not find expected" not in reply
