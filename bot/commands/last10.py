"""`last10 [ACCOUNT]`: the last ten posts, their numbers, and what stands out."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from bot.commands.loading import BASELINE_POSTS, measure
from bot.metrics import POST_METRICS, posting_slots
from bot.metrics.catalogue import GROWTH_FROM_HOUR
from bot.metrics.table import Table
from bot.model import COUNTERS, to_utc_text
from bot.narrate.filters import Mrkdwn, escape_mrkdwn
from bot.pack import Pack, finding_context
from bot.rules.engine import Evaluation, Finding, evaluate
from bot.rules.model import SEVERITIES
from bot.store import AccountRow, Store

log = logging.getLogger("narrator.narrate")

#: Posts shown in the table.
SHOWN_POSTS = 10


@dataclass(frozen=True)
class Last10Report:
    account: AccountRow
    as_of: datetime
    metrics: Table  # the posts shown
    history: Table  # every post loaded (the baseline)
    account_metrics: Table
    evaluation: Evaluation
    account_evaluation: Evaluation
    findings: tuple[Finding, ...]
    account_findings: tuple[Finding, ...]


def build_report(
    store: Store, pack: Pack, account_id: str, at: datetime, muted: Collection[str] = ()
) -> Last10Report:
    """Load, measure and judge the account's last ten posts as of `at`; findings of
    `muted` rules are left out (they are muted where the reply goes)."""
    measured = measure(store, account_id, at)
    shown = measured.posts.head(SHOWN_POSTS)
    evaluation = evaluate(pack.ruleset, shown, "post")
    account_evaluation = evaluate(pack.ruleset, measured.account_metrics, "account")
    return Last10Report(
        account=measured.account,
        as_of=at,
        metrics=shown,
        history=measured.posts,
        account_metrics=measured.account_metrics,
        evaluation=evaluation,
        account_evaluation=account_evaluation,
        findings=tuple(f for f in evaluation.findings() if f.rule not in muted),
        account_findings=tuple(f for f in account_evaluation.findings() if f.rule not in muted),
    )


def report_json(report: Last10Report) -> dict[str, Any]:
    """The machine-readable report (schema in docs/commands.md)."""
    return {
        "account": report.account.id,
        "as_of": to_utc_text(report.as_of),
        "posts": report_json_posts(report.metrics),
        "findings": [f.as_json() for f in (*report.findings, *report.account_findings)],
    }


def report_json_posts(frame: Table) -> list[dict[str, Any]]:
    """Each post's identity and every metric, null where missing."""
    posts = []
    for post_id, row in rows(frame):
        entry: dict[str, Any] = {
            "id": str(post_id),
            "url": _text(row["url"]),
            "title": _text(row["title"]),
            "published_at": to_utc_text(row["published_at"]),
            "format": _text(row["format"]),
        }
        for metric in POST_METRICS:
            entry[metric.name] = _number(row[metric.name])
        posts.append(entry)
    return posts


def report_context(report: Last10Report, pack: Pack) -> dict[str, Any]:
    """Everything the last10 layout template reads, with each finding already in words."""
    account = account_context(report.account)
    posts = [
        post_context(str(post_id), row, number)
        for number, (post_id, row) in enumerate(rows(report.metrics), start=1)
    ]
    by_id = {p["id"]: p for p in posts}
    by_post: dict[str, dict[str, Any]] = {}
    steps: list[dict[str, Any]] = []
    common = _trait_rules(pack, report.findings, len(posts))
    traits = [
        render_trait(pack, [f for f in report.findings if f.rule == rule], account, by_id, posts)
        for rule in common
    ]
    for finding in report.findings:
        post = by_id[finding.subject]
        if finding.rule in common:
            # Said once above the posts; its step still competes, for the newest post.
            if finding is next(f for f in report.findings if f.rule == finding.rule):
                rendered = render_finding(pack, finding, account=account, post=post)
                if rendered["next"]:
                    steps.append({**rendered, "subject": "post:" + post["id"], "post": post})
            continue
        rendered = render_finding(pack, finding, account=account, post=post)
        by_post.setdefault(finding.subject, {"post": post, "findings": []})["findings"].append(
            rendered
        )
        if rendered["next"]:
            steps.append({**rendered, "subject": "post:" + post["id"], "post": post})
    # The posting-time audit is only worth computing when an account finding speaks.
    zone = report.account.timezone
    slots = (
        posting_slots(report.history, report.account.id, zone=zone)
        if report.account_findings
        else []
    )
    across = []
    for finding in report.account_findings:
        rendered = render_finding(pack, finding, account=account, slots=slots)
        across.append(rendered)
        if rendered["next"]:
            steps.append({**rendered, "subject": "account"})
    return {
        "account": account,
        "zone": zone,
        "as_of": to_utc_text(report.as_of),
        "posts": posts,
        "traits": traits,
        "standouts": [by_post[p["id"]] for p in posts if p["id"] in by_post],
        "across": across,
        "next_steps": _pick_next_steps(steps),
        "pending": _pending(report.evaluation, posts),
        "legend": legend(report.evaluation),
        "finding_count": len(report.findings) + len(report.account_findings),
        "rule_count": len(pack.ruleset.scoped("post")),
    }


