"""The HTTP front door: an ASGI app for uvicorn.

POST /slack/events carries slash commands, events and button clicks; GET
/healthz says whether the process is up and which rules it serves. Bolt's
dispatch runs in a worker thread so the event loop stays free for other requests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.model import to_utc_text
from bot.slack.services import Services


def create_asgi(app: App, services: Services) -> Starlette:
    async def events(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

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
        yield
        await run_in_threadpool(services.close)

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
