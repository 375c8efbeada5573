"""The HTTP front door: an ASGI app for uvicorn.

POST /slack/events carries slash commands, events and button clicks; GET
/healthz says whether the process is up and which rules it serves. A request is
capped, its signature checked and its body parsed here (bot/slack/inbound.py)
before bolt sees it. Bolt's dispatch runs in a worker thread so the event loop
stays free for other requests.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.errors import ConfigError
from bot.model import to_utc_text
from bot.shipped import guide
from bot.slack import inbound
from bot.slack.services import Services

log = logging.getLogger("narrator.slack")
_SAID = {400: "malformed request", 401: "invalid request", 413: "request body too large"}


def create_asgi(
    app: App,
    services: Services,
    signing_secret: str | None,
    on_stop: Callable[[], None] | None = None,
    on_start: Callable[[], None] | None = None,
) -> Starlette:
    """The ASGI app; refuses to exist without a signing secret to check requests with.
    `on_start` runs once the server is up, its signal handlers in place (the clock's
    thread starts there: a stop asked for at any moment after it is a graceful one);
    `on_stop` runs at shutdown, before the reply pool is closed."""
    if not (signing_secret or "").strip():
        raise ConfigError(f"HTTP mode needs SLACK_SIGNING_SECRET (see {guide('slack-setup.md')})")
    assert signing_secret is not None
    verifier = SignatureVerifier(signing_secret)

    async def events(request: Request) -> Response:
        client = request.client.host if request.client else "an unknown address"
        refused = inbound.declared_size(request.headers)
        if refused is None:
            try:
                body = await inbound.read_capped(request.stream())
            except ClientDisconnect:
                log.info("a client at %s went away before sending its whole request", client)
                return Response(status_code=400)
            if isinstance(body, inbound.Refused):
                refused = body
            else:
                refused = inbound.check_signature(verifier, request.headers, body)
        if refused is None:
            built = inbound.bolt_request(body, request.headers, request.query_params)
            if not isinstance(built, inbound.Refused):
                return to_starlette_response(await run_in_threadpool(app.dispatch, built))
            refused = built
        inbound.refuse(refused, client)
        # Closing the connection drops whatever of an oversized body is still coming.
        headers = {"Connection": "close"} if refused.status == 413 else None
        return PlainTextResponse(
            "" if refused.status == 200 else _SAID.get(refused.status, "refused"),
            status_code=refused.status,
            headers=headers,
        )

    async def healthz(request: Request) -> Response:
        status = services.holder.status()
        return JSONResponse(
            {
                "ok": True,
                "rules": status.rules,
                "rules_loaded_at": to_utc_text(status.loaded_at),
                "last_reload_ok": status.last_attempt_ok,
                "last_reload_at": to_utc_text(status.last_attempt_at),
                # In words: a refused edit says so, and why, while the last good pack serves.
                "reload": status.summary(),
            }
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if on_start is not None:
            on_start()
        yield
        # uvicorn re-raises SIGTERM once it has shut down, so code after uvicorn.run
        # never runs on SIGTERM: whatever must finish, finishes here.
        if on_stop is not None:
            await run_in_threadpool(on_stop)
        await run_in_threadpool(services.close)

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
