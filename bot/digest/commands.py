"""`digest subscribe | list | off | preview`: what both front doors call.

The terminal (`narrator digest ...`) and Slack (`/linkedin digest ...`) pass the
same arguments and get the same Reply; every word is a template under
narratives/<locale>/messages/digest-*.j2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock.schedule import ScheduleError, Weekly, parse_day, parse_time, parse_zone
from bot.commands import Reply, message, unknown_account
from bot.digest.build import WEEK, Digest, week_end
from bot.digest.send import accounts_of, digest_for, digest_text, schedule_of
from bot.model import parse_moment, to_utc_text
from bot.pack import Pack
from bot.store import Store, Subscription

QUIET_MODES = ("digest", "line")


def subscribe(
    store: Store,
    pack: Pack,
    *,
    channel: str,
    accounts: Sequence[str],
    day: str,
    time: str,
    zone: str,
    quiet: str = "digest",
    by: str,
    at: datetime,
    front: str = "terminal",
    zone_from_user: bool = False,
) -> Reply:
    """Subscribe `channel` to a weekly digest of `accounts` (none: those linked to it).
    `front` says how a refusal names the fix (`--account` exists in the terminal only);
    `zone_from_user`, that the zone is the asker's own in Slack (they named none)."""
    try:
        schedule = Weekly(parse_day(day), parse_time(time), parse_zone(zone))
    except ScheduleError as exc:
        return schedule_refusal(pack, exc)
    known = store.account_ids()
    for account in accounts:
        if account not in known:
            return unknown_account(pack, account, known, template="unknown-account-admin")
    chosen = list(dict.fromkeys(accounts))
    if not chosen and not store.linked_accounts(channel):
        return message(pack, "digest-no-accounts", ok=False, channel=channel, front=front)
    sub = Subscription(
        channel=channel,
        day=schedule.day,
        time=f"{schedule.at:%H:%M}",
        zone=schedule.zone,
        quiet=quiet,
        accounts=tuple(chosen),
        created_by=by,
        created_at=to_utc_text(at),
    )
    new = store.subscribe(sub)
    return message(
        pack,
        "digest-subscribed",
        new=new,
        zone_from_user=zone_from_user,
        **_described(store, sub, at),
    )


def unsubscribe(store: Store, pack: Pack, *, channel: str) -> Reply:
    changed = store.unsubscribe(channel)
    return message(pack, "digest-off", channel=channel, changed=changed)


def listing(store: Store, pack: Pack, *, at: datetime, channels: set[str] | None = None) -> Reply:
    """Every subscription (or those of `channels`), with its next run and last run."""
    subs = [s for s in store.subscriptions() if channels is None or s.channel in channels]
    runs = {run.job: run for run in reversed(store.runs("digest:"))}  # newest wins
    listed = []
    for sub in subs:
        described = _described(store, sub, at)
        last = runs.get(f"digest:{sub.channel}")
        described["last_run"] = (
            None
            if last is None
            else {"period": last.period, "status": last.status, "due_at": last.due_at}
        )
        listed.append(described)
    return message(pack, "digest-list", subscriptions=listed)


@dataclass(frozen=True)
class Preview:
    reply: Reply
    digest: Digest | None


def preview(store: Store, pack: Pack, *, channel: str, at: datetime) -> Preview:
    """The channel's digest as it would be sent at `at` (never logged, so it changes
    no memory). When the channel's accounts have no data for that week at all, the
    last week that has some, saying so."""
    sub = store.subscription(channel)
    if sub is None:
        return Preview(message(pack, "digest-not-subscribed", ok=False, channel=channel), None)
    moment = at
    end = week_end(at, sub.zone)
    rows = [a for a in store.accounts(at) if a.id in set(accounts_of(store, sub))]
    observed = [parse_moment(a.last_observed_at) for a in rows if a.last_observed_at]
    fallback = None
    if observed and max(observed) < end - WEEK:
        moment = schedule_of(sub).latest(max(observed))
        fallback = end
    digest = digest_for(store, pack, sub, moment)
    if fallback is not None:
        digest = _with_fallback(digest, fallback, sub)
    text = digest_text(pack, digest, sub)
    reply = Reply(text=text, kind="digest", data=_digest_json(digest, sub), context=digest.context)
    return Preview(reply, digest)


def _with_fallback(digest: Digest, asked_end: datetime, sub: Subscription) -> Digest:
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from bot.digest.build import _last_day

    context = {
        **digest.context,
        "fallback": {"asked_week_last_day": _last_day(asked_end, ZoneInfo(sub.zone)).isoformat()},
    }
    return replace(digest, context=context)


def _digest_json(digest: Digest, sub: Subscription) -> dict[str, object]:
    return {
        "channel": sub.channel,
        "week_start": digest.context["week_start"],
        "week_last_day": digest.context["week_last_day"],
        "zone": sub.zone,
        "quiet": digest.quiet,
        "findings": [
            {"account": s.account, "subject": s.subject, "rule": s.rule, "severity": s.severity}
            for s in digest.said
            if s.subject != "digest"
        ],
    }


def _described(store: Store, sub: Subscription, at: datetime) -> dict[str, object]:
    schedule = schedule_of(sub)
    upcoming = schedule.next(at).astimezone(schedule.tz)
    return {
        "channel": sub.channel,
        "day": sub.day,
        "time": sub.time,
        "zone": sub.zone,
        "quiet": sub.quiet,
        "accounts": list(sub.accounts),
        "linked": store.linked_accounts(sub.channel) if not sub.accounts else [],
        "next_run": upcoming.isoformat(),
    }


def schedule_refusal(pack: Pack, exc: ScheduleError) -> Reply:
    """A day, time or zone that is not one, said with its field and a suggestion."""
    return message(
        pack,
        "digest-invalid",
        ok=False,
        field=exc.field,
        value=exc.value,
        problem=exc.problem,
        suggestion=exc.suggestion,
    )
