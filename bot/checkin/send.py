"""First-hour check-ins as clock jobs: one scan every few minutes, one message per post.

The scan (job `checkin`, every SCAN_MINUTES) measures the accounts linked to each
channel that asked for check-ins and hands each post whose early window is in to
the runner as a job of its own: `checkin:CHANNEL`, with the post's id as its period.
The ledger row of that job is the exactly-once guard, as a digest's week is: a
second scan, a second clock or a restart finds it and sends nothing; a check-in
whose early window closed more than LATE after publishing is recorded as skipped.
A claim left by a dead process is recovered by looking for the message (its
metadata names the run) before posting.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.checkin import EARLY, LATE, SCAN_MINUTES
from bot.checkin.build import CheckIn, due_checkins
from bot.clock import Every, Job, Once, Run, RunFailed, RunUnsure, run_due
from bot.commands import Reply
from bot.commands.loading import measure
from bot.model import parse_moment
from bot.pack import Pack
from bot.slack.blocks import render
from bot.slack.delivery import DeliveryRefused, DeliveryUnsure, Poster
from bot.store import Store

log = logging.getLogger("narrator.checkin")

#: How long the scan's own runs stay in the ledger.
SCAN_MEMORY = timedelta(days=1)


def checkin_text(pack: Pack, checkin: CheckIn) -> str:
    return pack.narrator.render("messages/checkin.j2", **checkin.context)


@dataclass
class CheckinJobs:
    """The check-in scan as a clock job, posting through `poster`."""

    pack: Callable[[], Pack]
    poster: Poster

    def jobs(self, store: Store) -> list[Job]:
        if not store.checkin_channels():
            return []
        scan = Every(SCAN_MINUTES)
        return [Job("checkin", scan, self.scan, timedelta(minutes=SCAN_MINUTES))]

    def scan(self, store: Store, run: Run) -> str:
        """Every post due a check-in, each claimed and sent as a run of its own."""
        # A scan's row guards only its own five minutes: yesterday's are dropped, or
        # the ledger would grow by 288 rows a day.
        store.forget_runs(run.job, run.now - SCAN_MEMORY)
        posts: list[Job] = []
        for channel, enabled_at in store.checkin_channels():
            for account in store.linked_accounts(channel):
                try:
                    due = due_checkins(measure(store, account, run.now), run.now)
                except Exception:
                    # One account's trouble must not cost every other channel its check-ins.
                    log.exception(
                        "check-ins of %s for %s could not be worked out", account, channel
                    )
                    continue
                for checkin in due:
                    posts.append(
                        Job(
                            f"checkin:{channel}",
                            Once(checkin.due, checkin.post),
                            functools.partial(self.send, channel, checkin),
                            # Due at publishing + EARLY: later than LATE after publishing
                            # is past the grace, and recorded as skipped.
                            LATE - EARLY,
                            # Posts due before the channel asked are not its to record.
                            since=parse_moment(enabled_at),
                        )
                    )
        ran = run_due(store, posts, lambda: run.now, worker=run.worker)
        sent = sum(r.outcome in ("done", "recovered") for r in ran)
        skipped = sum(r.outcome == "skipped" for r in ran)
        return f"{sent} sent, {skipped} too late"

    def send(self, channel: str, checkin: CheckIn, store: Store, run: Run) -> str:
        pack = self.pack().speaking(store.language(channel))  # the channel's language
        (message, *_) = render(
            Reply(text=checkin_text(pack, checkin), kind="checkin"), pack.narrator
        )
        marker = f"{run.job}/{run.period}"
        try:
            if run.recovering:
                since = min(run.due, run.first_claimed or run.due) - timedelta(minutes=1)
                found = self.poster.find(channel, marker, since)
                if 0 in found:
                    log.info("%s: found already posted", marker)
                    return found[0]
            return self.poster.post(channel, message, run=marker)
        except DeliveryRefused as exc:
            raise RunFailed(f"Slack refused the check-in in {channel}: {exc}") from None
        except DeliveryUnsure as exc:
            raise RunUnsure(str(exc)) from None
