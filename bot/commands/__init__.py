"""The command handler both front doors call: text in, a Reply out.

`narrator ask "last10 demo-creator"` and `/linkedin last10 demo-creator` run
the same function with the same arguments, so they print the same words. The
`Caller` says what the asker may see and what is muted where the reply goes.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.commands.last10 import build_report, post_report, report_context, report_json
from bot.commands.why import explain_post
from bot.errors import Problem
from bot.model import to_utc_text
from bot.pack import Pack
from bot.store import Store

if TYPE_CHECKING:  # the reload machinery (and multiprocessing) is the Slack bot's
    from bot.reload import ReloadStatus

SUBCOMMANDS = ("last10", "post", "why", "accounts", "rules", "help")
#: Subcommands only the Slack front door carries out: they change who sees what, or
#: what the clock sends the channel they are asked in (the terminal has `narrator digest`).
SLACK_SUBCOMMANDS = ("link", "unlink", "unmute", "digest", "checkin", "language", "timezone")
#: What the terminal answers with the Slack way and its own: those, and `mute` (a
#: button in Slack, so a word people type when they look for it).
SLACK_ONLY = (*SLACK_SUBCOMMANDS, "mute")


def unknown_account(
    pack: Pack, account: str, known: list[str], *, template: str = "unknown-account"
) -> Reply:
    """`account` is none of `known`: say so, suggesting the closest name there is."""
    close = difflib.get_close_matches(account, known, n=1, cutoff=0.5)
    return message(
        pack,
        template,
        ok=False,
        account=account,
        suggestion=close[0] if close else None,
        accounts=known,
    )


@dataclass(frozen=True)
class Caller:
    """Who is asking, from where."""

    visible: frozenset[str] | None = None  # accounts they may see; None = every account
    muted: frozenset[str] = frozenset()  # rules muted where the reply goes
    mutes: tuple[tuple[str, str, str], ...] = ()  # (rule, by, at) for `rules`
    status: ReloadStatus | None = None  # the serving rule pack, for `rules`
    front: str = "terminal"  # or "slack": which commands `help` lists
    admins: tuple[str, ...] = ()


class Reply:
    """What a command answers: mrkdwn text, and data for JSON or Block Kit.

    `text` and `data` may be given as functions: they are then worked out when
    first read (Slack builds a last10 from `context` and never reads either).
    """

    def __init__(
        self,
        *,
        text: str | Callable[[], str],
        kind: str,
        data: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None,
        ok: bool = True,
        public: bool = False,
    ) -> None:
        self._text = text
        self._data = data
        self.kind = kind
        self.context = context if context is not None else {}
        self.ok = ok
        self.public = public

    @functools.cached_property
    def text(self) -> str:
        return self._text() if callable(self._text) else self._text

    @functools.cached_property
    def data(self) -> dict[str, Any]:
        if callable(self._data):
            return self._data()
        return self._data if self._data is not None else {}


def handle(
    text: str, *, store: Store, pack: Pack, at: datetime, caller: Caller = Caller()
) -> Reply:
    """Run one command as `caller`."""
    words = text.split()
    if not words:
        return help_reply(pack, caller)
    sub, args = words[0].lower(), words[1:]
    if sub == "help":
        return help_reply(pack, caller)
    if sub == "last10":
        return _last10(args, store=store, pack=pack, at=at, caller=caller)
    if sub in ("why", "post"):
        return _one_post(sub, args, store=store, pack=pack, at=at, caller=caller)
    if sub == "accounts":
        return _accounts(store, pack, caller, at)
    if sub == "rules":
        return _rules(pack, caller)
    if caller.front != "slack" and sub in SLACK_ONLY:
        return message(pack, "slack-only", ok=False, command=sub)
    known = [*SUBCOMMANDS, *(SLACK_SUBCOMMANDS if caller.front == "slack" else ())]
    close = difflib.get_close_matches(sub, known, n=1, cutoff=0.5)
    return message(
        pack,
        "unknown-command",
        ok=False,
        word=sub,
        suggestion=close[0] if close else None,
        subcommands=known,
    )


def visible_accounts(store: Store, caller: Caller) -> list[str]:
    return [a for a in store.account_ids() if caller.visible is None or a in caller.visible]


def _last10(args: list[str], *, store: Store, pack: Pack, at: datetime, caller: Caller) -> Reply:
    public = bool(args) and args[-1].lower() == "public"
    if public:
        args = args[:-1]
    if len(args) > 1:
        return message(pack, "usage", ok=False, usage="last10 [ACCOUNT] [public]")
    names = visible_accounts(store, caller)
    if not names:
        return message(pack, "no-accounts", ok=False, front=caller.front)
    if args:
        if args[0] not in names:
            close = difflib.get_close_matches(args[0], names, n=1, cutoff=0.5)
            return message(
                pack,
                "unknown-account",
                ok=False,
                account=args[0],
                suggestion=close[0] if close else None,
                accounts=names,
            )
        account_id = args[0]
    elif len(names) == 1:
        account_id = names[0]
    else:
        return message(pack, "which-account", ok=False, accounts=names, command="last10")
    report = build_report(store, pack, account_id, at, muted=caller.muted)
    context = report_context(report, pack)
    return Reply(
        text=lambda: pack.narrator.render("last10.j2", **context),
        kind="last10",
        data=lambda: report_json(report),
        context=context,
        public=public,
    )


def _one_post(
    sub: str, args: list[str], *, store: Store, pack: Pack, at: datetime, caller: Caller
) -> Reply:
    if len(args) != 1:
        return message(pack, "usage", ok=False, usage=f"{sub} URL-OR-ID")
    if sub == "why":
        found = explain_post(args[0], store=store, pack=pack, at=at, visible=caller.visible)
        template = "messages/why.j2"
    else:
        found = post_report(
            args[0],
            store=store,
            pack=pack,
            at=at,
            caller_visible=caller.visible,
            muted=caller.muted,
        )
        template = "messages/post.j2"
    if found is None:
        return message(pack, "unknown-post", ok=False, reference=args[0])
    context, data = found
    return Reply(
        text=pack.narrator.render(template, **context), kind=sub, data=data, context=context
    )


def _accounts(store: Store, pack: Pack, caller: Caller, at: datetime) -> Reply:
    rows = [a for a in store.accounts(at) if caller.visible is None or a.id in caller.visible]
    synced = {
        account: (urn, last, error) for account, urn, last, error in store.linkedin_connections()
    }
    paused = store.linkedin_paused(at)
    accounts = [
        {
            "id": a.id,
            "name": a.name or a.id,
            "kind": a.kind,
            "followers": a.followers,
            "posts": a.posts,
            "last_published_at": a.last_published_at,
            "last_observed_at": a.last_observed_at,
            "sync": _sync_state(*synced[a.id], paused.get(a.id)) if a.id in synced else None,
        }
        for a in rows
    ]
    context = {"accounts": accounts, "front": caller.front}
    return Reply(
        text=pack.narrator.render("messages/accounts.j2", **context),
        kind="accounts",
        data={"accounts": accounts},
        context=context,
    )


def _sync_state(
    urn: str, last: str | None, error: str | None, paused_until: str | None = None
) -> dict[str, Any]:
    """Where an account's data comes from, when LinkedIn's API feeds it: the last
    successful sync and the next (the clock syncs every SYNC_MINUTES), or, while
    LinkedIn's rate limit pauses it, until when."""
    from datetime import timedelta

    from bot.linkedin.plan import SYNC_MINUTES
    from bot.model import parse_moment

    upcoming = None
    if last is not None and error is None:
        upcoming = to_utc_text(parse_moment(last) + timedelta(minutes=SYNC_MINUTES))
    if paused_until is not None:
        return {"urn": urn, "last": last, "next": paused_until, "error": None, "paused": True}
    return {"urn": urn, "last": last, "next": upcoming, "error": error, "paused": False}


