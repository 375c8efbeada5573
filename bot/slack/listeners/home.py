"""App Home: the accounts a user may see with their latest numbers, and the rule set's status."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from slack_bolt import App
from slack_sdk import WebClient

from bot.commands import Caller, shown_problems
from bot.commands.loading import measure
from bot.metrics.catalogue import CURVE_HOURS
from bot.model import to_utc_text
from bot.slack.blocks import context, header, plain, section
from bot.slack.services import Services

log = logging.getLogger("narrator.slack")
MAX_ACCOUNTS = 20
HOME_POSTS = 10


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        # Answer Slack at once; build and publish the view in the reply pool.
        services.submit(publish_safely, event["user"])


def publish_safely(services: Services, user_id: str) -> None:
    try:
        publish_home(services, services.client(), user_id)
    except Exception:
        log.exception("could not publish App Home for %s", user_id)


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    client.views_publish(
        user_id=user_id, view={"type": "home", "blocks": home_blocks(services, user_id)}
    )


def home_blocks(services: Services, user_id: str) -> list[dict[str, Any]]:
    store = services.store()
    # The Home tab belongs to the user: it speaks their Slack language when known.
    narrator = services.holder.current().speaking(services.user_locale(user_id)).narrator
    at = services.clock()
    linked = frozenset(store.linked_accounts(user_id))
    caller = Caller(visible=None if user_id in services.admins else linked)
    accounts = [a for a in store.accounts(at) if caller.visible is None or a.id in linked]

    def words(block: str, **ctx: Any) -> str:
        return narrator.block("slack/home.j2", block, **ctx) or ""

    def lines(block: str, **ctx: Any) -> str:
        template = narrator.env.get_template("slack/home.j2")
        render = template.blocks[block]
        return "".join(render(template.new_context(ctx))).strip()

    blocks: list[dict[str, Any]] = [
        header(plain(words("title"))),
        section(words("intro")),
        {"type": "divider"},
    ]
    for account in accounts[:MAX_ACCOUNTS]:
        blocks.append(section(lines("account", a=_latest(services, account, at))))
    if not accounts:
        blocks.append(section(words("no_accounts", admins=sorted(services.admins))))
    status = services.holder.status()
    problems, hidden = shown_problems(status.problems, caller)
    blocks.append({"type": "divider"})
    blocks.append(
        context(
            lines(
                "rules",
                status={
                    "rules": status.rules,
                    "loaded_at": to_utc_text(status.loaded_at),
                    "last_attempt_at": to_utc_text(status.last_attempt_at),
                    "last_attempt_ok": status.last_attempt_ok,
                    "problems": problems,
                    "hidden_problems": hidden,
                },
            )
        )
    )
    return blocks[:100]


def _latest(services: Services, account: Any, at: Any) -> dict[str, Any]:
    """The account's medians over its last posts observed for at least 72 hours."""
    latest = {
        "id": account.id,
        "name": account.name or account.id,
        "followers": account.followers,
        "last_published_at": account.last_published_at,
        "mature": 0,
    }
    if not account.posts:
        return latest
    posts = measure(services.store(), account.id, at, posts=HOME_POSTS).posts
    mature = posts.take(posts.floats("hours_observed") >= CURVE_HOURS)
    if len(mature):
        latest.update(
            mature=len(mature),
            ratio=_median(mature.floats("impressions_per_member_reached")),
            engagement_rate=_median(mature.floats("engagement_rate")),
            saves_shares_per_1k=_median(mature.floats("saves_shares_per_1k")),
        )
    return latest


def _median(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else None
