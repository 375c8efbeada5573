"""The Slack-only subcommands: link, unlink and unmute (who sees what), language
(which language the bot speaks in a channel), digest and checkin (what the clock
sends a channel, in bot/slack/subscriptions.py), and timezone (an account's zone,
in bot/slack/zones.py)."""

from __future__ import annotations

import difflib
from datetime import datetime

from bot.commands import Reply, message, unknown_account
from bot.pack import Pack, language_of
from bot.slack import subscriptions, zones
from bot.slack.access import is_direct_message, mentioned_user
from bot.store import Store


def _no_zone() -> str | None:
    return None


def manage(
    sub: str,
    args: list[str],
    *,
    store: Store,
    pack: Pack,
    user_id: str,
    channel_id: str,
    admins: frozenset[str],
    at: datetime,
    user_zone: subscriptions.UserZone = _no_zone,
) -> Reply:
    if sub == "digest":
        return subscriptions.digest(
            args,
            store=store,
            pack=pack,
            user_id=user_id,
            channel_id=channel_id,
            admins=admins,
            at=at,
            user_zone=user_zone,
        )
    if sub == "checkin":
        return subscriptions.checkin(
            args,
            store=store,
            pack=pack,
            user_id=user_id,
            channel_id=channel_id,
            admins=admins,
            at=at,
        )
    if sub == "timezone":
        return zones.timezone(
            args, store=store, pack=pack, user_id=user_id, channel_id=channel_id, admins=admins
        )
    if sub == "unmute":
        return _unmute(args, store=store, pack=pack, channel_id=channel_id)
    in_dm = is_direct_message(channel_id)
    if sub == "language":
        return _language(
            args,
            store=store,
            pack=pack,
            user_id=user_id,
            channel_id=channel_id,
            admins=admins,
            at=at,
        )
    if user_id not in admins:
        return message(
            pack, "not-admin", ok=False, admins=sorted(admins), is_dm=in_dm, what="links"
        )
    target_user = mentioned_user(" ".join(args[1:])) if len(args) > 1 else None
    usage = f"{sub} ACCOUNT @user" if in_dm else f"{sub} ACCOUNT"
    if not args or (in_dm and target_user is None) or (not in_dm and len(args) != 1):
        return message(pack, "usage", ok=False, usage=usage)
    account = args[0]
    names = [a.id for a in store.accounts()]
    if account not in names:
        return unknown_account(pack, account, names, template="unknown-account-admin")
    target = target_user if in_dm else channel_id
    assert target is not None
    if sub == "link":
        changed = store.link(target, account, by=user_id, at=at)
        return message(
            pack, "linked", account=account, target=target, is_user=in_dm, changed=changed
        )
    changed = store.unlink(target, account)
    return message(pack, "unlinked", account=account, target=target, is_user=in_dm, changed=changed)


def _unmute(args: list[str], *, store: Store, pack: Pack, channel_id: str) -> Reply:
    if len(args) != 1:
        return message(pack, "usage", ok=False, usage="unmute RULE")
    rule = args[0]
    known = rule in pack.ruleset.ids
    changed = store.unmute(channel_id, rule)
    close = difflib.get_close_matches(rule, list(pack.ruleset.ids), n=1, cutoff=0.6)
    return message(
        pack,
        "unmuted",
        ok=changed or known,
        rule=rule,
        changed=changed,
        known=known,
        suggestion=close[0] if close else None,
    )


def _language(
    args: list[str],
    *,
    store: Store,
    pack: Pack,
    user_id: str,
    channel_id: str,
    admins: frozenset[str],
    at: datetime,
) -> Reply:
    """`language fr|en`: the language the bot speaks where it is asked, for admins.
    The answer comes in the language chosen."""
    if len(args) != 1:
        return message(pack, "usage", ok=False, usage=f"language {'|'.join(pack.languages)}")
    chosen = language_of(args[0], pack.languages)
    if chosen is None:
        return message(
            pack, "language-unknown", ok=False, value=args[0], languages=list(pack.languages)
        )
    if user_id not in admins:
        return message(
            pack,
            "not-admin",
            ok=False,
            admins=sorted(admins),
            is_dm=is_direct_message(channel_id),
            what="language",
        )
    changed = store.set_language(channel_id, chosen, by=user_id, at=at)
    return message(pack.speaking(chosen), "language", changed=changed, language=chosen)
