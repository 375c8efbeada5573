"""Build a channel's digest: per account, the week against the week before.

Every number comes from the metrics `last10` uses, measured as of the account's
week's end: the last midnight in the account's zone before the digest is sent (for
an account in the subscription's zone, midnight starting the digest's day). `narrator
ask "last10 ACCOUNT" --at WEEK_END` shows the same posts with the same numbers and
findings. Rules decide what is said; their tags decide where it goes:
`trend` findings are the week's reading, a post's `positive` findings make it one
to learn from, its other `audience` findings mark it as under par for the
account's size. As in `last10`, a post finding on most of the week's posts is a
trait of the account, said once above the posts, and the checks that could not
run are at most two grouped lines.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bot.commands.last10 import (
    _pending,
    _pick_next_steps,
    _trait_rules,
    account_context,
    post_context,
    render_finding,
    render_trait,
    rows,
)
from bot.commands.loading import measure
from bot.digest.memory import Memory, remember
from bot.metrics import posting_slots
from bot.metrics.catalogue import PERIOD_DAYS
from bot.metrics.table import Table, as_time
from bot.metrics.zones import week_bounds
from bot.model import to_utc_text
from bot.pack import Pack
from bot.rules.engine import Finding, evaluate
from bot.store import Said, Store

WEEK = timedelta(days=PERIOD_DAYS)
#: Steps suggested per account.
NEXT_STEPS = 3
#: Posts listed as ones to learn from, and as under par, per account.
LISTED_POSTS = 3


def week_end(moment: datetime, zone: str) -> datetime:
    """Where the digest's week ends: the local midnight that starts `moment`'s day."""
    local = moment.astimezone(ZoneInfo(zone)).date()
    return datetime.combine(local, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@dataclass(frozen=True)
class ChartPost:
    account: str
    number: int
    title: str | None
    impressions: float
    members_reached: float


@dataclass(frozen=True)
class Digest:
    """A built digest: the template context, what it says (for the log) and the
    week's posts (for the chart)."""

    context: dict[str, Any]
    said: tuple[Said, ...]
    chart: tuple[ChartPost, ...]
    week_end: datetime
    #: Nothing worth saying for any account (no finding, none resolved).
    quiet: bool


def build_digest(
    store: Store,
    pack: Pack,
    accounts: Sequence[str],
    *,
    end: datetime,
    zone: str,
    muted: Collection[str] = (),
    history: Sequence[tuple[str, Sequence[Said]]] = (),
    fallback_from: datetime | None = None,
    sent_at: datetime | None = None,
) -> Digest:
    """The digest of the week ending at `end` (UTC; midnight in the subscription's
    `zone`) for `accounts`. Each account is measured at its own week's end: the last
    midnight in its zone before `sent_at` (default `end`), so a digest covers the seven
    days before it is sent wherever the account is.

    history: the channel's earlier digests, newest first (store.digest_history).
    fallback_from: set when a preview moved back from an empty week (its end)."""
    known = set(store.account_ids())
    parts = []
    said: list[Said] = []
    chart: list[ChartPost] = []
    missing = [a for a in accounts if a not in known]
    for account_id in accounts:
        if account_id not in known:
            continue
        part, account_said, points = _account(
            store, pack, account_id, sent_at or end, muted, remember(history, account_id)
        )
        parts.append(part)
        said.extend(account_said)
        chart.extend(points)
    tz = ZoneInfo(zone)
    local_end = end.astimezone(tz).date()
    context = {
        "zone": zone,
        "week_start": (local_end - WEEK).isoformat(),
        "week_last_day": (local_end - timedelta(days=1)).isoformat(),
        "as_of": to_utc_text(end),
        "accounts": parts,
        "missing": missing,
        "fallback": None
        if fallback_from is None
        else {"asked_week_last_day": _last_day(fallback_from, tz).isoformat()},
    }
    quiet = all(p["quiet"] for p in parts)
    return Digest(context, tuple(said), tuple(chart), end, quiet)


def _last_day(end: datetime, tz: ZoneInfo) -> date:
    return end.astimezone(tz).date() - timedelta(days=1)


