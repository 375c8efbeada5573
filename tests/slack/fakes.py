"""A small stand-in for Slack on 127.0.0.1, and helpers to talk to our server as Slack does.

FakeSlack speaks the Web API methods the bot uses (auth.test, views.publish,
chat.postMessage, apps.connections.open, users.info, and for the clock
conversations.history and .replies with message metadata, and the three steps of
files_upload_v2) with Slack's JSON shapes, checks the bearer token, keeps each
channel's messages, and records every call and every response_url post.

`on_method(method, body, phase)` is called when a Web API call arrives
(phase "received") and after it has changed the fake's state, before the answer
is sent ("done"): a test can kill the caller at either moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

BOT_TOKEN = "xoxb-test-1234567890-abcdefghijklmnop"
APP_TOKEN = "xapp-1-test-0987654321-zyxwvutsrq"
SIGNING_SECRET = "test-signing-secret-3f2a1b9c8d7e6f5"

#: For httpx calls to the servers here, which speak plain HTTP on 127.0.0.1: no CA bundle
#: to load (httpx's default context loads one for every call, ~0.1 s). It trusts no
#: certificate, should a call ever go to https.
NO_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

#: Seconds between a fake server's looks at whether it was asked to stop (the fakes
#: here and in tests/linkedin_fake.py); closing one waits up to this long.
POLL = 0.02


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a caller a test killed mid-request leaves a broken pipe: expected


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    rate_limited: dict[str, int] = field(default_factory=dict)  # method -> 429s still to send
    socket_url: str = ""
    on_hook: Callable[[Call], None] | None = None
    on_method: Callable[[str, dict[str, Any], str], None] | None = None
    #: channel -> its messages, oldest first (thread replies included, with thread_ts)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes
    files: list[dict[str, Any]] = field(default_factory=list)  # completed uploads
    #: user id -> Slack time zone (users.info)
    user_zones: dict[str, str] = field(default_factory=dict)
    #: user id -> Slack locale such as "fr-FR" (users.info with include_locale); none
    #: given: users.info leaves the locale out, as Slack does without include_locale
    user_locales: dict[str, str] = field(default_factory=dict)
    #: channels the bot is not in: posting there fails with not_in_channel
    closed: set[str] = field(default_factory=set)
    #: method -> answers of HTTP 500 still to give (after doing the work, like a timeout)
    failing_after: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw_bytes = self.rfile.read(length)
                raw = "" if self.path.startswith("/upload/") else raw_bytes.decode("utf-8")
                kind = self.headers.get("Content-Type", "")
                if "json" in kind and raw:
                    body = json.loads(raw)
                else:
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                call = Call(self.path, dict(self.headers), body, time.monotonic())
                with fake._lock:
                    fake.calls.append(call)
                if self.path.startswith("/upload/"):
                    with fake._lock:
                        fake.uploads[self.path.removeprefix("/upload/")] = raw_bytes
                    return self._reply(200, "OK - uploaded", "text/plain")
                if self.path.startswith("/hooks/"):
                    if fake.on_hook:
                        fake.on_hook(call)
                    return self._reply(200, "ok", "text/plain")
                method = self.path.removeprefix("/api/")
                if fake.rate_limited.get(method, 0) > 0:
                    fake.rate_limited[method] -= 1
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": false, "error": "ratelimited"}')
                    return
                if fake.on_method and fake.on_method(method, body, "received") == "drop":
                    self.close_connection = True  # as if the caller died mid-request
                    return None
                answer = fake.answer(method, self.headers, body)
                if fake.on_method:
                    fake.on_method(method, body, "done")
                if fake.failing_after.get(method, 0) > 0:
                    fake.failing_after[method] -= 1
                    return self._reply(500, '{"ok": false, "error": "fatal_error"}')
                return self._reply(200, json.dumps(answer))

            def do_GET(self) -> None:
                # Some Web API methods (users.info) are called with GET and a query string.
                path, _, query = self.path.partition("?")
                body = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
                with fake._lock:
                    fake.calls.append(Call(path, dict(self.headers), body, time.monotonic()))
                method = path.removeprefix("/api/")
                answer = fake.answer(method, self.headers, body)
                if fake.failing_after.get(method, 0) > 0:
                    fake.failing_after[method] -= 1
                    return self._reply(500, '{"ok": false, "error": "fatal_error"}')
                return self._reply(200, json.dumps(answer))

            def _reply(self, status: int, text: str, kind: str = "application/json") -> None:
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._lock = threading.Lock()
        self._ts = 0
        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        # serve_forever notices shutdown() between polls: 0.5 s by default, 20 ms here.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True
        )
        self.thread.start()

    def answer(self, method: str, headers: Any, body: dict[str, Any]) -> dict[str, Any]:
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if token != BOT_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://narrator-test.slack.com/",
                "team": "Narrator Test",
                "user": "narrator",
                "team_id": "T0TEST",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0HOME", "type": "home", **body.get("view", {})}}
        if method == "chat.postMessage":
            return self._post_message(body)
        if method == "conversations.history":
            return self._history(body)
        if method == "conversations.replies":
            return self._replies(body)
        if method == "users.info":
            user = body.get("user", "")
            zone = self.user_zones.get(user, "America/Los_Angeles")
            found: dict[str, Any] = {"id": user, "tz": zone}
            wanted = str(body.get("include_locale", "")).lower() in ("true", "1")
            if wanted and user in self.user_locales:
                found["locale"] = self.user_locales[user]
            return {"ok": True, "user": found}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + len(self.files) + 1:06d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            with self._lock:
                for f in files:
                    self.files.append(
                        {
                            **f,
                            "channel": body.get("channel_id"),
                            "thread_ts": body.get("thread_ts"),
                            "content": self.uploads.get(f["id"], b""),
                        }
                    )
            return {"ok": True, "files": [{"id": f["id"]} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        if channel in self.closed:
            return {"ok": False, "error": "not_in_channel"}
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        with self._lock:
            # Slack's ts is the moment of posting (microseconds), unique in a channel.
            self._ts = max(self._ts + 1, int(time.time() * 1_000_000))
            ts = f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"
            message = {
                "type": "message",
                "user": "U0BOT",
                "ts": ts,
                "text": body.get("text", ""),
                "blocks": body.get("blocks"),
            }
            if metadata:
                message["metadata"] = metadata
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            self.channels.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        oldest = float(body.get("oldest") or 0)
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            messages = self.channels.get(body.get("channel", ""), [])
            top = [m for m in messages if "thread_ts" not in m and float(m["ts"]) > oldest]
            out = []
            for m in reversed(top):  # newest first, as Slack answers
                shown = {k: v for k, v in m.items() if with_metadata or k != "metadata"}
                replies = [r for r in messages if r.get("thread_ts") == m["ts"]]
                if replies:
                    shown["reply_count"] = len(replies)
                out.append(shown)
        return {"ok": True, "messages": out, "has_more": False}

    def _replies(self, body: dict[str, Any]) -> dict[str, Any]:
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        ts = body.get("ts")
        with self._lock:
            messages = self.channels.get(body.get("channel", ""), [])
            thread = [m for m in messages if m["ts"] == ts or m.get("thread_ts") == ts]
            out = [{k: v for k, v in m.items() if with_metadata or k != "metadata"} for m in thread]
        return {"ok": True, "messages": out, "has_more": False}

    def messages(self, channel: str, run_prefix: str = "") -> list[dict[str, Any]]:
        """The channel's messages (replies included) whose metadata names a run
        starting with `run_prefix` (every message when it is empty)."""
        with self._lock:
            found = list(self.channels.get(channel, []))
        if not run_prefix:
            return found
        return [
            m
            for m in found
            if str(
                ((m.get("metadata") or {}).get("event_payload") or {}).get("run", "")
            ).startswith(run_prefix)
        ]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def hook(self, name: str) -> str:
        return f"{self.base}/hooks/{name}"

    def posts_to(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.body for c in self.calls if c.path == f"/hooks/{name}"]

    def method_calls(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == f"/api/{method}"]

    def wait_for_posts(
        self, name: str, count: int = 1, timeout: float = 20
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.posts_to(name)
            if len(posts) >= count:
                return posts
            time.sleep(0.01)
        raise AssertionError(f"no reply reached response_url {name} within {timeout} s")

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 20) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.method_calls(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        raise AssertionError(f"{method} was not called {count} times within {timeout} s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Uvicorn(uvicorn.Server):
    """uvicorn, whose main loop wakes at once when stop() asks it to exit instead of at
    its next 0.1 s tick (ticks go on as before otherwise: the Date header, limits)."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or not hasattr(self, "_wait_tasks_to_complete"):
            await super().shutdown(sockets)
            return
        # No connection open: uvicorn's own steps, less the 0.1 s it sleeps to let the
        # connections it has just asked to close finish their answers.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        await self._wait_tasks_to_complete()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def exit_now(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(wake.set)


class Server:
    """An ASGI app served by a real uvicorn on 127.0.0.1, on a port of its own."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = _Uvicorn(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def stop(self) -> None:
        self.server.exit_now()
        self.thread.join(timeout=10)
        self.sock.close()


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Headers Slack would send with `body`: its timestamp and v0 HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slash_command(text: str, *, user: str, channel: str, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEST",
            "team_domain": "narrator-test",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "marketing",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/linkedin",
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "123.456.abc",
        }
    )


def button_click(action_id: str, value: str, *, user: str, channel: str, response_url: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "narrator-test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "trigger_id": "123.456.abc",
        "channel": {"id": channel, "name": "marketing"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": "1700000001.000200",
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def event(event_type: str, event_id: str, **fields: Any) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEST",
            "api_app_id": "A0APP",
            "event": {"type": event_type, "event_ts": "1700000002.000300", **fields},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000002,
            "authorizations": [{"team_id": "T0TEST", "user_id": "U0BOT", "is_bot": True}],
        }
    )
