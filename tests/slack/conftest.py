"""A running bot: real uvicorn, real SQLite with the demo data, a fake Slack on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.config import Settings, load_slack_settings
from bot.demo import DEMO_NOW
from bot.slack.http import create_asgi
from bot.slack.run import Bot, build
from bot.slack.services import FixedClock
from bot.store import Store
from tests.slack.fakes import BOT_TOKEN, NO_TLS, SIGNING_SECRET, FakeSlack, Server, sign

ADMIN = "U0ADMIN"
MEMBER = "U0MEMBER"
CREATOR_CHANNEL = "C0CREATOR"  # demo-creator is linked here
EMPTY_CHANNEL = "C0EMPTY"  # nothing linked
DM = "D0MEMBER"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@dataclass
class Running:
    bot: Bot
    server: Server
    slack: FakeSlack
    db: Path
    root: Path

    def finish_replies(self) -> None:
        """Return once every reply job queued so far has finished: the reply pool is
        closed (shut down, waiting for its jobs), so call it only at the end of a test,
        before asserting that a request had no effect."""
        self.bot.services.close()

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        signed = sign(body, timestamp)
        return httpx.post(
            self.server.url + "/slack/events",
            content=body,
            headers={"Content-Type": content_type, **signed, **(headers or {})},
            timeout=10,
            verify=NO_TLS,
        )


def start(
    tmp_path: Path, root: Path, fake_slack: FakeSlack, db: Path, processes: int = 0
) -> Running:
    """The bot on `db` (the demo data: the `demo_db` fixture), as of DEMO_NOW, its replies
    computed in threads or in `processes` processes of their own."""
    shutil.copytree(root / "rules", tmp_path / "rules")
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    with Store(db) as store:
        store.link(CREATOR_CHANNEL, "demo-creator", by=ADMIN, at=DEMO_NOW)
    settings = Settings(db=db, rules=tmp_path / "rules", narratives=tmp_path / "narratives")
    slack = load_slack_settings(
        "http",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        narrator_admins=ADMIN,
    )
    bot = build(settings, slack, clock=FixedClock(DEMO_NOW), watch=False, processes=processes)
    server = Server(create_asgi(bot.app, bot.services, SIGNING_SECRET))
    return Running(bot, server, fake_slack, db, tmp_path)


@pytest.fixture
def running(tmp_path: Path, root: Path, fake_slack: FakeSlack, demo_db: Path) -> Iterator[Running]:
    running = start(tmp_path, root, fake_slack, demo_db)
    yield running
    running.server.stop()
    running.bot.services.close()
