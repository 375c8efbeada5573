"""A deterministic demo: two accounts, ten weeks of posts, hourly then daily snapshots.

Most posts are healthy; some are built to show one diagnostic each. Every post
carries the set of rules it is built to trigger (`intended`), so a test can
check the whole pipeline against the intent, post by post.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.model import (
    COUNTERS,
    Account,
    FollowerCount,
    ImportBatch,
    Post,
    Snapshot,
    to_utc_text,
)

#: The moment the demo data was "exported": `narrator demo` evaluates as of it.
DEMO_NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
SEED = 20261123

# Curve shapes: (early share, gamma k, gamma theta, slow share, slow tau, flat share).
# Each mixes an early gamma-shaped wave with a slow exponential and a flat trickle.
SHAPES: dict[str, tuple[float, float, float, float, float, float]] = {
    "healthy": (0.40, 2.2, 1.6, 0.60, 30.0, 0.0),
    "extended": (0.25, 2.2, 1.6, 0.75, 60.0, 0.0),
    "one-wave": (0.93, 2.0, 1.5, 0.07, 30.0, 0.0),
    "slow-build": (0.15, 2.2, 1.6, 0.0, 30.0, 0.85),
    "late-spike": (0.70, 4.0, 3.0, 0.30, 30.0, 0.0),
}


@dataclass(frozen=True)
class PostPlan:
    """What one demo post is built to look like after its first 72 hours."""

    title: str
    format: str
    published_at: datetime
    impressions: float  # at hour 72
    ratio: float = 1.8  # impressions per member reached during the first day
    shape: str = "healthy"
    engagement: float = 0.04
    saves_shares_per_1k: float = 3.5
    comment_share: float = 0.08
    replies_per_comment: float = 0.3
    ctr: float = 0.01
    profile_views_per_1k: float = 3.0
    reach_growth_factor: float = 0.85  # reach's 24-72 h growth, as a share of impressions'
    tail: float = 0.06  # impressions added after hour 72, as a share
    wave: float = 1.0  # scales the early wave's share of the shape, for natural variety
    early_pull: float = 0.8  # below 1, interactions come earlier than impressions
    reach_tail_factor: float = 0.8
    #: "hourly" (a sync every hour for three days) or "real": how teams read posts by
    #: hand, hourly for six hours, then at 09:00 and 21:00 UTC, with one reading missed.
    sampling: str = "hourly"
    intended: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class DemoAccount:
    account: Account
    followers_start: int
    followers_end: int
    posts: tuple[PostPlan, ...]


def _fraction(shape: str, hours: np.ndarray, tail: float, wave: float = 1.0) -> np.ndarray:
    """Cumulative impressions at `hours`, as a fraction of the hour-72 total."""
    early, k, theta, slow, tau, flat = SHAPES[shape]
    early *= wave
    grid = np.linspace(0.0, 72.0, 72 * 20 + 1)
    gamma = grid ** (k - 1) * np.exp(-grid / theta)
    gamma /= np.trapezoid(gamma, grid)
    rate = early * gamma + slow * np.exp(-grid / tau) / tau + flat / 72.0
    cumulative = np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(grid))])
    cumulative /= cumulative[-1]
    inside = np.interp(np.minimum(hours, 72.0), grid, cumulative)
    after = np.clip(hours - 72.0, 0.0, None)
    return inside * (1.0 + tail * (1.0 - np.exp(-after / 96.0)))


#: Clock hours (UTC) of the twice-daily readings of a post read by hand.
READING_HOURS = (9, 21)


def _observation_hours(published: datetime, now: datetime, sampling: str = "hourly") -> np.ndarray:
    age = (now - published).total_seconds() / 3600.0
    if sampling == "real":
        first = np.arange(1.0, 7.0)
        start = published.replace(minute=0, second=0, microsecond=0)
        offset = (start - published).total_seconds() / 3600.0
        clock = np.arange(offset, offset + 24.0 * 30, 1.0)
        on_time = np.isin((start.hour + np.arange(len(clock))) % 24, READING_HOURS)
        later = clock[on_time & (clock > 6.0)]
        # Twice a day for four days, one reading missed on day four, then once a day.
        later = np.concatenate([np.delete(later[:8], 6), later[8:][::2]])
        hours = np.concatenate([first, later])
    else:
        hourly = np.arange(1.0, 73.0)
        daily = np.arange(96.0, age + 1e-9, 24.0)
        hours = np.concatenate([hourly, daily])
    return hours[hours <= age + 1e-9]


def _snapshots(post_id: str, plan: PostPlan, now: datetime) -> list[Snapshot]:
    hours = _observation_hours(plan.published_at, now, plan.sampling)
    if len(hours) == 0:
        return []
    frac = _fraction(plan.shape, hours, plan.tail, plan.wave)
    impressions = plan.impressions * frac

    f24 = _fraction(plan.shape, np.array([24.0]), 0.0, plan.wave)[0]
    imp_growth = 1.0 / f24 - 1.0
    reach24 = plan.impressions * f24 / plan.ratio
    reach72 = reach24 * (1.0 + imp_growth * plan.reach_growth_factor)
    progress = np.clip((frac - f24) / (1.0 - f24), 0.0, None)
    reach = np.where(
        hours <= 24.0,
        impressions / plan.ratio,
        reach24 + (reach72 - reach24) * np.minimum(progress, 1.0),
    )
    after = hours > 72.0
    reach_tail = plan.tail * plan.reach_tail_factor
    reach = np.where(
        after, reach72 * (1.0 + reach_tail * (1.0 - np.exp(-(hours - 72.0) / 96.0))), reach
    )
    reach = np.minimum(np.maximum.accumulate(reach), impressions)

    final = plan.impressions * (1.0 + plan.tail)
    # Interactions come a little earlier than impressions: early engagement drives the spread.
    engaged = np.clip(frac / (1.0 + plan.tail), 0.0, 1.0) ** plan.early_pull
    interactions = plan.engagement * final
    saves_shares = plan.saves_shares_per_1k * final / 1000.0
    comments = interactions * plan.comment_share
    totals = {
        "reposts": saves_shares * 0.45,
        "saves": saves_shares * 0.40,
        "sends": saves_shares * 0.15,
        "comments": comments,
        "reactions": max(interactions - comments - saves_shares, 0.0),
        "comment_replies": comments * plan.replies_per_comment,
        "profile_views": plan.profile_views_per_1k * final / 1000.0,
        "followers_gained": final / 1000.0 * 0.4,
    }
    series = {name: np.round(total * engaged) for name, total in totals.items()}
    series["impressions"] = np.round(impressions)
    series["members_reached"] = np.minimum(np.round(reach), series["impressions"])
    series["clicks"] = np.round(plan.ctr * impressions)
    out = []
    for i, h in enumerate(hours):
        moment = plan.published_at + timedelta(hours=float(h))
        counters = tuple(int(series[name][i]) if name in series else None for name in COUNTERS)
        out.append(Snapshot(post_id, to_utc_text(moment), counters))
    return out


def _post_id(account_index: int, number: int) -> str:
    serial = (number * 7919 * account_index) % 10**14
    return f"urn:li:activity:73{account_index}{number:02d}{serial:014d}"


def demo_accounts(now: datetime = DEMO_NOW, seed: int = SEED) -> tuple[DemoAccount, ...]:
    """The two demo accounts and every post's plan."""
    rng = np.random.default_rng(seed)
    return (_creator(rng, now), _page(rng, now))


