"""Socket Mode: the same bot, reached over a WebSocket as Slack's Socket Mode does it."""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from bot.config import Settings, load_slack_settings
from bot.demo import DEMO_NOW
from bot.slack.run import build, socket_handler
from bot.slack.services import FixedClock
from bot.slack.socket_mode import Handler
from bot.store import Store
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, MEMBER
from tests.slack.fakes import APP_TOKEN, BOT_TOKEN, FakeSlack, slash_command


def close_both(handler: Handler, ws: Server) -> None:
    """Close the bot's connection, then the fake's server. handler.close() waits for the
    thread reading the socket, which holds it through a read of up to 3 s (slack_sdk's
    receive timeout): once the client has stopped for good (no reconnecting), the server
    closing its end ends that read at once."""
    closing = threading.Thread(target=handler.close)
    closing.start()
    deadline = time.monotonic() + 10
    while not handler.client.closed:
        assert time.monotonic() < deadline, "the Socket Mode client did not start closing"
        time.sleep(0.01)
    ws.shutdown()
    closing.join(timeout=30)
    assert not closing.is_alive(), "the Socket Mode client did not close"


@pytest.mark.parametrize("processes", [0, 2])  # the Procfile's worker uses 2
def test_a_slash_command_over_socket_mode(
    tmp_path: Path, root: Path, fake_slack: FakeSlack, demo_db: Path, processes: int
):
    acks: queue.Queue[dict] = queue.Queue()
    command = {
        k: v[0]
        for k, v in urllib.parse.parse_qs(
            slash_command(
                "last10 demo-creator",
                user=MEMBER,
                channel=CREATOR_CHANNEL,
                response_url=fake_slack.hook("socket"),
            )
        ).items()
    }

    def session(connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0APP"},
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                }
            )
        )
        connection.send(
            json.dumps(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": command,
                }
            )
        )
        for raw in connection:
            acks.put(json.loads(raw))

    with serve(session, "127.0.0.1", 0) as ws:
        threading.Thread(target=ws.serve_forever, daemon=True).start()
        fake_slack.socket_url = f"ws://127.0.0.1:{ws.socket.getsockname()[1]}/link"

        shutil.copytree(root / "rules", tmp_path / "rules")
        shutil.copytree(root / "narratives", tmp_path / "narratives")
        with Store(demo_db) as store:
            store.link(CREATOR_CHANNEL, "demo-creator", by=ADMIN, at=DEMO_NOW)
        settings = Settings(
            db=tmp_path / "bot.db", rules=tmp_path / "rules", narratives=tmp_path / "narratives"
        )
        slack = load_slack_settings(
            "socket",
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_api_url=fake_slack.api_url,
            narrator_admins=ADMIN,
        )
        bot = build(settings, slack, clock=FixedClock(DEMO_NOW), watch=False, processes=processes)
        handler = socket_handler(bot, slack)
        handler.connect()
        try:
            ack = acks.get(timeout=20)
            assert ack["envelope_id"] == "env-1"  # acknowledged on the socket...
            (message,) = fake_slack.wait_for_posts("socket")  # ...answered at response_url
        finally:
            close_both(handler, ws)
            bot.services.close()

    (opened,) = fake_slack.method_calls("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert message["blocks"][0]["text"]["text"] == "Demo Creator: the last 10 posts"
    assert message["response_type"] == "ephemeral"


def test_socket_mode_needs_an_app_token(fake_slack: FakeSlack):
    import pytest

    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="missing setting: SLACK_APP_TOKEN"):
        load_slack_settings("socket", slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.api_url)


def _envelope(envelope_id: str, kind: str, payload: object) -> str:
    return json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload})


def test_malformed_socket_mode_messages_are_acknowledged_and_logged_once(
    tmp_path: Path, root: Path, fake_slack: FakeSlack, demo_db: Path
):
    """The same robustness as over HTTP: a malformed envelope is acknowledged (so Slack
    does not send it again), logged in one line, and the next one is answered."""
    from tests.slack.test_requests import Records

    records = Records()
    watched = [logging.getLogger(n) for n in ("", "slack_sdk", "slack_bolt")]
    for logger in watched:
        logger.addHandler(records)
    acks: queue.Queue[dict] = queue.Queue()
    good = {
        k: v[0]
        for k, v in urllib.parse.parse_qs(
            slash_command(
                "accounts", user=MEMBER, channel=CREATOR_CHANNEL, response_url=fake_slack.hook("ok")
            )
        ).items()
    }
    click = {
        "type": "block_actions",
        "user": {"id": MEMBER},
        "actions": [],
        "response_url": fake_slack.hook("bad"),
    }
    home = {
        "type": "event_callback",
        "event_id": "Ev0SOCKET",
        "event": {"type": "app_home_opened", "tab": "home"},
    }
    malformed = [
        "{not json",
        '{"envelope_id": "e0", "type": "events_api", "payload": ' + "[" * 100_000,
        _envelope("e1", "interactive", click),
        _envelope("e2", "events_api", home),
        _envelope("e3", "interactive", ["not", "an", "object"]),
        _envelope("e4", "slash_commands", {**good, "user_id": 7}),
        _envelope(
            "e5",
            "events_api",
            {**home, "event": {**home["event"], "user": MEMBER}, "authorizations": "x"},
        ),
    ]

    def session(connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        for message in malformed:
            connection.send(message)
        connection.send(_envelope("e-good", "slash_commands", good))
        for raw in connection:
            acks.put(json.loads(raw))

    with serve(session, "127.0.0.1", 0) as ws:
        threading.Thread(target=ws.serve_forever, daemon=True).start()
        fake_slack.socket_url = f"ws://127.0.0.1:{ws.socket.getsockname()[1]}/link"
        shutil.copytree(root / "rules", tmp_path / "rules")
        shutil.copytree(root / "narratives", tmp_path / "narratives")
        with Store(demo_db) as store:
            store.link(CREATOR_CHANNEL, "demo-creator", by=ADMIN, at=DEMO_NOW)
        settings = Settings(
            db=tmp_path / "bot.db", rules=tmp_path / "rules", narratives=tmp_path / "narratives"
        )
        slack = load_slack_settings(
            "socket",
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_api_url=fake_slack.api_url,
            narrator_admins=ADMIN,
        )
        bot = build(settings, slack, clock=FixedClock(DEMO_NOW), watch=False)
        handler = socket_handler(bot, slack)
        handler.connect()
        try:
            (message,) = fake_slack.wait_for_posts("ok")
            acked = set()
            while len(acked) < 6:
                acked.add(acks.get(timeout=20)["envelope_id"])
        finally:
            close_both(handler, ws)
            bot.services.close()
            for logger in watched:
                logger.removeHandler(records)

    assert "demo-creator" in json.dumps(message)
    assert acked == {"e1", "e2", "e3", "e4", "e5", "e-good"}
    assert fake_slack.posts_to("bad") == []
    assert fake_slack.method_calls("views.publish") == []
    lines = [
        r.getMessage()
        for r in records.records
        if r.levelno >= logging.WARNING and r.name.startswith(("narrator", "slack"))
    ]
    assert len(lines) == len(malformed), lines
    # (the fake server's own websockets logger may complain when the client hangs up)
    assert [t for t in records.tracebacks() if t.startswith(("narrator", "slack"))] == []
