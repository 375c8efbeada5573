"""What the Slack listeners share: the serving rule pack, per-thread stores, the
clock, the pool that computes replies, and delivery to response_url with retries.

Replies are computed after the acknowledgement, in threads of this process or,
with `processes` > 0, in that many processes of their own (bot/slack/processes.py):
one queue feeds them, so the work is shared evenly and the process that answers
HTTP never waits for the GIL behind pandas.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.commands import Reply, message
from bot.errors import StoreBusy
from bot.pack import Pack
from bot.reload import PackHolder, ReloadStatus
from bot.slack.access import is_direct_message
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


@dataclass(frozen=True)
class FixedClock:
    """A clock that always reads the same moment (tests, reproducible runs); unlike a
    lambda it can be sent to a reply process."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


class Serving:
    """What a reply process serves for one job: the pack the HTTP process served when
    it took the request, and that pack's status."""

    def __init__(self, pack: Pack, status: ReloadStatus) -> None:
        self._pack = pack
        self._status = status

    def current(self) -> Pack:
        return self._pack

    def status(self) -> ReloadStatus:
        return self._status


Job = Callable[..., None]

#: Reply threads when replies are computed in the serving process. Replies are
#: CPU-bound under the GIL: more threads add no throughput and make acknowledgements
#: wait longer (benchmarks/slack_bot.py --processes 0: 4 threads gave ack p99 359-376
#: ms and reply p95 2.6 s, 2 threads 233-241 ms and 2.2-2.4 s).
REPLY_THREADS = 2


class Services:
    """`holder` gives the serving pack (`current()`) and its status (`status()`)."""

    def __init__(
        self,
        db: Path,
        holder: PackHolder | Serving,
        admins: frozenset[str],
        clock: Callable[[], datetime] = utc_now,
        *,
        api_url: str | None = None,
        bot_token: str | None = None,
        threads: int = REPLY_THREADS,
        processes: int = 0,
    ) -> None:
        self.db = db
        self.holder = holder
        self.admins = admins
        self.clock = clock
        self.api_url = api_url
        self._bot_token = bot_token
        self.processes = processes
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self._client: WebClient | None = None
        self.executor: Executor | None = None
        self.closing = False
        if processes > 0:
            from bot.slack import processes as pool

            self.executor = pool.start(self, processes)
        elif threads > 0:
            self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="reply")

    def store(self) -> Store:
        """This thread's own connection (SQLite connections are not shared across threads)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.db)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def client(self) -> WebClient:
        """A Web API client for the bot token, on SLACK_API_URL, retrying as Slack asks."""
        if self._client is None:
            kwargs = {"base_url": self.api_url} if self.api_url else {}
            self._client = WebClient(
                token=self._bot_token, retry_handlers=retry_handlers(), timeout=10, **kwargs
            )
        return self._client

    def submit(self, job: Job, *args: Any) -> Future[None]:
        """Run `job(services, *args)` after the request has been acknowledged."""
        assert self.executor is not None, "these services compute no replies"
        if self.processes > 0:
            from bot.slack import processes as pool

            future = pool.submit(self, job, args)
        else:
            future = self.executor.submit(job, self, *args)
        future.add_done_callback(_log_failure)
        return future

    def pack_for(self, store: Store, channel_id: str, user_id: str | None = None) -> Pack:
        """The serving pack, speaking the language of the place asked from: the one an
        admin chose for the channel (or DM), else in a DM the user's Slack locale, else
        the bot's (NARRATOR_LOCALE)."""
        pack = self.holder.current()
        chosen = store.language(channel_id) if channel_id else None
        if chosen is None and user_id and is_direct_message(channel_id):
            chosen = self.user_locale(user_id)
        return pack.speaking(chosen)

    def user_locale(self, user_id: str) -> str | None:
        """The user's Slack locale ("fr-FR"), from users.info with include_locale; None
        when Slack does not say (a failed call is logged, and the default is used)."""
        try:
            response = self.client().users_info(user=user_id, include_locale=True)
        except Exception as exc:
            log.warning(
                "users.info for %s failed (is the users:read scope granted?): %s", user_id, exc
            )
            return None
        user = response.get("user") or {}
        found = user.get("locale") if isinstance(user, dict) else None
        return found if isinstance(found, str) and found else None

    def deliver(
        self,
        response_url: str,
        reply: Reply,
        *,
        public: bool = False,
        replace: bool = False,
        pack: Pack | None = None,
    ) -> None:
        """Post a reply to response_url, split into as many messages as Slack's limits
        need, in the words of `pack` (the language it was answered in)."""
        narrator = (pack or self.holder.current()).narrator
        for index, msg in enumerate(render(reply, narrator)):
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

    def apologise(
        self,
        response_url: str | None,
        where: str,
        exc: BaseException | None = None,
        *,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Log `exc` (by default the exception being handled) under a reference, and
        tell the user that reference, in the language of the place `payload` (the
        command or action) came from. A write that waited too long for an import is
        no fault: the user is told to try again instead."""
        exc = exc or sys.exc_info()[1]
        if isinstance(exc, StoreBusy):
            log.warning("a write gave up waiting while %s: %s", where, exc)
            if response_url:
                try:
                    pack = self._pack_of(payload)
                    self.deliver(response_url, message(pack, "busy", ok=False), pack=pack)
                except Exception:
                    log.exception("could not deliver the busy message")
            return
        ref = uuid.uuid4().hex[:8]
        log.error("internal error while %s (ref %s)", where, ref, exc_info=exc or True)
        if response_url:
            try:
                pack = self._pack_of(payload)
                reply = message(pack, "apology", ok=False, ref=ref)
                self.deliver(response_url, reply, pack=pack)
            except Exception:
                log.exception("could not deliver the apology (ref %s)", ref)

    def _pack_of(self, payload: dict[str, Any] | None) -> Pack:
        """The pack speaking the language of the place a failed request came from; the
        bot's own when that cannot be told (the failure may be the store itself)."""
        channel, user = _place(payload or {})
        try:
            return self.pack_for(self.store(), channel, user) if channel else self.holder.current()
        except Exception:
            log.warning("could not tell the language of %s; answering in the default", channel)
            return self.holder.current()

    def close(self) -> None:
        self.closing = True  # no new reply processes from here on
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
        if isinstance(self.holder, PackHolder):
            self.holder.close()  # the reply jobs are done: no copy is leased any more


def _log_failure(future: Future[None]) -> None:
    """Jobs apologise for their own errors; this catches what escapes them (a job
    that could not reach its process, for instance)."""
    if not future.cancelled() and future.exception() is not None:
        log.error("a reply job failed", exc_info=future.exception())


def _place(payload: dict[str, Any]) -> tuple[str, str | None]:
    """(channel, user) of a slash command (`channel_id`, `user_id`) or of an action
    (`channel.id`, `user.id`); empty when the payload names none."""
    channel = (
        payload.get("channel_id")
        or (payload.get("channel") or {}).get("id")
        or (payload.get("container") or {}).get("channel_id")
        or ""
    )
    user = payload.get("user_id") or (payload.get("user") or {}).get("id")
    return (channel if isinstance(channel, str) else ""), (user if isinstance(user, str) else None)
