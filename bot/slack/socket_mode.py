"""Socket Mode with the HTTP front door's robustness: a message that is not JSON, or
an envelope whose payload is malformed (bot/slack/payloads.py), is acknowledged so
Slack does not send it again, logged in one line, and never reaches bolt.

Slack signs nothing here: the WebSocket itself, opened with the app-level token,
is what vouches for the messages.
"""

from __future__ import annotations

import json
import logging
from time import time
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack import inbound

log = logging.getLogger("narrator.slack")


class _Client(SocketModeClient):
    def enqueue_message(self, message: str) -> None:
        # slack_sdk parses every message starting with "{" and logs a traceback when
        # that fails; a message nested too deep would also exhaust the stack there.
        if message.startswith("{"):
            try:
                json.loads(message)
            except (ValueError, RecursionError):
                log.warning("ignored a Socket Mode message: it is not valid JSON")
                return
        super().enqueue_message(message)

    def run_message_listeners(self, message: dict[str, Any], raw_message: str) -> None:
        # slack_sdk refuses (with a traceback) to build a request whose payload is
        # neither an object nor text; acknowledge such an envelope here instead.
        payload = message.get("payload")
        envelope_id = message.get("envelope_id")
        if isinstance(envelope_id, str) and not isinstance(payload, dict | str | type(None)):
            log.warning(
                "acknowledged and ignored a Socket Mode envelope: its payload is a JSON %s, "
                "not an object",
                type(payload).__name__,
            )
            self.send_socket_mode_response(SocketModeResponse(envelope_id=envelope_id))
            return
        super().run_message_listeners(message, raw_message)


class Handler(SocketModeHandler):
    """bolt's SocketModeHandler on a client that drops unreadable messages, checking
    each envelope's payload before bolt builds a request from it."""

    def __init__(self, app: App, *, app_token: str, web_client: WebClient) -> None:
        # Not super().__init__(): it would start a second client's threads.
        self.app = app
        self.app_token = app_token
        self.client = _Client(
            app_token=app_token, logger=app.logger, web_client=web_client, proxy=web_client.proxy
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start = time()
        payload: Any = req.payload
        built = inbound.checked(
            payload,
            lambda: BoltRequest(mode="socket_mode", body=payload, headers=build_headers(req)),
        )
        if isinstance(built, inbound.Refused):
            log.warning(
                "acknowledged and ignored a Socket Mode %s envelope: %s", req.type, built.reason
            )
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        send_response(client, req, self.app.dispatch(built), start)
