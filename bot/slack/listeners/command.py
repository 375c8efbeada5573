"""`/linkedin ...`: acknowledge at once, answer through response_url."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import SLACK_SUBCOMMANDS, handle, message
from bot.slack.access import caller_for, is_direct_message
from bot.slack.manage import manage
from bot.slack.services import Services

log = logging.getLogger("narrator.slack")


def register(app: App, services: Services) -> None:
    @app.command("/linkedin")
    def linkedin(ack: Ack, command: dict[str, Any]) -> None:
        # Acknowledge before any database or pandas work: Slack allows 3 seconds.
        ack()
        services.submit(answer, command)


def answer(services: Services, command: dict[str, Any]) -> None:
    response_url = command.get("response_url")
    try:
        store = services.store()
        at = services.clock()
        user_id, channel_id = command["user_id"], command["channel_id"]
        pack = services.pack_for(store, channel_id, user_id)
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else ""
        if sub in SLACK_SUBCOMMANDS:
            reply = manage(
                sub,
                words[1:],
                store=store,
                pack=pack,
                user_id=user_id,
                channel_id=channel_id,
                admins=services.admins,
                at=at,
                user_zone=lambda: user_zone(services, user_id),
            )
        else:
            caller = caller_for(
                store,
                user_id=user_id,
                channel_id=channel_id,
                admins=services.admins,
                status=services.holder.status(),
            )
            reply = handle(command.get("text") or "", store=store, pack=pack, at=at, caller=caller)
            if reply.public and is_direct_message(channel_id):
                # A DM shows the asker the accounts linked to them; posting that in a
                # DM with someone else would show it to a person who may not see them.
                reply = message(pack, "public-in-dm", ok=False)
        services.deliver(response_url, reply, public=reply.public and reply.ok, pack=pack)
    except Exception:
        services.apologise(response_url, "answering /linkedin", payload=command)


def user_zone(services: Services, user_id: str) -> str | None:
    """The user's time zone as set in Slack (users.info, scope users:read), or None
    when Slack cannot say: the subscription then asks for the zone by name."""
    try:
        response = services.client().users_info(user=user_id)
    except Exception as exc:
        # A missing users:read scope is the likely cause: name it for whoever reads logs.
        log.warning("users.info for %s failed (is the users:read scope granted?): %s", user_id, exc)
        return None
    user = response.get("user") or {}
    zone = user.get("tz") if isinstance(user, dict) else None
    return zone if isinstance(zone, str) and zone else None
