"""`/linkedin timezone`: the zone an account's posting hours, days and weeks are read in.

`timezone` shows the zones of the accounts the caller sees here; `timezone [ACCOUNT]
ZONE` sets one (admins only; ACCOUNT may be left out where one account is linked).
"""

from __future__ import annotations

from bot.clock.schedule import ScheduleError, parse_zone
from bot.commands import Reply, message, unknown_account, visible_accounts
from bot.digest.commands import schedule_refusal
from bot.pack import Pack
from bot.slack.access import caller_for
from bot.store import Store

USAGE = "timezone [ACCOUNT] [ZONE]"


def timezone(
    args: list[str],
    *,
    store: Store,
    pack: Pack,
    user_id: str,
    channel_id: str,
    admins: frozenset[str],
) -> Reply:
    if len(args) > 2:
        return message(pack, "usage", ok=False, usage=USAGE)
    caller = caller_for(store, user_id=user_id, channel_id=channel_id, admins=admins, status=None)
    seen = visible_accounts(store, caller)
    if not args or (len(args) == 1 and args[0] in seen):
        shown = args or seen
        if not shown:
            return message(pack, "no-accounts", ok=False, front="slack")
        return message(
            pack,
            "timezone",
            accounts=[_account(store, a) for a in shown],
            before=None,
            changed=False,
        )
    if len(args) == 1 and len(seen) != 1:
        if not seen:
            return message(pack, "no-accounts", ok=False, front="slack")
        return message(pack, "usage", ok=False, usage="timezone ACCOUNT ZONE")
    account, text = (seen[0], args[0]) if len(args) == 1 else (args[0], args[1])
    if account not in seen:
        return unknown_account(pack, account, seen)
    if user_id not in admins:
        return message(
            pack, "not-admin", ok=False, admins=sorted(admins), is_dm=False, what="timezone"
        )
    try:
        zone = parse_zone(text)
    except ScheduleError as exc:
        return schedule_refusal(pack, exc)
    before = _account(store, account)
    changed = before["zone"] != zone and store.set_timezone(account, zone)
    return message(
        pack,
        "timezone",
        accounts=[_account(store, account)],
        before=before["zone"],
        changed=changed,
    )


def _account(store: Store, account_id: str) -> dict[str, str]:
    row = store.account(account_id)
    assert row is not None, account_id
    return {"id": account_id, "name": row.name or account_id, "zone": row.timezone}
