"""Start the bot: over HTTP (uvicorn) or Socket Mode. The only place that wires
settings, the rule pack holder, the store and the bolt app together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.config import Settings, SlackSettings
from bot.reload import PackHolder
from bot.slack.app import create_app
from bot.slack.services import Services, retry_handlers, utc_now

log = logging.getLogger("narrator.slack")
RELOAD_INTERVAL = 2.0


@dataclass
class Bot:
    app: App
    services: Services
    holder: PackHolder
    stop: threading.Event


def build(
    settings: Settings,
    slack: SlackSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    watch: bool = True,
) -> Bot:
    """Load the rule pack (refusing to start on a broken one), open the store, check the
    token with Slack, and start watching the rule files."""
    holder = PackHolder(settings.rules, settings.narratives, settings.locale, clock)
    services = Services(settings.db, holder, slack.admins, clock=clock)
    services.store()  # migrate the store before the first request
    app = create_app(slack, services)
    stop = threading.Event()
    if watch:
        holder.watch(RELOAD_INTERVAL, stop)
    return Bot(app, services, holder, stop)


def serve_http(bot: Bot, host: str, port: int, workers: int = 1) -> None:
    """Serve over HTTP. With several workers, each process builds its own bot from the
    environment (the one built here has already checked every setting)."""
    import uvicorn

    from bot.slack.http import create_asgi

    log.info("serving Slack requests on http://%s:%d/slack/events", host, port)
    try:
        if workers > 1:
            bot.services.close()
            uvicorn.run(
                "bot.slack.http:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
            )
        else:
            uvicorn.run(create_asgi(bot.app, bot.services), host=host, port=port, log_level="info")
    finally:
        bot.stop.set()


def socket_handler(bot: Bot, slack: SlackSettings) -> SocketModeHandler:
    """A Socket Mode connection for the bot: apps.connections.open on SLACK_API_URL with
    the app-level token, then envelopes over the WebSocket it returns."""
    assert slack.slack_app_token is not None
    return SocketModeHandler(
        bot.app,
        app_token=slack.slack_app_token.get_secret_value(),
        web_client=WebClient(base_url=slack.slack_api_url, retry_handlers=retry_handlers()),
    )


def serve_socket(bot: Bot, slack: SlackSettings) -> None:
    handler = socket_handler(bot, slack)
    log.info("connecting to Slack over Socket Mode")
    try:
        handler.start()
    finally:
        bot.stop.set()
        bot.services.close()
