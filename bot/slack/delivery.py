"""Posting to channels on the clock's behalf: paced, marked, and findable again.

Slack's chat.postMessage takes no idempotency key, so each message the clock posts
carries Slack message metadata naming the run it belongs to. A clock that died
between posting and recording finds the message again with conversations.history
instead of posting twice. Only rate limits are retried here (a 429 means Slack did
nothing); after a timeout or a server error the message may or may not exist, so
the caller is told it is unsure and checks the history before trying again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.slack.blocks import Message

log = logging.getLogger("narrator.delivery")

#: The metadata event type of every message the clock posts.
EVENT_TYPE = "narrator_run"
#: Errors after which posting again cannot help: the run is recorded as failed.
REFUSALS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
    }
)


class DeliveryRefused(Exception):
    """Slack refused the message for good (the bot is not in the channel, ...)."""


class DeliveryUnsure(Exception):
    """The message may or may not have been posted (a timeout, a server error)."""


@contextmanager
def sdk_quiet() -> Iterator[None]:
    """Hold back slack_sdk's own log lines for a request whose failure the caller says
    in words (it logs each failed try at ERROR and each retry at INFO, then raises)."""
    sdk_log = logging.getLogger("slack_sdk.web.base_client")
    sdk_log.addFilter(_silent)
    try:
        yield
    finally:
        sdk_log.removeFilter(_silent)


def _silent(record: logging.LogRecord) -> bool:
    return False


def clock_client(api_url: str, token: str, timeout: int = 15) -> WebClient:
    """A Web API client that retries rate limits only, honouring Retry-After."""
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)],
    )


@dataclass(frozen=True)
class Posted:
    ts: str
    part: int


class Poster:
    """Posts messages at most one per `interval` seconds (Slack allows about one per
    second per channel, and fewer across a workspace)."""

    def __init__(
        self,
        client: WebClient,
        *,
        interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.interval = interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: float | None = None

    def _pace(self) -> None:
        if self._last is not None:
            wait = self.interval - (self._monotonic() - self._last)
            if wait > 0:
                self._sleep(wait)
        self._last = self._monotonic()

    def post(
        self,
        channel: str,
        message: Message,
        *,
        run: str,
        part: int = 0,
        thread_ts: str | None = None,
    ) -> str:
        """Post one message marked as part `part` of `run`; its ts."""
        self._pace()
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=list(message.blocks),
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"run": run, "part": part}},
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in REFUSALS:
                raise DeliveryRefused(error) from None
            raise DeliveryUnsure(error or str(exc)) from None
        except Exception as exc:  # timeouts, refused or reset connections
            raise DeliveryUnsure(f"{type(exc).__name__}: {exc}") from None
        return str(response["ts"])

    def find(self, channel: str, run: str, since: datetime) -> dict[int, str]:
        """The parts of `run` already in the channel (part -> ts), from its history
        and their threads since `since`."""
        found: dict[int, str] = {}
        try:
            for message in self._history(channel, since):
                self._collect(message, run, found)
                if message.get("reply_count") and str(message.get("ts")) in found.values():
                    for reply in self._replies(channel, str(message["ts"])):
                        self._collect(reply, run, found)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in REFUSALS:
                raise DeliveryRefused(error) from None
            raise DeliveryUnsure(error or str(exc)) from None
        except Exception as exc:
            raise DeliveryUnsure(f"{type(exc).__name__}: {exc}") from None
        return found

    @staticmethod
    def _collect(message: dict[str, Any], run: str, found: dict[int, str]) -> None:
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == EVENT_TYPE and payload.get("run") == run:
            found.setdefault(int(payload.get("part", 0)), str(message["ts"]))

    def _history(self, channel: str, since: datetime) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.client.conversations_history(
                channel=channel,
                oldest=f"{since.timestamp():.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            yield from page.get("messages", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def _replies(self, channel: str, ts: str) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.client.conversations_replies(
                channel=channel, ts=ts, include_all_metadata=True, limit=200, cursor=cursor
            )
            yield from page.get("messages", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def upload(
        self, channel: str, thread_ts: str, content: bytes, *, filename: str, title: str, alt: str
    ) -> None:
        """Upload a file into a message's thread (files_upload_v2: three calls)."""
        self._pace()
        self.client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=content,
            filename=filename,
            title=title,
            alt_txt=alt,
            request_file_info=False,  # one files.info call per file we never read
        )
