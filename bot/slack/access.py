"""Who may see what: a channel sees the accounts linked to it; in a direct message
a user sees the accounts linked to them (admins see every account there)."""

from __future__ import annotations

import re

from bot.commands import Caller
from bot.reload import ReloadStatus
from bot.store import Store

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def is_direct_message(channel_id: str) -> bool:
    return channel_id.startswith("D")


def caller_for(
    store: Store,
    *,
    user_id: str,
    channel_id: str,
    admins: frozenset[str],
    status: ReloadStatus | None,
) -> Caller:
    if is_direct_message(channel_id):
        visible = None if user_id in admins else frozenset(store.linked_accounts(user_id))
    else:
        visible = frozenset(store.linked_accounts(channel_id))
    mutes = tuple(store.mutes(channel_id))
    return Caller(
        visible=visible,
        muted=frozenset(rule for rule, _, _ in mutes),
        mutes=mutes,
        status=status,
        front="slack",
        admins=tuple(sorted(admins)),
    )


def mentioned_user(text: str) -> str | None:
    """The user id in an escaped mention such as <@U123|jane> (Slack escapes them
    for commands whose manifest sets should_escape: true)."""
    found = _USER.search(text)
    return found.group(1) if found else None
