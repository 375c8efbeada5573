"""The bot keeps answering while another program writes to its database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store
from bot.store.connection import Connection
from tests.slack.conftest import ADMIN, EMPTY_CHANNEL, Running
from tests.slack.test_http import all_text, ask
from tests.writers import HEADER, another_writer, narrator_import, rows, stderr_until


def test_replies_and_an_import_go_on_together(running: Running, tmp_path: Path):
    """While an import holds the write lock, last10 is answered from what was committed
    (it was an apology once the lock was held for 5 seconds), and the import waits its
    turn and succeeds."""
    path = tmp_path / "new.csv"
    path.write_text("\n".join([HEADER, *rows("imported", 20)]) + "\n", encoding="utf-8")
    with another_writer(running.db):
        process = narrator_import(running.db, path)
        assert "waiting for another program" in stderr_until(process, "waiting")[-1]
        message = ask(running, "last10 demo-creator", hook="during")
        assert message["blocks"][0]["text"]["text"] == "Demo Creator: the last 10 posts"
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert out.startswith(f"{path}: 1 account, 20 posts (20 new, 0 updated), 80 snapshots")
    with Store(running.db) as store:
        assert "imported" in store.account_ids()


def test_a_change_that_cannot_wait_for_an_import_asks_to_try_again(
    running: Running, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(Connection, "write_wait", 0.2)
    with another_writer(running.db):
        busy = all_text(ask(running, "link demo-page", user=ADMIN, channel=EMPTY_CHANNEL))
    assert busy == (
        "Someone is importing LinkedIn data right now and I could not save that change "
        "while they do, so nothing changed. Try again in a minute or two."
    )
    with Store(running.db) as store:
        assert store.linked_accounts(EMPTY_CHANNEL) == []