def post_report(
    reference: str,
    *,
    store: Store,
    pack: Pack,
    at: datetime,
    caller_visible: Collection[str] | None,
    muted: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(template context, JSON data) for `post`: one post's numbers and findings."""
    found = store.find_post(reference)
    if found is None or (caller_visible is not None and found[1] not in caller_visible):
        return None
    post_id, account_id = found
    newer = store.newer_posts(post_id, at)
    measured = measure(store, account_id, at, posts=max(BASELINE_POSTS, newer + 1))
    if not measured.posts.has(post_id):
        return None
    evaluation = evaluate(pack.ruleset, measured.posts, "post")
    findings = [f for f in evaluation.findings() if f.subject == post_id and f.rule not in muted]
    account = account_context(measured.account)
    post = post_context(post_id, measured.posts.row(post_id), newer + 1)
    rendered = [render_finding(pack, f, account=account, post=post) for f in findings]
    steps = [{**r, "subject": "post:" + post_id, "post": post} for r in rendered if r["next"]]
    context = {
        "account": account,
        "zone": account["timezone"],
        "as_of": to_utc_text(at),
        "post": post,
        "findings": rendered,
        "next_steps": _pick_next_steps(steps),
        "pending": _pending(evaluation, [post]),
        "rule_count": len(pack.ruleset.scoped("post")),
        "audience": audience_context(store, account_id, at, post_id),
    }
    posts_json = report_json_posts(
        measured.posts.take(np.array([measured.posts.position(post_id)]))
    )
    data = {
        "account": account_id,
        "as_of": to_utc_text(at),
        "post": posts_json[0],
        "findings": [f.as_json() for f in findings],
    }
    return context, data


#: A post finding on more than this share of the posts shown, and on at least
#: TRAIT_MIN_POSTS of them, is a trait of the account: said once above the posts
#: rather than under most of them. Rarer findings stay with their posts.
TRAIT_SHARE = 0.5
TRAIT_MIN_POSTS = 3


def _trait_rules(pack: Pack, findings: tuple[Finding, ...], shown: int) -> list[str]:
    """The rules whose finding fires on most posts shown, in the order findings come,
    if their template can say it once (a `trait` block)."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
    return [
        rule
        for rule, count in counts.items()
        if count >= TRAIT_MIN_POSTS
        and count > TRAIT_SHARE * shown
        and pack.narrator.has_block(f"rules/{_template_of(pack, rule)}.j2", "trait")
    ]


def _template_of(pack: Pack, rule_id: str) -> str:
    rule = pack.ruleset.get(rule_id)
    assert rule is not None, rule_id
    return rule.spec.template_name


def render_trait(
    pack: Pack,
    findings: list[Finding],
    account: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    posts: list[dict[str, Any]],
) -> dict[str, Any]:
    """A finding shared by most posts, in words once: the newest post's finding context
    (the same params: one account) and `trait`, which posts and how many."""
    numbers = [by_id[f.subject]["number"] for f in findings]
    trait = {
        "count": len(numbers),
        "shown": len(posts),
        "runs": number_runs(numbers),
        "others": number_runs([p["number"] for p in posts if p["number"] not in numbers]),
    }
    first = findings[0]
    rule = pack.ruleset.get(first.rule)
    assert rule is not None, first.rule
    context = finding_context(
        rule,
        values=first.values,
        params=first.params,
        sources=first.param_sources,
        account=account,
        post=by_id[first.subject],
    )
    name = f"rules/{first.template}.j2"
    try:
        text = pack.narrator.block(name, "trait", **context, trait=trait) or ""
    except Exception as exc:  # a lead's template edit: this line fails, not the reply
        problem = pack.narrator.failure(exc, name)
        log.warning("trait %s could not be put into words: %s", first.rule, problem)
        text = escape_mrkdwn(
            f"*{first.rule}* fired on {len(numbers)} posts, but its words failed: {problem}."
        )
    return {"rule": first.rule, "severity": first.severity, "text": Mrkdwn(text), "trait": trait}


def number_runs(numbers: list[int]) -> list[list[int]]:
    """Post numbers as runs of consecutive ones ([[3, 5], [8, 8]]), for "#3 to #5, #8"."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return runs


#: Audience lines shown per category, and categories shown, in a reply.
AUDIENCE_LINES = 3
AUDIENCE_CATEGORIES = 3


def audience_context(
    store: Store, account_id: str, at: datetime, post_id: str
) -> dict[str, Any] | None:
    """Who saw the post (its own export), else the account's audience, as the exports
    give it; None when no export said."""
    lines = store.demographics(account_id, at, post=post_id)
    of = "post"
    if not lines:
        lines, of = store.demographics(account_id, at), "account"
    if not lines:
        return None
    categories: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        categories.setdefault(str(line["category"]), []).append(
            {"value": line["value"], "share": line["share"], "below": line["below"]}
        )
    return {
        "of": of,
        "observed_at": lines[0]["observed_at"],
        "categories": [
            {"name": name, "lines": rows[:AUDIENCE_LINES]}
            for name, rows in list(categories.items())[:AUDIENCE_CATEGORIES]
        ],
    }


def render_finding(
    pack: Pack,
    finding: Finding,
    *,
    account: dict[str, Any],
    post: dict[str, Any] | None = None,
    slots: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A finding in words: its `finding` paragraph and its `next` step (or None)."""
    rule = pack.ruleset.get(finding.rule)
    assert rule is not None, finding.rule
    context = finding_context(
        rule,
        values=finding.values,
        params=finding.params,
        sources=finding.param_sources,
        account=account,
        post=post,
        slots=slots if rule.spec.scope == "account" else None,
    )
    name = f"rules/{finding.template}.j2"
    try:
        text = pack.narrator.block(name, "finding", **context) or ""
        step = pack.narrator.block(name, "next", **context)
    except Exception as exc:  # a lead's template edit: one finding fails, not the reply
        problem = pack.narrator.failure(exc, name)
        log.warning("finding %s could not be put into words: %s", finding.rule, problem)
        log.debug("the template's traceback", exc_info=True)
        text = (
            f"*{finding.rule}* fired, but its words failed: {problem}. Fix that line: it "
            "fails on these values (a rule test with them shows it before release)."
        )
        return {
            "rule": finding.rule,
            "severity": finding.severity,
            "text": Mrkdwn(escape_mrkdwn(text)),
            "next": None,
            "error": problem,
        }
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "text": Mrkdwn(text),
        "next": Mrkdwn(step) if step else None,
        "error": None,
    }


#: The thresholds the table's legend quotes: (rule, param) that applied to the account.
LEGEND = {"max_ratio": ("narrow-audience", "max_ratio")}


def legend(evaluation: Evaluation) -> dict[str, float | None]:
    """The values the legend quotes, as the rules applied them to this account (an
    override included), so a lead who changes a threshold sees it there too; None
    where the rule is not in the pack."""
    out: dict[str, float | None] = {}
    for name, (rule_id, param) in LEGEND.items():
        rule = next((r for r in evaluation.rules if r.id == rule_id), None)
        value: Any = None
        if rule is not None:
            value = evaluation.params[rule_id].get(param, rule.spec.params.get(param))
            if isinstance(value, np.ndarray):
                value = value[0] if len(value) else rule.spec.params.get(param)
        out[name] = None if value is None else float(value)
    return out


#: The param a rule's `requires` holds a post's age to, by the shipped rules' convention.
AGE_PARAM = "min_age_hours"


#: Metrics that say what the readings prove about a post's curve: a check waiting
#: on them waits on a reading, named per post (see partials/pending.j2).
CURVE_FACTS = frozenset(
    {
        "peak_hour",
        "peak_hour_from",
        "peak_hour_to",
        "peak_gap_from",
        "peak_gap_to",
        "share_first_24h",
        "share_first_24h_low",
        "share_first_24h_high",
        "share_48_72h",
        "share_48_72h_low",
        "share_48_72h_high",
        "impressions_growth_48h",
        "reach_growth_48h",
        "growth_from_hour",
    }
)
_PEAK = frozenset({"peak_hour", "peak_hour_from", "peak_hour_to"})
#: Where the peak may hide: shown by the curve findings, missing with the peak itself.
_GAP = frozenset({"peak_gap_from", "peak_gap_to"})
_GROWTH = frozenset({"impressions_growth_48h", "reach_growth_48h", "growth_from_hour"})
_DAY_ONE = frozenset({"share_first_24h", "share_first_24h_low", "share_first_24h_high"})


def _reading(post: dict[str, Any], wants: list[str]) -> tuple[str, float | None, float | None]:
    """The one reading that would decide a post's waiting curve checks: (kind, from, to).
    `daily` when its only stretch over the first day spans most of it: a reading every
    few hours is what it lacks, not one more."""
    names = set(wants)
    if names & _PEAK and post.get("peak_gap_from") is not None:
        start, end = post["peak_gap_from"], post["peak_gap_to"]
        if start == 0 and end >= GROWTH_FROM_HOUR:
            return ("daily", None, None)
        return ("between", start, end)
    if names & _GROWTH and not names & _PEAK:
        # A peak still unknown waits on the first 72 hours: a reading past hour 72
        # decides it and the 48-hour windows alike.
        return ("growth", None, None)
    if names & _DAY_ONE:
        return ("day", None, None)
    if names & CURVE_FACTS - _PEAK - _GAP:
        return ("late", None, None)
    return ("after", None, None)


#: Values a file reports; a metric computed from them is missing because they are.
REPORTED = frozenset(COUNTERS) | {"followers"}


def _pending(evaluation: Evaluation, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checks that could not judge, grouped by cause into at most two lines: posts
    too young for some checks; and checks on posts old enough that wait on values
    the data does not report, on a reading of the curve, or on a calculation without
    a value (each cause one part of the line, posts with the same cause together).
    Every count is of (post, check) pairs, so a line's parts add up to its total."""
    young: list[dict[str, Any]] = []
    parts: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}

    def count(cause: str, names: list[str], post: dict[str, Any]) -> None:
        # The curve is one part: each post names its own missing reading.
        key = (cause, () if cause == "curve" else tuple(names))
        group = parts.setdefault(
            key, {"cause": cause, "names": [], "posts": [], "wants": {}, "checks": 0}
        )
        if post not in group["posts"]:
            group["posts"].append(post)
        wants = group["wants"].setdefault(post["id"], [])
        for name in names:
            if name not in wants:
                wants.append(name)
            if name not in group["names"]:
                group["names"].append(name)
        group["checks"] += 1

    for post in posts:
        position = evaluation.frame.position(post["id"])
        too_young = 0
        for rule, outcome in evaluation.pending(post["id"]):
            if outcome == "undefined":
                count("failed", list(evaluation.undefined_parts(rule, position)), post)
                continue
            if outcome == "not_ready":
                if not _old_enough(evaluation.params[rule.id].get(AGE_PARAM), position, post):
                    too_young += 1
                    continue
                assert rule.requires is not None  # only `requires` makes a rule not ready
                wanted = {n for n in rule.requires.names if n != "post_age_hours"}
            else:
                wanted = {n for n in rule.reads if post.get(n) is None}
            lacking = wanted - CURVE_FACTS
            if lacking:
                # Name what the file lacks, not every ratio built on it.
                reported = lacking & REPORTED
                # saves_shares_per_1k is missing because saves_shares is: name the root.
                roots = {n for n in lacking if not any(n.startswith(m + "_") for m in lacking)}
                count("data", sorted(reported or roots), post)
            else:
                count("curve", sorted(wanted & CURVE_FACTS), post)
        if too_young:
            young.append({"post": post, "checks": too_young})
    lines: list[dict[str, Any]] = []
    if young:
        checks = sum(y["checks"] for y in young)
        lines.append({"cause": "young", "posts": young, "groups": [], "checks": checks})
    if parts:
        order = {"data": 0, "curve": 1, "failed": 2}
        groups = sorted(parts.values(), key=lambda g: order[g["cause"]])
        for group in groups:
            group["runs"] = number_runs([p["number"] for p in group["posts"]])
            group["readings"] = []
            if group["cause"] == "curve":
                readings: dict[tuple[str, float | None, float | None], list[int]] = {}
                for post in group["posts"]:
                    key = _reading(post, group["wants"][post["id"]])
                    readings.setdefault(key, []).append(post["number"])
                group["readings"] = [
                    {"kind": kind, "from": start, "to": end, "runs": number_runs(numbers)}
                    for (kind, start, end), numbers in readings.items()
                ]
        # Values missing on the same posts are one cause: the data lacks them.
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for group in groups:
            key = (
                group["cause"],
                repr(group["runs"]) if group["cause"] == "data" else str(id(group)),
            )
            if key in merged:
                kept = merged[key]
                kept["names"] += [n for n in group["names"] if n not in kept["names"]]
                kept["checks"] += group["checks"]
                for post_id, names in group["wants"].items():
                    kept["wants"].setdefault(post_id, []).extend(names)
            else:
                merged[key] = group
        groups = list(merged.values())
        lines.append(
            {
                "cause": "waiting",
                "posts": [],
                "groups": groups,
                "checks": sum(g["checks"] for g in groups),
            }
        )
    return lines


def _old_enough(limit: Any, position: int, post: dict[str, Any]) -> bool:
    """Whether the post has reached the age a rule waits for (False if it cannot say)."""
    if limit is None or post.get("age_hours") is None:
        return False
    value = limit[position] if isinstance(limit, np.ndarray) else limit
    return bool(post["age_hours"] >= float(value))


def _pick_next_steps(steps: list[dict[str, Any]], limit: int = 2) -> list[dict[str, Any]]:
    """The most severe steps first, at most one per rule and one per post."""
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    # At equal severity a pattern across posts comes before a single post.
    ordered = sorted(
        enumerate(steps),
        key=lambda item: (rank[item[1]["severity"]], item[1]["subject"] != "account", item[0]),
    )
    picked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _, step in ordered:
        keys = {"rule:" + step["rule"], step["subject"]}
        if keys & seen:
            continue
        seen |= keys
        picked.append({**step, "text": step["next"]})
        if len(picked) == limit:
            break
    return picked


def account_context(account: AccountRow) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name or account.id,
        "kind": account.kind,
        "followers": account.followers,
        "last_observed_at": account.last_observed_at,
        "timezone": account.timezone,
    }


def rows(frame: Table) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(post id, row as Python values) for each row, in order."""
    return frame.records()


def post_context(post_id: str, row: Mapping[str, Any], number: int) -> dict[str, Any]:
    context: dict[str, Any] = {
        "id": post_id,
        "number": number,
        "title": _text(row["title"]),
        "url": _text(row["url"]),
        "format": _text(row["format"]),
        "published_at": to_utc_text(row["published_at"]),
        "age_hours": _number(row["post_age_hours"]),
    }
    for metric in POST_METRICS:
        context.setdefault(metric.name, _number(row[metric.name]))
    return context


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else float(f"{number:.12g}")