def _account(
    store: Store,
    pack: Pack,
    account_id: str,
    sent_at: datetime,
    muted: Collection[str],
    memory: Memory,
) -> tuple[dict[str, Any], list[Said], list[ChartPost]]:
    # The account's weeks, cut at its own midnights as its week-over-week reading is.
    zone = store.timezone(account_id) or "UTC"
    before, start, stop = week_bounds(sent_at, zone)
    measured = measure(store, account_id, stop)
    posts = measured.posts
    published = posts["published_at"]
    this_week = posts.take((published >= as_time(start)) & (published < as_time(stop)))
    last_week = posts.take((published >= as_time(before)) & (published < as_time(start)))
    account = account_context(measured.account)
    # Numbered as last10 numbers them at the same moment (newest first).
    numbers = {post_id: i for i, post_id in enumerate(posts.index.tolist(), start=1)}
    post_ctx = {
        str(post_id): post_context(str(post_id), row, numbers[post_id])
        for post_id, row in rows(this_week)
    }
    evaluation = evaluate(pack.ruleset, this_week, "post")
    findings = [f for f in evaluation.findings() if f.rule not in muted]
    account_findings = [
        f
        for f in evaluate(pack.ruleset, measured.account_metrics, "account").findings()
        if f.rule not in muted
    ]
    m = measured.account_metrics.record(0)
    week = {
        name: _number(m[name])
        for name in (
            "impressions_week",
            "impressions_prev_week",
            "impressions_change",
            "reach_week",
            "reach_prev_week",
            "reach_change",
            "engagement_rate_week",
            "engagement_rate_prev_week",
            "engagement_rate_change",
            "posts_week",
            "posts_prev_week",
        )
    }
    week["reach_is_unique"] = bool(m["reach_is_unique"] == 1)
    week["saves_shares_per_1k"] = _per_1k(this_week)
    week["saves_shares_per_1k_prev"] = _per_1k(last_week)

    steps: list[dict[str, Any]] = []
    reading, across = [], []
    # The posting-time audit, as last10 gives it, only when an account finding speaks.
    slots = (
        posting_slots(posts, account_id, zone=measured.account.timezone) if account_findings else []
    )
    for finding in account_findings:
        rendered = {
            **render_finding(pack, finding, account=account, slots=slots),
            "memory": memory.state(finding.rule, "account"),
        }
        (reading if "trend" in finding.tags else across).append(rendered)
        if rendered["next"]:
            steps.append({**rendered, "subject": "account"})
    # Said once, as last10 says it: a finding on most of the week's posts is a trait.
    shown = list(post_ctx.values())
    common = _trait_rules(pack, tuple(findings), len(shown))
    traits = [
        {
            **render_trait(pack, [f for f in findings if f.rule == rule], account, post_ctx, shown),
            "memory": memory.state(rule, "posts"),
        }
        for rule in common
    ]
    by_post: dict[str, list[tuple[Finding, dict[str, Any]]]] = {}
    for finding in findings:
        post = post_ctx[finding.subject]
        if finding.rule in common:
            # Its step still competes once, for the newest post it fired on.
            if finding is next(f for f in findings if f.rule == finding.rule):
                rendered = render_finding(pack, finding, account=account, post=post)
                if rendered["next"]:
                    steps.append({**rendered, "subject": "post:" + finding.subject, "post": post})
            continue
        rendered = {
            **render_finding(pack, finding, account=account, post=post),
            "memory": memory.state(finding.rule, "posts"),
        }
        by_post.setdefault(finding.subject, []).append((finding, rendered))
        if rendered["next"]:
            steps.append({**rendered, "subject": "post:" + finding.subject, "post": post})
    learn, under, other = [], [], []
    for post_id, pairs in by_post.items():
        post = post_ctx[post_id]
        good = [r for f, r in pairs if f.severity == "positive"]
        weak = [r for f, r in pairs if f.severity != "positive" and "audience" in f.tags]
        rest = [r for f, r in pairs if f.severity != "positive" and "audience" not in f.tags]
        if good:
            learn.append({"post": post, "findings": good})
        if weak:
            under.append({"post": post, "findings": weak})
        if rest:
            other.append({"post": post, "findings": rest})
    learn.sort(key=lambda g: -(g["post"]["saves_shares_per_1k"] or 0))
    said = [Said(account_id, "digest", "", "info")]  # this account was in the digest
    said += [Said(account_id, "account", f.rule, f.severity) for f in account_findings]
    said += [Said(account_id, f.subject, f.rule, f.severity) for f in findings]
    current = {(f.rule, "account") for f in account_findings} | {
        (f.rule, "posts") for f in findings
    }
    resolved = [{"rule": rule, "scope": scope} for rule, scope in memory.resolved(current, pack)]
    part = {
        "account": account,
        "week": week,
        "reading": reading,
        "traits": traits,
        "learn": learn[:LISTED_POSTS],
        "under": under[:LISTED_POSTS],
        "standouts": other,
        "across": across,
        "resolved": resolved,
        "pending": _pending(evaluation, shown),
        "rule_count": len(pack.ruleset.scoped("post")),
        "next_steps": _pick_next_steps(steps, limit=NEXT_STEPS),
        "quiet": not (account_findings or findings or resolved),
    }
    points = [
        ChartPost(
            account_id,
            post["number"],
            post["title"],
            post["impressions"],
            post["members_reached"],
        )
        for post in post_ctx.values()
        if post["impressions"] is not None and post["members_reached"] is not None
    ]
    return part, said, points


def _per_1k(frame: Table) -> float | None:
    """Saves, reposts and sends per 1,000 impressions over the posts of a week, from the
    same per-post counts last10's S+S/1k column divides (posts lacking either left out)."""
    shares = frame.floats("saves_shares")
    impressions = frame.floats("impressions")
    known = ~np.isnan(shares) & ~np.isnan(impressions)
    total = impressions[known].sum()
    return None if not known.any() or total <= 0 else float(shares[known].sum() / total * 1000)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if np.isnan(number) else number
