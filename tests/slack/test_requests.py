"""What reaches /slack/events from the network: too big, unsigned, malformed or
oddly shaped requests are answered with a 4xx (or the quiet 200 Slack expects for
events) and one log line, never a 500 or a traceback; nothing unsigned is parsed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from bot.slack.inbound import MAX_BODY
from bot.store import Store
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, EMPTY_CHANNEL, MEMBER, Running
from tests.slack.fakes import NO_TLS, SIGNING_SECRET, button_click, event, slash_command


class Records(logging.Handler):
    """Every log record of the process, uvicorn's own included (its loggers do not
    propagate to the root logger, so caplog would miss its tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, logger: str = "narrator") -> list[str]:
        return [
            r.getMessage()
            for r in self.records
            if r.name.startswith(logger) and r.levelno >= logging.WARNING
        ]

    def tracebacks(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records if r.exc_info]


@pytest.fixture
def logs() -> Iterator[Records]:
    handler = Records()
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "slack_sdk", "slack_bolt"]
    loggers = [logging.getLogger(n) for n in names]
    old_levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    yield handler
    for lg, level in zip(loggers, old_levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def signature(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def send(
    running: Running,
    body: bytes | str,
    *,
    signed: bool,
    content_type: str = "application/x-www-form-urlencoded",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    raw = body.encode() if isinstance(body, str) else body
    sent: dict[str, str | bytes] = {
        "Content-Type": content_type,
        **(signature(raw) if signed else {}),
    }
    for name, value in (headers or {}).items():
        sent[name] = value if value.isascii() else value.encode()  # as raw bytes on the wire
    return httpx.post(
        running.server.url + "/slack/events", content=raw, headers=sent, timeout=10, verify=NO_TLS
    )


def raw_exchange(running: Running, head: str, body: bytes) -> bytes:
    """Write an HTTP request by hand (a Content-Length that lies, say); the response."""
    port = int(running.server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode() + b"\r\n\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


# -- size: refused before it is read whole -------------------------------------------


def test_a_body_declared_too_big_is_refused_before_it_is_read(running: Running, logs: Records):
    # 200 MB announced, 1 KB sent: the answer comes without waiting for the rest.
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 200000000"
    )
    response = raw_exchange(running, head, b"{" * 1024)
    assert status_of(response) == 413
    assert len(logs.lines()) == 1
    assert "larger than" in logs.lines()[0]
    assert logs.tracebacks() == []


def test_a_streamed_body_is_cut_off_at_the_cap(running: Running, logs: Records):
    # No Content-Length (chunked): counted while it streams in.
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // 4096 + 2):
            yield b"a" * 4096

    response = httpx.post(
        running.server.url + "/slack/events",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
        verify=NO_TLS,
    )
    assert response.status_code == 413
    assert logs.tracebacks() == []


def test_even_a_signed_body_over_the_cap_is_refused(running: Running):
    body = "text=" + "a" * MAX_BODY
    assert send(running, body, signed=True).status_code == 413


def test_a_body_at_the_cap_is_read(running: Running):
    body = "text=" + "a" * (MAX_BODY - 5)
    assert send(running, body, signed=False).status_code == 401  # read, then not signed


# -- unsigned: 401 before any parsing ------------------------------------------------


UNSIGNED = {
    "invalid json": ("{", "application/json", {}),
    "deeply nested json": ("[" * 100_000, "application/json", {}),
    "payload=notjson": ("payload=notjson", "application/x-www-form-urlencoded", {}),
    "non-utf-8 bytes": (b"\xff\xfe\xfd text=\xc3", "application/x-www-form-urlencoded", {}),
    "timestamp abc": (
        "text=x",
        "application/x-www-form-urlencoded",
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
    ),
    "timestamp in other digits": (
        "text=x",
        "application/x-www-form-urlencoded",
        {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-Slack-Signature": "v0=" + "0" * 64},
    ),
    "signature not ascii": (
        "text=x",
        "application/x-www-form-urlencoded",
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=ÿÿ"},
    ),
}


@pytest.mark.parametrize("case", list(UNSIGNED))
def test_unsigned_malformed_requests_get_401_and_one_log_line(
    running: Running, logs: Records, case: str
):
    body, content_type, headers = UNSIGNED[case]
    response = send(running, body, signed=False, content_type=content_type, headers=headers)
    assert response.status_code == 401
    assert "Traceback" not in response.text
    assert len(logs.lines()) == 1, logs.lines()
    assert logs.tracebacks() == []


# -- signed but malformed: 400 (or a quiet 200 for events) ----------------------------


#: Where replies to the malformed requests would go: replaced by the fake's address.
HOOK = "http://127.0.0.1:1/hooks/malformed"


def hooked(running: Running, body: str | bytes) -> str | bytes:
    if isinstance(body, bytes):
        return body
    hook = running.slack.hook("malformed")
    return body.replace(HOOK, hook).replace(
        urllib.parse.quote(HOOK, safe=""), urllib.parse.quote(hook, safe="")
    )


def block_actions(**changes: object) -> str:
    payload = json.loads(
        urllib.parse.parse_qs(
            button_click("why", "x", user=MEMBER, channel=CREATOR_CHANNEL, response_url=HOOK)
        )["payload"][0]
    )
    payload.update(changes)
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


SIGNED = {
    "invalid json": ("{", "application/json", 400),
    "json that is not an object": ("[1, 2]", "application/json", 400),
    "deeply nested json": ('{"a": ' + "[" * 100_000, "application/json", 400),
    "nested deeper than slack nests": (
        '{"type": "block_actions", "actions": ' + "[" * 500 + "]" * 500 + "}",
        "application/json",
        400,
    ),
    "an event nested deeper than slack nests": (
        '{"type": "event_callback", "event": ' + "[" * 500 + "]" * 500 + "}",
        "application/json",
        200,
    ),
    "payload=notjson": ("payload=notjson", "application/x-www-form-urlencoded", 400),
    "payload that is a list": ("payload=%5B%5D", "application/x-www-form-urlencoded", 400),
    # Slack always sends UTF-8, and signatures are checked on the text: not Slack's.
    "non-utf-8 bytes": (b"text=\xff\xfe", "application/x-www-form-urlencoded", 401),
    "block_actions without actions": (
        block_actions(actions=[]),
        "application/x-www-form-urlencoded",
        400,
    ),
    "block_actions with a user that is text": (
        block_actions(user="U0MEMBER"),
        "application/x-www-form-urlencoded",
        400,
    ),
    "a button without a value": (
        block_actions(actions=[{"action_id": "why", "type": "button", "block_id": "b"}]),
        "application/x-www-form-urlencoded",
        400,
    ),
    "authorizations that are text": (
        json.dumps(
            {**json.loads(event("app_home_opened", "Ev1", user=MEMBER)), "authorizations": "x"}
        ),
        "application/json",
        200,
    ),
    "app_home_opened without user": (
        event("app_home_opened", "Ev0NOUSER"),
        "application/json",
        200,
    ),
    "event_callback without event": (
        json.dumps({"type": "event_callback", "event_id": "Ev0NOEVENT", "team_id": "T0TEST"}),
        "application/json",
        200,
    ),
    "slash command without user": (
        "command=%2Flinkedin&text=last10&channel_id=C0CREATOR&response_url="
        + urllib.parse.quote(HOOK, safe="")
        + "",
        "application/x-www-form-urlencoded",
        400,
    ),
}


@pytest.mark.parametrize("case", list(SIGNED))
def test_signed_malformed_requests_get_a_4xx_or_a_quiet_200_and_one_log_line(
    running: Running, logs: Records, case: str
):
    body, content_type, status = SIGNED[case]
    body = hooked(running, body)
    response = send(running, body, signed=True, content_type=content_type)
    assert response.status_code == status
    assert "Traceback" not in response.text
    assert len(logs.lines()) == 1, logs.lines()
    assert logs.tracebacks() == []
    running.finish_replies()  # a reply job, had one been queued, has run by now
    assert running.slack.calls == [c for c in running.slack.calls if c.path == "/api/auth.test"]


def test_after_malformed_requests_a_good_one_is_answered(running: Running):
    for body, content_type, _ in SIGNED.values():
        send(running, hooked(running, body), signed=True, content_type=content_type)
    body = slash_command(
        "accounts", user=MEMBER, channel=CREATOR_CHANNEL, response_url=running.slack.hook("ok")
    )
    assert running.post(body).status_code == 200
    (message,) = running.slack.wait_for_posts("ok")
    assert "demo-creator" in json.dumps(message)


def test_a_request_signed_with_an_empty_key_is_refused(running: Running):
    body = slash_command(
        "link demo-page", user=ADMIN, channel=EMPTY_CHANNEL, response_url=running.slack.hook("x")
    )
    ts = str(int(time.time()))
    digest = hmac.new(b"", f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    response = send(
        running,
        body,
        signed=False,
        headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest},
    )
    assert response.status_code == 401
    with Store(running.db) as store:
        assert store.linked_accounts(EMPTY_CHANNEL) == []
