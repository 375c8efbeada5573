"""What earlier digests said, read back: each finding this week is new, or still
open for N weeks, and what was said last time but not now is resolved.

A finding is remembered by (account, rule, scope): an account rule for the account
as a whole, a post rule for the account's posts (this week's posts are not last
week's, so "still open" means the same rule fires on the new posts too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store import Said


@dataclass(frozen=True)
class Memory:
    """The earlier digests that covered one account, newest first: the keys each said."""

    digests: tuple[frozenset[tuple[str, str]], ...]

    def state(self, rule: str, scope: str) -> dict[str, Any] | None:
        """None when there is nothing to remember from (the first digest); else
        {"new": True} or {"new": False, "weeks": N}: the Nth digest running."""
        if not self.digests:
            return None
        weeks = 1
        for said in self.digests:
            if (rule, scope) not in said:
                break
            weeks += 1
        return {"new": weeks == 1, "weeks": weeks}

    def resolved(self, current: set[tuple[str, str]], pack: Any) -> list[tuple[str, str]]:
        """What the last digest said and this one does not (rules still in the pack)."""
        if not self.digests:
            return []
        return sorted(
            key
            for key in self.digests[0] - current
            if key[0] in pack.ruleset.ids and pack.ruleset.get(key[0]).spec.severity != "positive"
        )


def remember(history: Sequence[tuple[str, Sequence[Said]]], account: str) -> Memory:
    digests = []
    for _, said in history:
        mine = [s for s in said if s.account == account]
        if not mine:
            continue  # a digest this account was not in
        digests.append(
            frozenset(
                (s.rule, "account" if s.subject == "account" else "posts")
                for s in mine
                if s.subject != "digest"
            )
        )
    return Memory(tuple(digests))
