"""What the Slack listeners share: the serving rule pack, per-thread stores, the
clock, a worker pool for replies, and delivery to response_url with retries."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.commands import Reply, message
from bot.reload import PackHolder
from bot.slack.blocks import Message, render
from bot.store import Store

log = logging.getLogger("narrator.slack")


def retry_handlers() -> list[Any]:
    """Retry Slack calls on connection errors, rate limits (honouring Retry-After)
    and server errors."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Services:
    def __init__(
        self,
        db: Path,
        holder: PackHolder,
        admins: frozenset[str],
        clock: Callable[[], datetime] = utc_now,
        workers: int = 4,
    ) -> None:
        self.db = db
        self.holder = holder
        self.admins = admins
        self.clock = clock
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reply")

    def store(self) -> Store:
        """This thread's own connection (SQLite connections are not shared across threads)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.db)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def submit(self, job: Callable[..., None], *args: Any) -> Future[None]:
        """Run `job` after the request has been acknowledged."""
        return self.executor.submit(job, *args)

    def deliver(
        self, response_url: str, reply: Reply, *, public: bool = False, replace: bool = False
    ) -> None:
        """Post a reply to response_url, split into as many messages as Slack's limits need."""
        for index, msg in enumerate(render(reply, self.holder.current().narrator)):
            self.post(response_url, msg, public=public, replace=replace and index == 0)

    def post(self, response_url: str, msg: Message, *, public: bool, replace: bool = False) -> None:
        client = WebhookClient(response_url, retry_handlers=retry_handlers(), timeout=10)
        response = client.send(
            text=msg.text,
            blocks=list(msg.blocks),
            response_type="in_channel" if public else "ephemeral",
            replace_original=replace,
        )
        if response.status_code != 200:
            # The URL itself carries a token: never log it.
            log.error(
                "response_url refused a reply: HTTP %s %s",
                response.status_code,
                response.body[:200],
            )

    def apologise(self, response_url: str | None, where: str) -> None:
        """Log the current exception under a reference, and tell the user that reference."""
        ref = uuid.uuid4().hex[:8]
        log.exception("internal error while %s (ref %s)", where, ref)
        if response_url:
            try:
                reply = message(self.holder.current(), "apology", ok=False, ref=ref)
                self.deliver(response_url, reply)
            except Exception:
                log.exception("could not deliver the apology (ref %s)", ref)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
