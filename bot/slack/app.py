"""The bolt App: settings in, listeners registered, nothing else.

Requests are verified with the signing secret (bolt answers 401 to a bad
signature or a timestamp over 5 minutes old); events Slack delivers twice
(retries, duplicate event ids) are handled once.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError

from bot.config import SlackSettings
from bot.errors import ConfigError
from bot.slack import listeners
from bot.slack.delivery import sdk_quiet
from bot.slack.services import Services

log = logging.getLogger("narrator.slack")


class _QuietTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN goes unused when it is given a client; the
    client it is given is built from that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def create_app(slack: SlackSettings, services: Services) -> App:
    """The bolt app. Checks the bot token with Slack (auth.test) before anything else."""
    # slack_sdk's debug logs print request URLs, and a response_url carries a token.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, logging.getLogger().level))
    client = services.client()
    bolt_log = logging.getLogger("narrator.bolt")
    if not any(isinstance(f, _QuietTokenWarning) for f in bolt_log.filters):
        bolt_log.addFilter(_QuietTokenWarning())
    # `is not None`, never truthiness: an empty SecretStr is falsy, and reading it as
    # "no secret" once turned verification off (config refuses empty secrets now).
    secret = (
        slack.slack_signing_secret.get_secret_value()
        if slack.slack_signing_secret is not None
        else None
    )
    try:
        with sdk_quiet():  # a refused token or an unreachable Slack: said once, below
            app = App(
                client=client,
                signing_secret=secret,
                request_verification_enabled=secret is not None,
                token_verification_enabled=True,
                # Every listener acknowledges and hands its work to the reply pool, so
                # running listeners before answering costs nothing and spares bolt's
                # ack-polling thread (it sleeps in 10 ms steps waiting for ack()).
                process_before_response=True,
                raise_error_for_unhandled_request=False,
                logger=bolt_log,
                # The name bolt would give itself (the file that creates the app), without
                # its inspect.stack(), which reads the source of every calling frame.
                name="app.py",
            )
    except BoltError as exc:
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack: {exc}") from None
    except OSError as exc:  # URLError, a refused connection, a timeout
        reason = getattr(exc, "reason", None) or exc
        raise ConfigError(
            f"cannot reach Slack's Web API at {client.base_url} ({reason}); "
            "check SLACK_API_URL and the network"
        ) from None

    @app.middleware
    def once_per_event(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Slack redelivers an event it thinks was lost; handle each event id once."""
        event_id = body.get("event_id")
        if event_id and not services.store().first_sight(event_id, services.clock()):
            log.info("skipping event %s: already handled", event_id)
            return BoltResponse(status=200, body="")
        return next()

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a listener", exc_info=error)

    listeners.register(app, services)
    return app
