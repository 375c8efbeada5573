"""`why POST`: every post rule's verdict on one post, with the values it read and
the thresholds they were held against, and how fresh the data is."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from bot.commands.last10 import account_context, post_context
from bot.commands.loading import BASELINE_POSTS, measure
from bot.metrics.table import to_datetime
from bot.model import to_utc_text
from bot.pack import Pack
from bot.rules.engine import evaluate
from bot.store import Store

#: The order a lead reads verdicts in: what fired, then what waits, then the rest.
_ORDER = {"fired": 0, "not_ready": 1, "no_data": 2, "undefined": 3, "quiet": 4}


def explain_post(
    reference: str, *, store: Store, pack: Pack, at: datetime, visible: Collection[str] | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(template context, JSON data) for `why`, or None if the caller cannot see the post."""
    found = store.find_post(reference)
    if found is None or (visible is not None and found[1] not in visible):
        return None
    post_id, account_id = found
    newer = store.newer_posts(post_id, at)
    measured = measure(store, account_id, at, posts=max(BASELINE_POSTS, newer + 1))
    if not measured.posts.has(post_id):
        return None  # published after the evaluation moment
    evaluation = evaluate(pack.ruleset, measured.posts, "post")
    row = measured.posts.row(post_id)
    post = post_context(post_id, row, newer + 1)
    verdicts = []
    for explained in evaluation.explain(post_id):
        rule = explained.rule
        verdicts.append(
            {
                "rule": rule.id,
                "description": rule.spec.description,
                "severity": rule.spec.severity,
                "outcome": explained.outcome,
                "condition": rule.condition.source.strip(),
                "requires": rule.requires.source.strip() if rule.requires else None,
                "read": [{"name": k, "value": v} for k, v in explained.values.items()],
                "missing": [k for k, v in explained.values.items() if v is None],
                "undefined": list(explained.undefined),
                "params": [
                    {"name": k, "value": v, "source": explained.param_sources[k]}
                    for k, v in explained.params.items()
                ],
            }
        )
    verdicts.sort(key=lambda v: _ORDER[v["outcome"]])
    snapshots = measured.history.snapshots
    last_seen = snapshots["observed_at"][snapshots["post"] == post_id]
    latest = to_datetime(last_seen.max()) if len(last_seen) else None
    freshness = {
        "age_hours": post["age_hours"],
        "hours_observed": post["hours_observed"],
        "last_observed_at": to_utc_text(latest) if latest is not None else None,
        "snapshots": len(last_seen),
    }
    context = {
        "post": post,
        "account": account_context(measured.account),
        "zone": measured.account.timezone,
        "as_of": to_utc_text(at),
        "freshness": freshness,
        "verdicts": verdicts,
    }
    data = {
        "post": post_id,
        "account": account_id,
        "as_of": to_utc_text(at),
        "freshness": freshness,
        "rules": [
            {
                "rule": v["rule"],
                "outcome": v["outcome"],
                "values": {x["name"]: x["value"] for x in v["read"]},
                "params": {p["name"]: p["value"] for p in v["params"]},
                "param_sources": {p["name"]: p["source"] for p in v["params"]},
            }
            for v in verdicts
        ],
    }
    return context, data
