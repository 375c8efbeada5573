"""What the clock runs, wired to Slack: the job sources of `narrator clock` (and of
`narrator serve --clock`): digests, first-hour check-ins and the LinkedIn sync."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.checkin.send import CheckinJobs
from bot.clock.loop import Source
from bot.config import Settings, SlackSettings
from bot.digest.send import DigestJobs
from bot.errors import ConfigError
from bot.linkedin.sync import SyncJobs
from bot.pack import Pack
from bot.shipped import guide
from bot.slack.delivery import Poster, clock_client, sdk_quiet


@dataclass(frozen=True)
class Clockwork:
    sources: tuple[Source, ...]
    poster: Poster


def clockwork(settings: Settings, slack: SlackSettings, pack: Callable[[], Pack]) -> Clockwork:
    """The clock's job sources, posting with the bot token on SLACK_API_URL (checked
    with auth.test first, so a bad token is one clear message, not a failed digest)."""
    assert slack.slack_bot_token is not None
    client = clock_client(slack.slack_api_url, slack.slack_bot_token.get_secret_value())
    try:
        with sdk_quiet():  # said once, below
            client.auth_test()
    except OSError as exc:  # URLError, a refused connection, a timeout: not the token
        reason = getattr(exc, "reason", None) or exc
        raise ConfigError(
            f"cannot reach Slack's Web API at {slack.slack_api_url} ({reason}); "
            "check SLACK_API_URL and the network"
        ) from None
    except Exception as exc:
        raise ConfigError(
            f"SLACK_BOT_TOKEN: Slack at {slack.slack_api_url} refused it ({_why(exc)}); "
            f"check the token and SLACK_API_URL ({guide('slack-setup.md')})"
        ) from None
    poster = Poster(client, interval=settings.post_interval)
    digests = DigestJobs(
        pack=pack, poster=poster, grace=timedelta(hours=settings.digest_grace_hours)
    )
    checkins = CheckinJobs(pack=pack, poster=poster)
    syncs = SyncJobs(settings)
    return Clockwork((digests.jobs, checkins.jobs, syncs.jobs), poster)


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error", exc))
    return f"{type(exc).__name__}: {exc}"
