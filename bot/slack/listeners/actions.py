"""Buttons on findings: "Why?" explains a post; "Mute RULE here" mutes a rule in a channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.commands import handle, message
from bot.slack.access import caller_for
from bot.slack.services import Services


def _channel(body: dict[str, Any]) -> str:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )


def register(app: App, services: Services) -> None:
    @app.action("why")
    def why(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        services.submit(explain, body, action["value"])

    @app.action("mute")
    def mute(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        services.submit(mute_rule, body, action["value"])


def explain(services: Services, body: dict[str, Any], post: str) -> None:
    response_url = body.get("response_url")
    try:
        store = services.store()
        pack = services.pack_for(store, _channel(body), body["user"]["id"])
        caller = caller_for(
            store,
            user_id=body["user"]["id"],
            channel_id=_channel(body),
            admins=services.admins,
            status=services.holder.status(),
        )
        reply = handle(
            f"why {post}",
            store=store,
            pack=pack,
            at=services.clock(),
            caller=caller,
        )
        services.deliver(response_url, reply, pack=pack)
    except Exception:
        services.apologise(response_url, "explaining a post", payload=body)


def mute_rule(services: Services, body: dict[str, Any], rule: str) -> None:
    response_url = body.get("response_url")
    try:
        pack = services.pack_for(services.store(), _channel(body), body["user"]["id"])
        if rule not in pack.ruleset.ids:
            reply = message(
                pack, "unmuted", ok=False, rule=rule, changed=False, known=False, suggestion=None
            )
        else:
            changed = services.store().mute(
                _channel(body), rule, by=body["user"]["id"], at=services.clock()
            )
            reply = message(pack, "muted", rule=rule, changed=changed)
        services.deliver(response_url, reply, pack=pack)
    except Exception:
        services.apologise(response_url, "muting a rule", payload=body)
