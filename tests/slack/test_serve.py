"""`narrator serve` as a process: start-up checks, and the whole path from a signed
slash command to the reply, compared with `narrator ask --format json`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.clock import DAYS
from bot.demo import DEMO_NOW
from bot.model import to_utc_text
from bot.store import Store, Subscription
from tests import zygote
from tests.slack.conftest import ADMIN, CREATOR_CHANNEL, MEMBER
from tests.slack.fakes import BOT_TOKEN, NO_TLS, SIGNING_SECRET, FakeSlack, sign, slash_command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(tmp_path: Path, root: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NARRATOR_"))}
    env["NARRATOR_CACHE"] = os.environ.get("NARRATOR_CACHE", "off")  # the run's, not the user's
    env.update(
        NARRATOR_DB=str(tmp_path / "bot.db"),
        NARRATOR_RULES=str(root / "rules"),
        NARRATOR_NARRATIVES=str(root / "narratives"),
        NARRATOR_ADMINS=ADMIN,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
    )
    env.update(extra)
    return env


def narrator(*args: str, env: dict[str, str], root: Path, **kw) -> subprocess.CompletedProcess[str]:
    """`narrator ARGS` forked by the zygote (tests/zygote.py): for what a command says,
    not how it starts; serving runs the real program (below)."""
    program = str(Path(sys.executable).with_name("narrator"))
    return zygote.run([program, *args], env=env, cwd=root, **kw)


@pytest.mark.parametrize("processes", ["0", "2"])
def test_serve_answers_a_signed_command_with_the_terminal_numbers(
    tmp_path: Path, root: Path, fake_slack: FakeSlack, demo_db: Path, processes: str, request
):
    with Store(demo_db) as store:
        store.link(CREATOR_CHANNEL, "demo-creator", by=ADMIN, at=DEMO_NOW)
    port = free_port()
    # The server's temporary files: none may outlive it. A short folder, since the
    # rule checker's socket lives there and a socket path is at most ~100 characters
    # (a parallel run's tmp_path is longer; too long a TMPDIR is tested below): a
    # folder in the run's temporary folder (tests/conftest.py).
    scratch = Path(tempfile.mkdtemp(prefix="serve-"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    env = environment(tmp_path, root, fake_slack, PORT=str(port), TMPDIR=str(scratch))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--processes", processes],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1, verify=NO_TLS).json()["ok"]:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "narrator serve did not come up"
            time.sleep(0.1)
        body = slash_command(
            "last10 demo-creator",
            user=MEMBER,
            channel=CREATOR_CHANNEL,
            response_url=fake_slack.hook("serve"),
        )
        response = httpx.post(
            base + "/slack/events",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
            verify=NO_TLS,
        )
        assert response.status_code == 200
        (message,) = fake_slack.wait_for_posts("serve")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert BOT_TOKEN not in output
    assert SIGNING_SECRET not in output
    assert "Application shutdown complete" in output
    assert list(scratch.glob("narrator-packs-*")) == []

    terminal = json.loads(
        narrator("ask", "last10 demo-creator", "--format", "json", env=env, root=root).stdout
    )
    table = next(
        b["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("```")
    )
    rows = [line.split() for line in table.strip("`\n").split("\n")[1:]]
    assert [row[-5] for row in rows] == [f"{p['impressions']:,.0f}" for p in terminal["posts"]]
    assert [row[-3] for row in rows] == [
        f"1:{p['impressions_per_member_reached']:.1f}" for p in terminal["posts"]
    ]
    assert [row[-2] for row in rows] == [
        f"{p['engagement_rate'] * 100:.1f}%" for p in terminal["posts"]
    ]
    assert [row[-1] for row in rows] == [
        f"{p['saves_shares_per_1k']:.1f}" for p in terminal["posts"]
    ]
    buttons = [
        e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "mute"
    ]
    post_rules = {f["rule"] for f in terminal["findings"] if "post" in f}
    assert post_rules <= set(buttons)


def test_serve_with_clock_sends_a_due_digest_and_stops_its_clock(
    tmp_path: Path, root: Path, fake_slack: FakeSlack, demo_db: Path
):
    # The serving process follows the real time: the digest fell due two minutes ago.
    due = datetime.now(UTC) - timedelta(minutes=2)
    with Store(demo_db) as store:
        store.link(CREATOR_CHANNEL, "demo-creator", by=ADMIN, at=DEMO_NOW)
        store.subscribe(
            Subscription(
                channel=CREATOR_CHANNEL,
                day=DAYS[due.weekday()],
                time=f"{due:%H:%M}",
                zone="UTC",
                quiet="digest",
                accounts=(),
                created_by=ADMIN,
                created_at=to_utc_text(due - timedelta(days=1)),
            )
        )
    env = environment(tmp_path, root, fake_slack, NARRATOR_POST_INTERVAL="0")
    port = str(free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--clock", "--host", "127.0.0.1", "--port", port],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        (call,) = fake_slack.wait_for_calls("chat.postMessage", timeout=90)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert call.body["channel"] == CREATOR_CHANNEL
    (digest,) = fake_slack.messages(CREATOR_CHANNEL, "digest:")
    with Store(tmp_path / "bot.db") as store:
        (run,) = store.runs("digest:")
    assert (run.status, run.result) == ("done", digest["ts"])
    # SIGTERM stopped the clock's loop before the server went (a job in hand finishes).
    assert output.index(" stopped\n") < output.index("Application shutdown complete")
    assert "Application shutdown complete" in output
    assert BOT_TOKEN not in output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"SLACK_SIGNING_SECRET": None}, "missing setting: SLACK_SIGNING_SECRET"),
        # Set but empty: requests signed with the empty key would pass.
        ({"SLACK_SIGNING_SECRET": ""}, "bad setting: SLACK_SIGNING_SECRET: is empty"),
        (
            {"SLACK_BOT_TOKEN": "xoxp-user-token"},
            "bad setting: SLACK_BOT_TOKEN: must be a bot token starting with xoxb-",
        ),
        ({"SLACK_API_URL": "slack.com/api"}, "bad setting: SLACK_API_URL: must be a URL"),
        (
            {"NARRATOR_ADMINS": "U0ADMIN,bob"},
            "bad setting: NARRATOR_ADMINS: 'bob' is not a Slack user id",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-revoked"}, "SLACK_BOT_TOKEN was refused by Slack"),
        (
            {"SLACK_API_URL": "http://127.0.0.1:9/api/"},
            "cannot reach Slack's Web API at http://127.0.0.1:9/api/ ([Errno 111] Connection "
            "refused); check SLACK_API_URL and the network",
        ),
    ],
)
def test_serve_stops_at_start_up_naming_the_setting(
    extra, message, tmp_path: Path, root: Path, fake_slack: FakeSlack
):
    env = environment(
        tmp_path, root, fake_slack, **{k: v for k, v in extra.items() if v is not None}
    )
    for name in [k for k, v in extra.items() if v is None]:
        del env[name]
    result = narrator("serve", "--port", str(free_port()), env=env, root=root, timeout=60)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "xoxb-revoked" not in result.stderr
    # Said once, in words: not after slack_sdk's own ERROR and retry lines.
    assert "slack_sdk" not in result.stderr


def test_serve_with_a_temporary_folder_too_long_for_a_socket_says_so(
    tmp_path: Path, root: Path, fake_slack: FakeSlack
):
    """A TMPDIR past a socket's path limit crashed start-up with an apology."""
    deep = tmp_path / ("t" * 60) / ("m" * 60)
    deep.mkdir(parents=True)
    env = environment(tmp_path, root, fake_slack, PORT=str(free_port()), TMPDIR=str(deep))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--processes", "0"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "too long a path" in done.stderr
    assert "set TMPDIR to a shorter folder" in done.stderr
    assert "something went wrong" not in done.stderr
