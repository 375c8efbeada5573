"""`narrator rules backtest`: how often would a rule have fired, and with other params?

For a post rule: on each of the account's last N posts, as of the moment given.
For an account rule: at the end of each of the last N weeks.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bot.commands.last10 import post_context, rows
from bot.commands.loading import BASELINE_POSTS, measure
from bot.errors import CommandError
from bot.metrics.table import Table
from bot.model import to_utc_text
from bot.pack import Pack
from bot.rules.engine import OUTCOMES, evaluate
from bot.rules.loader import Rule, RuleSet
from bot.rules.model import as_written
from bot.store import Store

DEFAULT_POSTS = 30
DEFAULT_WEEKS = 12
#: The most a backtest looks at: each week is measured on its own (tens of
#: milliseconds), and the store is asked for the posts in one query (SQLite's
#: LIMIT takes 64-bit numbers only).
MAX_POSTS = 1000
MAX_WEEKS = 104


def with_params(rule: Rule, changes: dict[str, float]) -> Rule:
    """The rule with `changes` as the values that apply to every account
    (an override of a changed param no longer applies)."""
    params = {**rule.spec.params, **changes}
    overrides = []
    for override in rule.spec.overrides:
        kept = {k: v for k, v in override.params.items() if k not in changes}
        if kept:
            overrides.append(override.model_copy(update={"params": kept}))
    spec = rule.spec.model_copy(update={"params": params, "overrides": overrides})
    return replace(rule, spec=spec)


def applied(rule: Rule, name: str, account_id: str, kind: str | None) -> Any:
    """The value of param `name` that applies to the account: its own override,
    else its kind's, else the default (as the engine resolves them)."""
    value = rule.spec.params[name]
    for override in sorted(rule.spec.overrides, key=lambda o: o.account is not None):
        matches = (
            override.account == account_id if override.account else override.account_kind == kind
        )
        if matches and name in override.params:
            value = override.params[name]
    return value


def parse_changes(rule: Rule, settings: list[str]) -> dict[str, float]:
    changes: dict[str, float] = {}
    for setting in settings:
        name, sep, raw = setting.partition("=")
        name = name.strip()
        if not sep:
            raise CommandError(f"--set {setting}: write it as NAME=VALUE, such as max_ratio=4")
        if name not in rule.spec.params:
            close = difflib.get_close_matches(name, list(rule.spec.params), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise CommandError(
                f"--set {setting}: {rule.id} has no param '{name}'{hint}; "
                f"its params: {', '.join(rule.spec.params) or 'none'}"
            )
        try:
            # As a rule file reads it: `2%` is 0.02, `1,200` is 1200, `1:4` is answered
            # with the number to write.
            written = as_written(raw)
        except ValueError as exc:
            raise CommandError(f"--set {setting}: {exc}") from None
        try:
            value = float(raw) if written is None else float(written)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise CommandError(
                f"--set {setting}: '{raw.strip()}' is not a number; write it such as 5, 0.02 or 2%"
            ) from None
        changes[name] = value
    return changes


def backtest(
    store: Store,
    pack: Pack,
    rule_id: str,
    account_id: str,
    at: datetime,
    last: int | None = None,
    settings: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(template context, JSON data) of a backtest."""
    rule = pack.ruleset.get(rule_id)
    if rule is None:
        close = difflib.get_close_matches(rule_id, list(pack.ruleset.ids), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise CommandError(f"no rule '{rule_id}'{hint}; rules: {', '.join(pack.ruleset.ids)}")
    account = store.account(account_id)
    if account is None:
        names = [a.id for a in store.accounts()]
        close = difflib.get_close_matches(account_id, names, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise CommandError(f"no account '{account_id}'{hint}; accounts: {', '.join(names)}")
    changes = parse_changes(rule, settings or [])
    changed = with_params(rule, changes)
    if rule.spec.scope == "post":
        count = _within(last or DEFAULT_POSTS, MAX_POSTS, "posts")
        subjects, before, after = _posts(store, rule, changed, account_id, at, count)
    else:
        count = _within(last or DEFAULT_WEEKS, MAX_WEEKS, "weeks")
        subjects, before, after = _weeks(store, rule, changed, account_id, at, count)
    runs = [_summary(subjects, before)]
    if changes:
        runs.append(_summary(subjects, after))
    context = {
        "rule": {
            "id": rule.id,
            "scope": rule.spec.scope,
            "condition": rule.condition.source.strip(),
        },
        "account": account_id,
        "zone": account.timezone,
        "as_of": to_utc_text(at),
        "count": len(subjects),
        "asked": count,
        "changes": [
            {"name": k, "old": applied(rule, k, account_id, account.kind), "new": v}
            for k, v in changes.items()
        ],
        "runs": runs,
    }
    data = {
        "rule": rule.id,
        "account": account_id,
        "as_of": to_utc_text(at),
        "subjects": [s["id"] for s in subjects],
        "fired": [s["id"] for s, o in zip(subjects, before, strict=True) if o == "fired"],
        "outcomes": dict(Counter(before)),
    }
    if changes:
        data["with"] = dict(changes)
        data["fired_with"] = [s["id"] for s, o in zip(subjects, after, strict=True) if o == "fired"]
        data["outcomes_with"] = dict(Counter(after))
    return context, data


def _within(count: int, limit: int, what: str) -> int:
    if count > limit:
        raise CommandError(
            f"--last {count}: a backtest looks at up to {limit:,} {what}; ask for fewer"
        )
    return count


def _posts(
    store: Store, rule: Rule, changed: Rule, account_id: str, at: datetime, count: int
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    measured = measure(store, account_id, at, posts=max(count, BASELINE_POSTS))
    frame = measured.posts.head(count)
    subjects = [
        post_context(str(post_id), row, number)
        for number, (post_id, row) in enumerate(rows(frame), start=1)
    ]
    before = _outcomes(rule, frame, "post")
    after = _outcomes(changed, frame, "post")
    return subjects, before, after


def _weeks(
    store: Store, rule: Rule, changed: Rule, account_id: str, at: datetime, count: int
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    frames = []
    subjects = []
    # Weeks that would end before the calendar begins (year 1) do not exist.
    count = min(count, (at - datetime.min.replace(tzinfo=at.tzinfo)).days // 7 + 1)
    for week in range(count):
        moment = at - timedelta(days=7 * week)
        frames.append(measure(store, account_id, moment).account_metrics)
        subjects.append(
            {"id": to_utc_text(moment), "number": week + 1, "week_end": to_utc_text(moment)}
        )
    if not frames:
        return [], [], []
    # One row per week, labelled by its end.
    columns = {name: np.concatenate([f[name] for f in frames]) for name in frames[0].names}
    columns["account"] = np.full(len(frames), account_id, dtype=object)
    frame = Table.build(columns, index=[s["id"] for s in subjects], index_name="account")
    return subjects, _outcomes(rule, frame, "account"), _outcomes(changed, frame, "account")


def _outcomes(rule: Rule, frame: Table, scope: str) -> list[str]:
    evaluation = evaluate(RuleSet((rule,), ()), frame, scope)
    return [OUTCOMES[int(code)] for code in evaluation.outcomes[rule.id]]


def _summary(subjects: list[dict[str, Any]], outcomes: list[str]) -> dict[str, Any]:
    counts = Counter(outcomes)
    return {
        "fired": [s for s, o in zip(subjects, outcomes, strict=True) if o == "fired"],
        "counts": {name: counts.get(name, 0) for name in OUTCOMES},
    }
