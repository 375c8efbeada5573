"""The Slack-only `digest` and `checkin` subcommands: what a channel gets from the clock.

`digest` calls bot/digest/commands.py, as `narrator digest` does, with the channel
it is asked in; only this front door knows the asker's own time zone (users.info),
which a subscription takes when it names none. Changing what a channel receives is
for admins, as linking is; seeing the schedule and previewing the digest is for
anyone in the channel, and the preview goes to the asker only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.checkin import LATE
from bot.commands import Reply, message
from bot.digest.commands import listing, preview, subscribe, unsubscribe
from bot.pack import Pack
from bot.slack.access import is_direct_message
from bot.store import Store

DIGEST_USAGE = "digest weekly DAY HH:MM [TIMEZONE] | digest off | digest list | digest preview"
CHECKIN_USAGE = "checkin on | checkin off"

#: Reads the asker's Slack time zone (None when Slack cannot say).
UserZone = Callable[[], str | None]


def digest(
    args: list[str],
    *,
    store: Store,
    pack: Pack,
    user_id: str,
    channel_id: str,
    admins: frozenset[str],
    at: datetime,
    user_zone: UserZone,
) -> Reply:
    action = args[0].lower() if args else ""
    in_dm = is_direct_message(channel_id)
    if action == "list" and len(args) == 1:
        # Admins may list every channel's digest from a direct message, as they may
        # see every account there; elsewhere a channel sees its own only.
        if in_dm and user_id not in admins:
            return message(pack, "digest-in-dm", ok=False)
        return listing(store, pack, at=at, channels=None if in_dm else {channel_id})
    if action == "preview" and len(args) == 1:
        if in_dm:
            return message(pack, "digest-in-dm", ok=False)
        return preview(store, pack, channel=channel_id, at=at).reply
    if action == "off" and len(args) == 1:
        if in_dm:
            return message(pack, "digest-in-dm", ok=False)
        if user_id not in admins:
            return _not_admin(pack, admins, "digest")
        return unsubscribe(store, pack, channel=channel_id)
    if action == "weekly" and len(args) in (3, 4):
        if in_dm:
            return message(pack, "digest-in-dm", ok=False)
        if user_id not in admins:
            return _not_admin(pack, admins, "digest")
        day, time = args[1], args[2]
        named = len(args) == 4
        zone = args[3] if named else user_zone()
        if zone is None:
            return message(pack, "digest-zone-unknown", ok=False, day=day, time=time)
        return subscribe(
            store,
            pack,
            channel=channel_id,
            accounts=(),
            day=day,
            time=time,
            zone=zone,
            by=user_id,
            at=at,
            front="slack",
            zone_from_user=not named,
        )
    return message(pack, "usage", ok=False, usage=DIGEST_USAGE)


def checkin(
    args: list[str],
    *,
    store: Store,
    pack: Pack,
    user_id: str,
    channel_id: str,
    admins: frozenset[str],
    at: datetime,
) -> Reply:
    action = args[0].lower() if len(args) == 1 else ""
    if action not in ("on", "off"):
        return message(pack, "usage", ok=False, usage=CHECKIN_USAGE)
    if is_direct_message(channel_id):
        return message(pack, "digest-in-dm", ok=False)
    if user_id not in admins:
        return _not_admin(pack, admins, "checkin")
    if action == "on":
        changed = store.checkin_on(channel_id, by=user_id, at=at)
    else:
        changed = store.checkin_off(channel_id)
    return message(
        pack,
        "checkin-switched",
        on=action == "on",
        changed=changed,
        linked=store.linked_accounts(channel_id),
        within_hours=int(LATE.total_seconds() // 3600),
    )


def _not_admin(pack: Pack, admins: frozenset[str], what: str) -> Reply:
    return message(pack, "not-admin", ok=False, admins=sorted(admins), is_dm=False, what=what)