def _jitter(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _healthy(
    rng: np.random.Generator,
    title: str,
    fmt: str,
    when: datetime,
    base: float,
    spread: tuple[float, float],
    engagement: tuple[float, float],
    ss: tuple[float, float],
    **extra: object,
) -> PostPlan:
    plan = PostPlan(
        title=title,
        format=fmt,
        published_at=when,
        impressions=base * _jitter(rng, *spread),
        ratio=_jitter(rng, 1.5, 2.3),
        engagement=_jitter(rng, *engagement),
        saves_shares_per_1k=_jitter(rng, *ss),
        replies_per_comment=_jitter(rng, 0.2, 0.4),
        ctr=_jitter(rng, 0.007, 0.012),
        tail=_jitter(rng, 0.04, 0.09),
        wave=_jitter(rng, 0.8, 1.2),
        reach_growth_factor=_jitter(rng, 0.75, 0.95),
    )
    return replace(plan, **extra)  # type: ignore[arg-type]


_CREATOR_TITLES = (
    "What 100 discovery calls taught me about pricing pages",
    "The onboarding email we deleted (and why signups went up)",
    "Three questions I ask before every product launch",
    "Our churn survey had one answer we did not expect",
    "How we write release notes people actually read",
    "A one-page brief beats a 20-slide deck",
    "Why I stopped posting at 8 am",
    "The metric our board asks about first",
    "What a failed webinar taught our team",
    "Five lines from our best-performing cold email",
    "How we run customer interviews in 30 minutes",
    "Positioning is a decision, not a tagline",
    "The spreadsheet that replaced our weekly status meeting",
    "What I look for in a first marketing hire",
    "Our homepage test: fewer words, more demos",
    "How we turned support tickets into a content plan",
    "The case study format that finally worked",
    "Why our newsletter went from weekly to monthly",
    "One slide I show every new customer",
    "What we learned from pausing paid ads for a month",
    "How to say no to a feature request kindly",
    "Our launch checklist, six lines long",
)

_PAGE_TITLES = (
    "Northwind Analytics is hiring data engineers in Lyon",
    "Customer story: how Fabrikam cut reporting time by 40 %",
    "Our 2026 benchmark report on B2B pipeline velocity",
    "Webinar recap: forecasting with messy CRM data",
    "Product update: scheduled exports are here",
    "Meet the team behind our new EU data centre",
    "Five dashboards every RevOps team should have",
    "Why we moved our roadmap into the open",
    "Event: join us at SaaS Connect Paris",
    "Guide: cleaning CRM data before a migration",
    "Customer story: Contoso's weekly board pack in 10 minutes",
    "Security update: SOC 2 Type II renewed",
    "Behind the numbers: how we measure activation",
    "New integration: Salesforce field history",
    "Our people report: flexible work one year on",
    "Template: a one-page QBR for customer success",
    "What our support team learned from 10,000 tickets",
    "Product tour: the new pipeline explorer",
)


def _schedule(
    now: datetime,
    count: int,
    weekdays: tuple[int, ...],
    hours: tuple[float, ...],
    newest_first_skip: int = 0,
) -> list[datetime]:
    """Publishing moments, newest first, on the given weekdays (0 = Monday)."""
    moments: list[datetime] = []
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    index = 0
    while len(moments) < count:
        if day.weekday() in weekdays:
            hour = hours[index % len(hours)]
            moment = day + timedelta(hours=hour)
            if moment <= now - timedelta(hours=newest_first_skip):
                moments.append(moment)
                index += 1
        day -= timedelta(days=1)
    return moments


def _creator(rng: np.random.Generator, now: datetime) -> DemoAccount:
    young = now - timedelta(hours=10)
    moments = [young, *_schedule(now - timedelta(days=1), 31, (0, 2, 3), (8.5, 8.25, 9.0))]
    titles = iter(_CREATOR_TITLES * 2)
    formats = iter(("text", "image", "document", "text", "poll", "video", "image", "text") * 5)

    def healthy(when: datetime, **extra: object) -> PostPlan:
        return _healthy(
            rng,
            next(titles),
            next(formats),
            when,
            1100.0,
            (0.8, 1.3),
            (0.032, 0.055),
            (2.6, 4.4),
            **extra,
        )

    special: dict[int, dict[str, object]] = {
        # newest first: 0 is ten hours old
        0: dict(impressions=420.0),
        2: dict(
            shape="extended",
            ratio=3.4,
            reach_growth_factor=0.15,
            tail=0.22,
            reach_tail_factor=0.05,
            intended=frozenset({"narrow-audience", "recycling-not-expanding"}),
        ),
        # The account's best on what people keep, against #6, its most seen.
        3: dict(
            saves_shares_per_1k=11.5,
            engagement=0.06,
            intended=frozenset({"top-saves-shares", "quality-beats-reach"}),
        ),
        4: dict(engagement=0.011, saves_shares_per_1k=1.8, intended=frozenset({"low-engagement"})),
        # Read by hand (hourly for six hours, then twice a day, one missed), as
        # most teams do: the curve checks still decide where the curve is clear.
        1: dict(sampling="real"),
        5: dict(
            impressions=3400.0,
            shape="slow-build",
            ratio=1.9,
            intended=frozenset({"strong-for-followers", "slow-build"}),
        ),
        6: dict(shape="one-wave", sampling="real", intended=frozenset({"one-wave"})),
        7: dict(sampling="real"),
        8: dict(
            engagement=0.06,
            comment_share=0.35,
            replies_per_comment=0.9,
            profile_views_per_1k=14.0,
            intended=frozenset({"comment-signal"}),
        ),
        9: dict(shape="late-spike", sampling="real", intended=frozenset({"late-spike"})),
        17: dict(engagement=0.015, saves_shares_per_1k=1.5, intended=frozenset({"low-engagement"})),
        24: dict(shape="one-wave", intended=frozenset({"one-wave"})),
    }
    posts = []
    for index, when in enumerate(moments):
        plan = healthy(when)
        if index in special:
            plan = replace(plan, **special[index])  # type: ignore[arg-type]
        posts.append(plan)
    return DemoAccount(Account("demo-creator", "member", "Demo Creator"), 764, 812, tuple(posts))


def _page(rng: np.random.Generator, now: datetime) -> DemoAccount:
    moments = _schedule(now - timedelta(hours=6), 34, (1, 2, 3, 4), (7.0, 10.0, 13.0, 16.0, 9.0))
    titles = iter(_PAGE_TITLES * 2)
    formats = iter(("image", "video", "document", "text", "image", "article", "video") * 6)

    def healthy(when: datetime, **extra: object) -> PostPlan:
        return _healthy(
            rng,
            next(titles),
            next(formats),
            when,
            15000.0,
            (0.75, 1.25),
            (0.026, 0.04),
            (1.4, 2.6),
            comment_share=0.1,
            **extra,
        )

    special: dict[int, dict[str, object]] = {
        # Fewer impressions than #2, ten times its saves and shares per 1,000.
        0: dict(saves_shares_per_1k=3.2, intended=frozenset({"quality-beats-reach"})),
        1: dict(
            impressions=76000.0,
            engagement=0.003,
            ctr=0.005,
            saves_shares_per_1k=0.3,
            intended=frozenset({"hook-or-targeting", "low-engagement"}),
        ),
        2: dict(impressions=3000.0, intended=frozenset({"weak-for-followers"})),
        4: dict(impressions=31000.0, ctr=0.001, intended=frozenset({"conversion-gap"})),
        3: dict(sampling="real"),
        5: dict(
            impressions=29000.0,
            shape="late-spike",
            sampling="real",
            intended=frozenset({"late-spike"}),
        ),
        6: dict(sampling="real"),
        7: dict(
            comment_share=0.2, replies_per_comment=0.02, intended=frozenset({"comment-signal"})
        ),
        9: dict(impressions=33000.0, shape="late-spike", intended=frozenset({"late-spike"})),
        13: dict(impressions=31000.0, shape="late-spike", intended=frozenset({"late-spike"})),
        18: dict(impressions=34000.0, shape="late-spike", intended=frozenset({"late-spike"})),
        22: dict(shape="one-wave", intended=frozenset({"one-wave"})),
        26: dict(impressions=30000.0, shape="late-spike", intended=frozenset({"late-spike"})),
    }
    posts = []
    for index, when in enumerate(moments):
        plan = healthy(when)
        if index in special:
            plan = replace(plan, **special[index])  # type: ignore[arg-type]
        if plan.shape == "late-spike":
            # The page's best posts go out late in the afternoon, when its audience
            # is slow to engage: they climb late (the early-window-lost pattern).
            plan = replace(plan, published_at=plan.published_at.replace(hour=16))
        # Mornings get the fastest first-hour engagement, afternoons the slowest.
        hour = plan.published_at.hour
        plan = replace(plan, early_pull=0.55 if hour <= 9 else 0.8 if hour <= 13 else 1.0)
        posts.append(plan)
    account = Account("demo-page", "organization", "Northwind Analytics")
    return DemoAccount(account, 49400, 50350, tuple(posts))


def _followers(demo: DemoAccount, now: datetime) -> list[FollowerCount]:
    first = min(p.published_at for p in demo.posts) - timedelta(days=3)
    days = int((now - first).total_seconds() // 86400) + 1
    counts = np.round(np.linspace(demo.followers_start, demo.followers_end, days))
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    return [
        FollowerCount(demo.account.id, to_utc_text(start + timedelta(days=i)), int(c))
        for i, c in enumerate(counts)
    ]


def demo_batch(now: datetime = DEMO_NOW, seed: int = SEED) -> ImportBatch:
    """The whole demo as one import batch."""
    accounts, posts, snapshots, followers = [], [], [], []
    for account_index, demo in enumerate(demo_accounts(now, seed), start=1):
        accounts.append(demo.account)
        followers.extend(_followers(demo, now))
        for number, plan in enumerate(demo.posts, start=1):
            post_id = _post_id(account_index, number)
            posts.append(
                Post(
                    id=post_id,
                    account=demo.account.id,
                    published_at=to_utc_text(plan.published_at),
                    url=f"https://www.linkedin.com/feed/update/{post_id}/",
                    format=plan.format,
                    title=plan.title,
                )
            )
            snapshots.extend(_snapshots(post_id, plan, now))
    return ImportBatch("demo", tuple(accounts), tuple(posts), tuple(snapshots), tuple(followers))


#: Account rules each demo account is built to trigger as of DEMO_NOW: the page's
#: best posts go out late in the afternoon and peak late, and its week is
#: dominated by a widely seen post that few engaged with.
INTENDED_ACCOUNT_FINDINGS: dict[str, frozenset[str]] = {
    "demo-creator": frozenset(),
    "demo-page": frozenset({"early-window-lost", "off-target"}),
}


def intended_findings(now: datetime = DEMO_NOW, seed: int = SEED) -> dict[str, frozenset[str]]:
    """Post id -> the rules that post was built to trigger (empty for healthy posts)."""
    out = {}
    for account_index, demo in enumerate(demo_accounts(now, seed), start=1):
        for number, plan in enumerate(demo.posts, start=1):
            out[_post_id(account_index, number)] = plan.intended
    return out
