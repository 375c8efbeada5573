"""The digest as a clock job: build it, post it once, record it, chart it.

The steps of one run, and what a crash after each leaves for the next tick:

1. claim (job, period) in the ledger (bot/clock): a crash leaves a claim whose
   lease runs out, and the next tick recovers the run;
2. recovering: look for the run's messages in the channel (their metadata names
   the run) and post only the parts that are missing;
3. post the digest (long digests continue in its thread), marked with the run;
4. record it sent, with its ts and what it said (the memory), in one transaction;
5. upload the chart into the thread. A crash here loses the chart, never the
   digest, and never sends it twice.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Job, Run, RunFailed, RunUnsure, Weekly
from bot.clock.schedule import parse_time
from bot.commands import Reply
from bot.digest.build import Digest, build_digest, week_end
from bot.digest.chart import render_chart
from bot.model import parse_moment
from bot.pack import Pack
from bot.slack.blocks import render
from bot.slack.delivery import DeliveryRefused, DeliveryUnsure, Poster
from bot.store import Store, Subscription

log = logging.getLogger("narrator.digest")


def schedule_of(sub: Subscription) -> Weekly:
    return Weekly(sub.day, parse_time(sub.time), sub.zone)


def accounts_of(store: Store, sub: Subscription) -> list[str]:
    """The accounts asked for, or else those linked to the channel now."""
    return list(sub.accounts) or store.linked_accounts(sub.channel)


def digest_for(
    store: Store, pack: Pack, sub: Subscription, moment: datetime, *, remember: bool = True
) -> Digest:
    """The channel's digest as it would be sent at `moment`."""
    end = week_end(moment, sub.zone)
    return build_digest(
        store,
        pack,
        accounts_of(store, sub),
        end=end,
        zone=sub.zone,
        sent_at=moment,
        muted={rule for rule, _, _ in store.mutes(sub.channel)},
        history=store.digest_history(sub.channel, end) if remember else (),
    )


def digest_text(pack: Pack, digest: Digest, sub: Subscription) -> str:
    """The digest's words; a quiet week is one line when the subscription asks so."""
    if digest.quiet and sub.quiet == "line" and digest.context["accounts"]:
        return pack.narrator.render("messages/digest-quiet.j2", **digest.context)
    return pack.narrator.render("digest.j2", **digest.context)


def chart_png(pack: Pack, digest: Digest) -> tuple[bytes, dict[str, str]] | None:
    """The chart's PNG and its words (title, alt text), or None without posts to draw."""
    if not digest.chart:
        return None
    posts = [
        {
            "number": p.number,
            "impressions": p.impressions,
            "members_reached": p.members_reached,
            "ratio": p.impressions / p.members_reached if p.members_reached else None,
        }
        for p in digest.chart
    ]
    words = {
        name: pack.narrator.block("messages/digest-chart.j2", name, **digest.context, posts=posts)
        or ""
        for name in ("title", "x_label", "y_label", "line_one", "line_five", "file_title", "alt")
    }
    png = render_chart(
        digest.chart,
        title=words["title"],
        x_label=words["x_label"],
        y_label=words["y_label"],
        line_labels=(words["line_one"], words["line_five"]),
    )
    return png, words


@dataclass
class DigestJobs:
    """Every subscription as a clock job, posting through `poster`."""

    pack: Callable[[], Pack]
    poster: Poster
    grace: timedelta
    charts: bool = True

    def jobs(self, store: Store) -> list[Job]:
        return [
            Job(
                f"digest:{sub.channel}",
                schedule_of(sub),
                functools.partial(self.run, sub),
                self.grace,
                since=parse_moment(sub.created_at),
            )
            for sub in store.subscriptions()
        ]

    def run(self, sub: Subscription, store: Store, run: Run) -> str | None:
        # In the channel's language (`/linkedin language`), else the bot's.
        pack = self.pack().speaking(store.language(sub.channel) or sub.locale)
        digest = digest_for(store, pack, sub, run.due)
        text = digest_text(pack, digest, sub)
        messages = render(Reply(text=text, kind="digest"), pack.narrator)
        marker = f"{run.job}/{run.period}"
        posted: dict[int, str] = {}
        try:
            if run.recovering:
                since = min(run.due, run.first_claimed or run.due) - timedelta(minutes=1)
                posted = self.poster.find(sub.channel, marker, since)
                if posted:
                    log.info("%s: found %d part(s) already posted", marker, len(posted))
            for part, message in enumerate(messages):
                if part in posted:
                    continue
                posted[part] = self.poster.post(
                    sub.channel,
                    message,
                    run=marker,
                    part=part,
                    thread_ts=posted.get(0) if part else None,
                )
        except DeliveryRefused as exc:
            raise RunFailed(f"Slack refused the digest in {sub.channel}: {exc}") from None
        except DeliveryUnsure as exc:
            raise RunUnsure(str(exc)) from None
        ts = posted[0]
        recorded = store.finish_run(
            run.job,
            run.period,
            worker=run.worker,
            at=run.now,
            result=ts,
            also=lambda: store.log_digest(sub.channel, run.period, digest.week_end, digest.said),
        )
        if recorded and self.charts and not (digest.quiet and sub.quiet == "line"):
            self._chart(pack, digest, sub.channel, ts)
        return ts

    def _chart(self, pack: Pack, digest: Digest, channel: str, ts: str) -> None:
        try:
            made = chart_png(pack, digest)
            if made is not None:
                png, words = made
                self.poster.upload(
                    channel,
                    ts,
                    png,
                    filename="digest.png",
                    title=words["file_title"],
                    alt=words["alt"],
                )
        except Exception:
            # The digest is sent and recorded: a chart that fails costs the chart only.
            log.exception("the digest chart could not be uploaded to %s", channel)
