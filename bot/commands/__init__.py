"""The command handler both front doors call: text in, a Reply out.

`narrator ask "last10 demo-creator"` and `/linkedin last10 demo-creator` run
the same function with the same arguments, so they print the same words.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.commands.last10 import build_report, report_context, report_json
from bot.commands.why import explain_post
from bot.pack import Pack
from bot.store import Store

SUBCOMMANDS = ("last10", "why", "help")


@dataclass(frozen=True)
class Reply:
    """What a command answers: mrkdwn text, and data for JSON or Block Kit."""

    text: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    ok: bool = True


def handle(
    text: str,
    *,
    store: Store,
    pack: Pack,
    at: datetime,
    visible: Collection[str] | None = None,
) -> Reply:
    """Run one command. `visible` limits the accounts the caller may see (None = all)."""
    words = text.split()
    if not words:
        return _help(pack)
    sub, args = words[0].lower(), words[1:]
    if sub == "help":
        return _help(pack)
    if sub == "last10":
        return _last10(args, store=store, pack=pack, at=at, visible=visible)
    if sub == "why":
        return _why(args, store=store, pack=pack, at=at, visible=visible)
    close = difflib.get_close_matches(sub, SUBCOMMANDS, n=1, cutoff=0.5)
    return _message(
        pack,
        "unknown-command",
        ok=False,
        word=sub,
        suggestion=close[0] if close else None,
        subcommands=list(SUBCOMMANDS),
    )


def _last10(
    args: list[str], *, store: Store, pack: Pack, at: datetime, visible: Collection[str] | None
) -> Reply:
    accounts = [a for a in store.accounts() if visible is None or a.id in visible]
    names = [a.id for a in accounts]
    if len(args) > 1:
        return _message(pack, "usage", ok=False, usage="last10 [ACCOUNT]")
    if not accounts:
        return _message(pack, "no-accounts", ok=False)
    if args:
        wanted = args[0]
        if wanted not in names:
            close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.5)
            return _message(
                pack,
                "unknown-account",
                ok=False,
                account=wanted,
                suggestion=close[0] if close else None,
                accounts=names,
            )
        account_id = wanted
    elif len(accounts) == 1:
        account_id = names[0]
    else:
        return _message(pack, "which-account", ok=False, accounts=names, command="last10")
    report = build_report(store, pack, account_id, at)
    context = report_context(report, pack)
    text = pack.narrator.render("last10.j2", **context)
    return Reply(text=text, kind="last10", data=report_json(report), context=context)


def _why(
    args: list[str], *, store: Store, pack: Pack, at: datetime, visible: Collection[str] | None
) -> Reply:
    if len(args) != 1:
        return _message(pack, "usage", ok=False, usage="why URL-OR-ID")
    explained = explain_post(args[0], store=store, pack=pack, at=at, visible=visible)
    if explained is None:
        return _message(pack, "unknown-post", ok=False, reference=args[0])
    context, data = explained
    return Reply(
        text=pack.narrator.render("messages/why.j2", **context),
        kind="why",
        data=data,
        context=context,
    )


def _help(pack: Pack) -> Reply:
    return _message(pack, "help", subcommands=list(SUBCOMMANDS))


def _message(pack: Pack, name: str, ok: bool = True, **context: Any) -> Reply:
    text = pack.narrator.render(f"messages/{name}.j2", **context)
    return Reply(text=text, kind=name, data={"message": name, **context}, ok=ok)
