"""Start the bot: over HTTP (uvicorn) or Socket Mode. The only place that wires
settings, the rule pack holder, the store and the bolt app together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings, SlackSettings
from bot.reload import PackHolder
from bot.slack.app import create_app
from bot.slack.services import Services, retry_handlers, utc_now
from bot.slack.socket_mode import Handler
from bot.store import Store

log = logging.getLogger("narrator.slack")
RELOAD_INTERVAL = 2.0


@dataclass
class Bot:
    app: App
    services: Services
    holder: PackHolder
    stop: threading.Event
    signing_secret: str | None = None
    #: The clock's tick loop, when `serve --clock` runs it in this process.
    clock_thread: threading.Thread | None = None


def build(
    settings: Settings,
    slack: SlackSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    watch: bool = True,
    processes: int = 0,
) -> Bot:
    """Load the rule pack (refusing to start on a broken one), open the store, check the
    token with Slack, start the reply processes (if any) and watch the rule files.

    processes: 0 computes replies in threads of this process; N > 0 in N processes
    of their own (bot/slack/processes.py), for several cores."""
    holder = PackHolder(settings.rules, settings.narratives, settings.locale, clock)
    assert slack.slack_bot_token is not None
    db = Store(settings.db)  # migrate the store before anything reads it
    db.close()
    services = Services(
        settings.db,
        holder,
        slack.admins,
        clock=clock,
        api_url=slack.slack_api_url,
        bot_token=slack.slack_bot_token.get_secret_value(),
        processes=processes,
    )
    app = create_app(slack, services)
    stop = threading.Event()
    if watch:
        holder.watch(RELOAD_INTERVAL, stop)
    secret = slack.slack_signing_secret
    return Bot(
        app, services, holder, stop, secret.get_secret_value() if secret is not None else None
    )


#: Seconds a stopping server waits for the clock's job in hand (a paced digest).
CLOCK_STOP_WAIT = 60.0


def prepare_clock(bot: Bot, settings: Settings, slack: SlackSettings) -> Callable[[], None]:
    """The clock (digests, check-ins) for a thread of this process, as `narrator clock`
    would run it, until the bot stops: for a deployment with one process. Its jobs
    are built now (a setting they need is said at start-up); call what this returns
    to start it. A separate clock process may run too; the ledger still sends each
    digest once."""
    from bot.clock.loop import run_forever
    from bot.jobs import clockwork

    work = clockwork(settings, slack, bot.holder.current)
    thread = threading.Thread(
        target=run_forever,
        args=(settings.db, work.sources, bot.services.clock, bot.stop),
        name="clock",
        daemon=True,
    )

    def start() -> None:
        bot.clock_thread = thread
        thread.start()

    return start


def _stop_clock(bot: Bot) -> None:
    bot.stop.set()
    if bot.clock_thread is not None:
        # run_forever stops between jobs: the one in hand finishes and is recorded.
        bot.clock_thread.join(timeout=CLOCK_STOP_WAIT)


def serve_http(bot: Bot, host: str, port: int, on_start: Callable[[], None] | None = None) -> None:
    """Serve over HTTP until interrupted, then let queued replies finish. `on_start`
    runs once the server is up (`serve --clock` starts the clock there)."""
    import uvicorn

    from bot.slack.http import create_asgi

    log.info("serving Slack requests on http://%s:%d/slack/events", host, port)
    try:
        asgi = create_asgi(
            bot.app,
            bot.services,
            bot.signing_secret,
            on_stop=lambda: _stop_clock(bot),
            on_start=on_start,
        )
        uvicorn.run(asgi, host=host, port=port, log_level="info")
    finally:
        _stop_clock(bot)


def socket_handler(bot: Bot, slack: SlackSettings) -> Handler:
    """A Socket Mode connection for the bot: apps.connections.open on SLACK_API_URL with
    the app-level token, then envelopes over the WebSocket it returns."""
    assert slack.slack_app_token is not None
    return Handler(
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
        _stop_clock(bot)
        bot.services.close()