def _may_see(caller: Caller, account: str | None) -> bool:
    """Whether the caller may be told about `account` (None: no account in particular)."""
    return account is None or caller.visible is None or account in caller.visible


def shown_problems(problems: Sequence[Problem], caller: Caller) -> tuple[list[str], int]:
    """The problems the caller may read, and how many more are in overrides for
    accounts they may not see (their text names the account)."""
    shown = [str(p) for p in problems if _may_see(caller, p.account)]
    return shown, len(problems) - len(shown)


def _rules(pack: Pack, caller: Caller) -> Reply:
    rules = [
        {
            "id": rule.id,
            "scope": rule.spec.scope,
            "severity": rule.spec.severity,
            "description": rule.spec.description,
            "condition": rule.condition.source.strip(),
            "params": dict(rule.spec.params),
            "overrides": [
                {"target": o.label, "params": dict(o.params)}
                for o in rule.spec.overrides
                if _may_see(caller, o.account)
            ],
            "muted": rule.id in caller.muted,
        }
        for rule in pack.ruleset.rules
    ]
    status = caller.status
    problems, hidden = shown_problems(status.problems if status else (), caller)
    context = {
        "rules": rules,
        "mutes": [{"rule": r, "by": by, "at": at} for r, by, at in caller.mutes],
        "status": None
        if status is None
        else {
            "loaded_at": to_utc_text(status.loaded_at),
            "files": list(status.files),
            "last_attempt_at": to_utc_text(status.last_attempt_at),
            "last_attempt_ok": status.last_attempt_ok,
            "problems": problems,
            "hidden_problems": hidden,
        },
        "front": caller.front,
    }
    data = {"rules": rules, "mutes": context["mutes"], "status": context["status"]}
    return Reply(
        text=pack.narrator.render("messages/rules.j2", **context),
        kind="rules",
        data=data,
        context=context,
    )


def help_reply(pack: Pack, caller: Caller) -> Reply:
    """The commands this front door carries out; JSON gets the words too."""
    context = {"front": caller.front, "admins": list(caller.admins)}
    text = pack.narrator.render("messages/help.j2", **context)
    commands = [*SUBCOMMANDS, *(SLACK_SUBCOMMANDS if caller.front == "slack" else ())]
    return Reply(
        text=text,
        kind="help",
        data={"message": "help", **context, "commands": commands, "text": text},
    )


def message(pack: Pack, name: str, ok: bool = True, **context: Any) -> Reply:
    """A reply whose words are all in narratives/<locale>/messages/<name>.j2."""
    text = pack.narrator.render(f"messages/{name}.j2", **context)
    return Reply(text=text, kind=name, data={"message": name, **context}, ok=ok)
