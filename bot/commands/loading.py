"""Load an account's recent history and measure it: shared by every command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.metrics import account_metrics_of, observe, post_metrics_of
from bot.metrics.table import Table
from bot.store import AccountRow, History, Store

#: Posts loaded to judge the newest ones against: the account baselines
#: (*_vs_account, best posts) use these.
BASELINE_POSTS = 30


@dataclass(frozen=True)
class Measured:
    account: AccountRow
    history: History
    posts: Table  # post metrics, newest first, by post id
    account_metrics: Table  # one row, by account id


def measure(store: Store, account_id: str, at: datetime, posts: int = BASELINE_POSTS) -> Measured:
    """The account's last `posts` posts as of `at`, with every post and account metric."""
    history = store.history(account_id, at, posts=posts)
    followers = history.followers.with_columns(account=account_id)
    frame = history.posts.with_columns(account_kind=history.account.kind)
    # Post and account metrics share one pass over the snapshots.
    seen = observe(frame, history.snapshots, at, newest_first=True)
    metrics = post_metrics_of(seen, followers)
    accounts = Table.build(
        {
            "id": [account_id],
            "kind": [history.account.kind],
            "timezone": [history.account.timezone],
        }
    )
    account_frame = account_metrics_of(
        accounts,
        seen,
        followers,
        metrics,
        days=store.account_days([account_id], at),
        periods=store.account_periods([account_id], at),
    )
    return Measured(history.account, history, metrics, account_frame)
