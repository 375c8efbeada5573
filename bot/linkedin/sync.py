"""The LinkedIn sync: read what the polling plan says is due, write it as snapshots.

Each reading is a snapshot at the moment it was taken, written all or nothing per
post, so a sync killed halfway and run again neither duplicates nor loses anything:
the posts already written count as read, the rest are read again. A member's posts
come from what was imported (their share or ugcPost addresses), since listing them
needs a permission LinkedIn restricts; an organization's posts are listed with
`/rest/posts?q=author`. A 401 or a sunset version stops that account with its
message, and the others go on; a rate limit stops the sync until it resets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock.runner import Job, Run
from bot.clock.schedule import Every
from bot.config import Settings
from bot.errors import NarratorError
from bot.ingest.urls import post_id as id_from_url
from bot.ingest.urls import urn as urn_of_id
from bot.linkedin import oauth, parse, restli
from bot.linkedin.bars import SyncBars
from bot.linkedin.client import (
    LinkedInClient,
    LinkedInError,
    RateLimited,
    Unauthorized,
    VersionSunset,
)
from bot.linkedin.plan import SYNC_MINUTES, PostState, due
from bot.linkedin.tokens import Credentials, credentials_for, read_credentials
from bot.model import (
    COUNTERS,
    DAILY_COUNTERS,
    Account,
    AccountDay,
    FollowerCount,
    ImportBatch,
    Post,
    Snapshot,
    to_utc_text,
)
from bot.model import parse_moment as moment_of
from bot.store import Store
from bot.store.linkedin import token_key

log = logging.getLogger("narrator.linkedin")

#: Posts per organizationalEntityShareStatistics call (one call reads all their figures).
SHARE_BATCH = 20
#: Whole UTC days of a Page's own series read at each daily reading: a day missed (the
#: clock down, no budget left) is filled in by the next, and LinkedIn's late
#: corrections of recent days are taken in.
SERIES_DAYS = 14
#: Calls of that reading: share statistics and follower statistics.
DAILY_SERIES_CALLS = 2


@dataclass
class AccountResult:
    account: str
    calls: int = 0
    posts_new: int = 0
    snapshots: int = 0
    #: Days of the account's own daily series written (a Page's share and follower
    #: statistics).
    days: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    #: When LinkedIn's rate limit stopped the account: the moment it resets. Set with
    #: `error` by the sync that hit the limit; alone when an earlier one did.
    paused_until: datetime | None = None


@dataclass
class SyncSummary:
    results: list[AccountResult]
    budget: int

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.results)


def analytics_urn(post: str, url: str | None) -> str | None:
    """The share or ugcPost URN LinkedIn's post analytics take, from the post's id or
    address; None for an activity, which the API cannot read."""
    for candidate in (post, id_from_url(url) if url else None, id_from_url(post)):
        if candidate and candidate.startswith(("share-", "ugcPost-")):
            return urn_of_id(candidate)
        if candidate and candidate.startswith(("urn:li:share:", "urn:li:ugcPost:")):
            return candidate
    return None


def sync_account(
    store: Store,
    client: LinkedInClient,
    account: str,
    owner: str,
    at: datetime,
    budget: int,
    planned: Callable[[int], None] | None = None,
) -> AccountResult:
    """Read what is due for one account, within `budget` calls; write what was read.
    `planned` is told how many calls the account's sync will make, once known."""
    result = AccountResult(account)
    start_calls = client.count.calls
    try:
        if budget > 0:
            _read_followers(store, client, account, owner, at, result)

        def room() -> int:
            return budget - (client.count.calls - start_calls)

        if owner.startswith("urn:li:organization:"):
            _list_organization_posts(store, client, account, owner, at, result, room)
        posts = store.sync_posts(account)
        states, urns = [], {}
        for post, url, published, observed in posts:
            urn = analytics_urn(post, url)
            if urn is None:
                continue
            urns[urn] = post
            born = moment_of(published)
            read_at = tuple((moment_of(o) - born).total_seconds() / 3600 for o in observed)
            states.append(PostState(urn, (at - born).total_seconds() / 3600, read_at))
        unreadable = len(posts) - len(states)
        if unreadable:
            result.skipped.append(
                f"{unreadable} post{'s' if unreadable != 1 else ''} known only by an activity "
                "address, which LinkedIn's post analytics cannot read (import its share link)"
            )
        spare = budget - (client.count.calls - start_calls)
        plan = due(states, budget=spare)
        # A due comments reading also reads the comments (the author's replies): one
        # more call each, reserved here so the two together stay within the budget.
        replies_due = len({c.post for c in plan.calls if c.metric == "COMMENT"})
        if len(plan.calls) + replies_due > spare:
            plan = due(states, budget=max(spare - replies_due, 0))
        replies_due = min(
            len({c.post for c in plan.calls if c.metric == "COMMENT"}),
            max(spare - len(plan.calls), 0),
        )
        if plan.skipped:
            result.skipped.append(
                f"{len(plan.skipped)} reading{'s' if len(plan.skipped) != 1 else ''} over "
                "today's call budget (the least useful were left out)"
            )
        if planned is not None:
            organization = owner.startswith("urn:li:organization:")
            posts_due = len({c.post for c in plan.calls})
            # A Page's posts are read SHARE_BATCH to a call; a member's one metric a call.
            reads = -(-posts_due // SHARE_BATCH) if organization else len(plan.calls)
            series = organization and not store.days_read_on(account, at)
            used = client.count.calls - start_calls
            extra = replies_due + (DAILY_SERIES_CALLS if series else 0)
            planned(min(budget, used + reads + extra))
        wanted: dict[str, list[str]] = {}
        for call in plan.calls:
            wanted.setdefault(call.post, []).append(call.metric)
        replies = _Replies(client, owner, replies_due)
        if owner.startswith("urn:li:organization:"):
            _read_share_statistics(store, client, account, owner, wanted, urns, at, result, replies)
        else:
            _read_member_posts(store, client, account, wanted, urns, at, result, replies)
        if replies.refused:
            result.skipped.append(
                f"replies to comments (LinkedIn refused the comments: {replies.refused})"
            )
        if owner.startswith("urn:li:organization:") and not store.days_read_on(account, at):
            # The Page's own daily series, once a UTC day with what the posts left: a
            # day it waits is read the next, as the window covers two weeks.
            if room() >= DAILY_SERIES_CALLS:
                _read_organization_days(store, client, account, owner, at, result)
            else:
                result.skipped.append(
                    "the Page's daily figures (no room left in today's call budget; read "
                    "on a later sync)"
                )
    except RateLimited as exc:
        # Asking again before the limit resets would only be refused: the account is
        # paused until then (a daily limit resets at the next UTC midnight).
        result.error = str(exc)
        result.paused_until = (
            next_utc_midnight(at) if exc.daily else at + timedelta(seconds=exc.retry_after)
        )
    except (Unauthorized, VersionSunset, LinkedInError) as exc:
        # This account stops here with LinkedIn's reason; what was written stays.
        result.error = str(exc)
    finally:
        result.calls = client.count.calls - start_calls
    return result


class _Replies:
    """The author's own replies among a post's comments (`comment_replies`), read with
    the comments when the budget has room; a refusal (a member's comments need a
    permission LinkedIn restricts) leaves them missing, said once."""

    def __init__(self, client: LinkedInClient, author: str, allowed: int) -> None:
        self.client, self.author, self.allowed = client, author, allowed
        self.refused: str | None = None

    def of(self, urn: str) -> int | None:
        if self.refused is not None or self.allowed < 1:
            return None
        self.allowed -= 1
        try:
            page = self.client.get(
                f"/rest/socialActions/{restli.urn(urn)}/comments", {"start": 0, "count": 100}
            )
        except (Unauthorized, VersionSunset, RateLimited):
            raise
        except LinkedInError as exc:
            self.refused = str(exc)
            return None
        _, replies = parse.comment_counts(page.get("elements") or [], self.author)
        return replies


def _read_member_posts(
    store: Store,
    client: LinkedInClient,
    account: str,
    wanted: dict[str, list[str]],
    urns: dict[str, str],
    at: datetime,
    result: AccountResult,
    replies: _Replies,
) -> None:
    for urn, metrics in wanted.items():
        counts: dict[str, int | None] = {}
        if "COMMENT" in metrics:
            counts["comment_replies"] = replies.of(urn)
        for metric in metrics:
            body = client.get(
                "/rest/memberCreatorPostAnalytics",
                {
                    "q": "entity",
                    "entity": restli.entity(urn),
                    "queryType": metric,
                    "aggregation": "TOTAL",
                },
            )
            values = parse.post_analytics(body)
            counter = parse.MEMBER_METRICS[metric]
            counts[counter] = values[0].count if values else None  # none: no data, not 0
        _write(store, account, urns[urn], counts, at, result)


def _read_share_statistics(
    store: Store,
    client: LinkedInClient,
    account: str,
    owner: str,
    wanted: dict[str, list[str]],
    urns: dict[str, str],
    at: datetime,
    result: AccountResult,
    replies: _Replies,
) -> None:
    for kind, param in (("urn:li:share:", "shares"), ("urn:li:ugcPost:", "ugcPosts")):
        batch = [u for u in wanted if u.startswith(kind)]
        for i in range(0, len(batch), SHARE_BATCH):
            chunk = batch[i : i + SHARE_BATCH]
            body = client.get(
                "/rest/organizationalEntityShareStatistics",
                {
                    "q": "organizationalEntity",
                    "organizationalEntity": restli.urn(owner),
                    param: restli.restli_list(chunk),
                },
            )
            found = {s.post: s.counts for s in parse.share_statistics(body) if s.post}
            for urn in chunk:
                # LinkedIn leaves out posts without activity: they count 0, as documented.
                counts: dict[str, int | None] = dict(found.get(urn, {"impressions": 0}))
                if "COMMENT" in wanted[urn]:
                    counts["comment_replies"] = replies.of(urn)
                _write(store, account, urns[urn], counts, at, result)


def _read_organization_days(
    store: Store,
    client: LinkedInClient,
    account: str,
    owner: str,
    at: datetime,
    result: AccountResult,
) -> None:
    """The Page's daily figures for the last SERIES_DAYS whole UTC days: share statistics
    with timeIntervals (impressions, unique members, reactions, comments, reposts,
    clicks) and follower statistics with timeIntervals (followers gained), written as
    the account's days. Today is left out: its figures are still growing."""
    end = next_utc_midnight(at) - timedelta(days=1)
    start = end - timedelta(days=SERIES_DAYS)
    span = restli.time_intervals(int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    entity = restli.urn(owner)
    shares = client.get(
        "/rest/organizationalEntityShareStatistics",
        {"q": "organizationalEntity", "organizationalEntity": entity, "timeIntervals": span},
    )
    followers = client.get(
        "/rest/organizationalEntityFollowerStatistics",
        {"q": "organizationalEntity", "organizationalEntity": entity, "timeIntervals": span},
    )
    by_day: dict[str, dict[str, int | None]] = {}
    for bucket in parse.share_statistics(shares):
        if bucket.start is None or bucket.post is not None or not start <= bucket.start < end:
            continue
        counts: dict[str, int | None] = dict(bucket.counts)
        parts = [counts.get(c) for c in ("reactions", "comments", "reposts", "clicks")]
        # LinkedIn's engagement: clicks, likes, comments and shares, over impressions.
        counts["engagements"] = sum(parts) if all(p is not None for p in parts) else None  # type: ignore[misc]
        by_day.setdefault(bucket.start.date().isoformat(), {}).update(counts)
    for gain in parse.follower_gains(followers):
        if start <= gain.start < end:
            by_day.setdefault(gain.start.date().isoformat(), {})["new_followers"] = gain.gained
    observed = to_utc_text(at)
    days = tuple(
        AccountDay(account, day, observed, tuple(counts.get(c) for c in DAILY_COUNTERS))
        for day, counts in sorted(by_day.items())
    )
    if days:
        store.write(ImportBatch("LinkedIn sync", days=days))
    store.mark_days_read(account, at)
    result.days += len(days)


def _read_followers(
    store: Store,
    client: LinkedInClient,
    account: str,
    owner: str,
    at: datetime,
    result: AccountResult,
) -> None:
    """The account's follower count, once per UTC day (it moves slowly; calls are few)."""
    if store.followers_read_on(account, at):
        return
    if owner.startswith("urn:li:organization:"):
        body = client.get(
            f"/rest/networkSizes/{restli.urn(owner)}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
        )
        count = body.get("firstDegreeSize")
        followers = count if isinstance(count, int) and not isinstance(count, bool) else None
    else:
        followers = parse.member_followers(client.get("/rest/memberFollowersCount", {"q": "me"}))
    if followers is not None and followers >= 0:
        store.write(
            ImportBatch(
                "LinkedIn sync",
                follower_counts=(FollowerCount(account, to_utc_text(at), followers),),
            )
        )


def _list_organization_posts(
    store: Store,
    client: LinkedInClient,
    account: str,
    owner: str,
    at: datetime,
    result: AccountResult,
    room: Callable[[], int],
) -> None:
    """The Page's posts new since the last sync, newest first: paging stops at the first
    post already known (older ones are known too) and when the budget has no room."""
    page = 50
    known = {p for p, *_ in store.sync_posts(account)}
    new = []
    if room() < 1:
        return
    listed = client.paged(
        "/rest/posts",
        {"q": "author", "author": restli.urn(owner), "sortBy": "CREATED"},
        count=page,
    )
    for index, element in enumerate(listed):
        if index and index % page == 0 and room() < 1:
            break  # the next element would cost a page
        (info,) = parse.posts([element]) or (None,)
        if info is None:
            continue
        post = id_from_url(info.urn) or info.urn
        if post in known:
            break
        if info.published_at is None or info.published_at > at:
            continue
        lines = (info.text or "").strip().splitlines()
        title = lines[0].strip()[:200] if lines else None
        new.append(Post(post, account, to_utc_text(info.published_at), None, None, title or None))
    if new:
        store.write(ImportBatch("LinkedIn sync", (Account(account, "organization"),), tuple(new)))
        result.posts_new += len(new)


def _write(
    store: Store,
    account: str,
    post: str,
    counts: dict[str, int | None],
    at: datetime,
    result: AccountResult,
) -> None:
    if not any(v is not None for v in counts.values()):
        return
    snapshot = Snapshot(post, to_utc_text(at), tuple(counts.get(c) for c in COUNTERS))
    store.write(ImportBatch("LinkedIn sync", snapshots=(snapshot,)))
    result.snapshots += 1


def next_utc_midnight(at: datetime) -> datetime:
    day = at.astimezone(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def sync(
    store: Store,
    clients: Callable[[str], LinkedInClient],
    at: datetime,
    *,
    accounts: Sequence[str] = (),
    budget: int,
    left: Callable[[str], int] | None = None,
    spent: Callable[[str, int], None] | None = None,
    key: Callable[[str], str] | None = None,
    bars: SyncBars | None = None,
) -> SyncSummary:
    """Sync every connected account (or those named): each gets what is left of the
    day's budget for its token (`left`), and reports what it spent (`spent`). An
    account LinkedIn rate-limited is paused until the limit resets, with every account
    sharing its token (`key` tells which do), and is not called until then."""
    results = []
    connected = store.linkedin_connections()
    paused = store.linkedin_paused(at)

    def token_of(account: str) -> str:
        try:
            return key(account) if key else account
        except NarratorError:
            return account

    for account, owner, _last, _error in connected:
        if accounts and account not in accounts:
            continue
        if account in paused:
            results.append(AccountResult(account, paused_until=moment_of(paused[account])))
            continue
        try:
            client = clients(account)
        except NarratorError as exc:
            results.append(AccountResult(account, error=str(exc)))
            store.record_sync(account, at, str(exc))
            continue
        with client:
            allowed = left(account) if left else budget
            planned = None
            if bars is not None:
                bars.begin(account)

                def planned(total: int, name: str = account) -> None:
                    bars.planned(name, total)

            def on_call(name: str = account) -> None:
                # Counted before the request leaves: a sync killed halfway has spent
                # its calls too, and the next one knows it.
                if spent:
                    spent(name, 1)
                if bars is not None:
                    bars.call(name)

            client.on_call = on_call
            try:
                result = sync_account(store, client, account, owner, at, allowed, planned)
            finally:
                if bars is not None:
                    bars.end(account)
        if result.paused_until is not None:
            same = [a for a, *_ in connected if token_of(a) == token_of(account)]
            store.pause_linkedin(same, result.paused_until, result.error or "rate limited")
            paused.update({a: to_utc_text(result.paused_until) for a in same})
        else:
            store.record_sync(account, at, result.error)
        results.append(result)
    return SyncSummary(results, budget)


def sync_with_settings(
    store: Store,
    settings: Settings,
    at: datetime,
    accounts: Sequence[str] = (),
    bars: SyncBars | None = None,
) -> SyncSummary:
    """A sync as `narrator sync` and the clock run it: tokens from the settings, the
    day's budget per token kept in the store."""
    secrets = read_credentials(settings.secrets) if settings.secrets else {}
    env_token = settings.linkedin_token.get_secret_value() if settings.linkedin_token else None
    env_refresh = (
        settings.linkedin_refresh_token.get_secret_value()
        if settings.linkedin_refresh_token
        else None
    )
    app_secret = (
        settings.linkedin_client_secret.get_secret_value()
        if settings.linkedin_client_secret
        else None
    )

    def credentials(account: str) -> Credentials:
        return credentials_for(account, env_token, secrets, env_refresh)

    def client(account: str) -> LinkedInClient:
        found = credentials(account)
        access, refresher = found.access, None
        if found.refresh:
            refresh_token = found.refresh
            # A token this process already renewed (the clock's) is used first.
            access = oauth.minted(refresh_token) or access

            def refresher() -> str:
                return oauth.refresh(
                    settings.linkedin_oauth_url,
                    refresh_token,
                    settings.linkedin_client_id,
                    app_secret,
                )

        return LinkedInClient(
            settings.linkedin_api_url,
            access,
            refresher=refresher,
            version=settings.linkedin_version,
            now=lambda: at,
        )

    def left(account: str) -> int:
        key = credentials(account).key
        return max(settings.linkedin_daily_calls - store.calls_spent(key, at), 0)

    def spent(account: str, calls: int) -> None:
        store.spend_calls(credentials(account).key, at, calls)

    return sync(
        store,
        client,
        at,
        accounts=accounts,
        budget=settings.linkedin_daily_calls,
        left=left,
        spent=spent,
        key=lambda account: token_key(credentials(account).key),
        bars=bars,
    )


@dataclass(frozen=True)
class SyncJobs:
    """The sync as a clock job: every SYNC_MINUTES while any account is connected."""

    settings: Settings

    def jobs(self, store: Store) -> list[Job]:
        if not store.linkedin_connections():
            return []
        every = timedelta(minutes=SYNC_MINUTES)
        return [Job("linkedin-sync", Every(SYNC_MINUTES), self.run, every)]

    def run(self, store: Store, run: Run) -> str:
        # A run's row guards its own quarter of an hour: older ones are dropped, or the
        # ledger would grow by 96 rows a day.
        store.forget_runs(run.job, run.now - timedelta(days=1))
        summary = sync_with_settings(store, self.settings, run.now)
        stopped = [r.account for r in summary.results if r.error and r.paused_until is None]
        paused = [r.account for r in summary.results if r.paused_until is not None]
        for r in summary.results:
            if r.error:
                log.warning("LinkedIn sync of %s stopped: %s", r.account, r.error)
        snapshots = sum(r.snapshots for r in summary.results)
        return (
            f"{summary.calls} calls, {snapshots} snapshot{'s' if snapshots != 1 else ''}"
            + (f", stopped: {', '.join(stopped)}" if stopped else "")
            + (f", paused: {', '.join(paused)}" if paused else "")
        )
