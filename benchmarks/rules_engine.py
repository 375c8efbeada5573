"""Benchmark: our vectorised rules engine against a per-row peer (the `rule-engine` package).

What it measures
----------------
Two rule packs, each in its own table:

* "first slice (7 rules)": the seven post rules of the first slice
  (FIRST_SLICE below), picked out of the loaded pack, for comparison with
  earlier runs;
* "full pack": every rule of rules/*.yaml, in both scopes. Post rules run over
  synthetic post frames, account rules over a synthetic account frame, and
  each scope is reported on its own line, plus one "full pack" line per post
  size (post part + account part). The headline is posts/second of the post
  part at the largest size.

The default rule pack (rules/, narratives/) is loaded and checked first,
outside the timing.

* ours: `bot.rules.engine.evaluate(ruleset, frame, scope)` followed by
  `evaluation.fired_pairs()` (the findings table), for each post size in
  --sizes and for --accounts accounts, plus once on the peer's rows for a
  same-size comparison.
* peer: the same rules evaluated one row at a time with zeroSteiner's
  `rule-engine`. Each rule's `requires` and `condition` are translated to
  rule-engine syntax with the params written in as literal numbers, compiled
  (`rule_engine.Rule(text)`) outside the timing, then `rule.matches(row)` is
  timed for every rule on every row dict (rule-engine turns each float it
  reads into a Decimal; that is part of its cost). Row-by-row is slow, so the
  peer runs on --peer-rows posts and --peer-accounts accounts only (same
  generators and seed); its rate is measured on those rows, and ours is
  measured on them too.

Overrides: a rule's params may differ per row (an override for an account
kind, or for one account; see `bot.rules.engine.resolve_params`). The peer
gets one compiled rule per distinct param set (per account kind, and per
overridden account), built outside the timing; inside the timing it picks, for
every row and rule, the variant that matches the row's account and kind, the
way a per-row engine would have to.

Our engine uses three-valued logic: a comparison that reads a missing value is
"unknown", `True or unknown` is True, `False and unknown` is False, and a rule
fires only where `requires` and `condition` are both known to be true. The
peer sees missing values as None, where rule-engine raises on `None < 1`. So
the main peer translation ("guarded") puts `x != null` before each comparison
that reads x (and `d != 0` before each division by d), which gives exactly our
semantics. Chained comparisons (`-band < x < band`) become the `and` of their
links, and unary minus is kept (`(-0.05)`). A second, naive translation catches
`rule_engine.errors.EvaluationError` per row and counts it as not fired; it is
timed for reference and shows why the guards are needed (`a or b` errors out
when `a` is missing even if `b` is true).

The synthetic data
------------------
Posts: one column per metric of `bot.metrics.catalogue.CATALOGUE` in realistic
ranges for its unit (counts derived from each other, ratios and shares
computed from the counts, *_vs_account against per-account medians of mature
posts), an `account` column (about one account per POSTS_PER_ACCOUNT posts)
and an `account_kind` column (about ORGANIZATION_SHARE of the accounts are
company pages, with bigger audiences and lower engagement rates), post ids as
the index.
Accounts: one column per metric of `ACCOUNT_CATALOGUE` (this week against last
week, mature and best posts), an `account_kind` column, account ids as the
index.
Both use a fixed numpy seed, and about 3 % of values (--nan-share) are set
missing at random on top of the values that are missing by nature (curve
metrics of posts younger than 72 h, ratios over zero, accounts without mature
posts).

How to read the output
----------------------
One table row per (engine, scope, size): seconds is the best of --repeat runs
(the garbage collector paused, as timeit does); rows/s = rows / seconds (posts
per second for post rules, accounts per second for account rules); findings is
the number of (rule, row) pairs that fired. The peer builds its row dicts
(NaN -> None) before the clock starts, which favours the peer. Below each
table: whether both engines fire on exactly the same (rule, row) pairs of the
peer's rows, in each scope, and the speed ratio (posts per second, ours at the
largest size / peer). At the end, the two goals, for the full pack's post
rules: 1,000,000 posts in under 1 s, and at least 50x the per-row peer
(checked against the faster of the two peer translations).

Run from anywhere:  .venv/bin/python benchmarks/rules_engine.py [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import rule_engine

from bot.metrics.catalogue import ACCOUNT_CATALOGUE, CATALOGUE, CURVE_HOURS, SCOPES, Metric
from bot.pack import load_pack
from bot.rules.engine import FIRED, evaluate
from bot.rules.loader import Rule, RuleSet
from bot.rules.model import ACCOUNT_KINDS, Override, RuleSpec

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
NARRATIVES_DIR = REPO / "narratives"

DEFAULT_SEED = 20260101
POSTS_PER_ACCOUNT = 30
ORGANIZATION_SHARE = 0.3
GOAL_POSTS = 1_000_000
GOAL_SECONDS = 1.0
GOAL_RATIO = 50.0

#: The rules of the first slice, benchmarked on their own for comparison.
FIRST_SLICE = (
    "narrow-audience",
    "recycling-not-expanding",
    "low-engagement",
    "hook-or-targeting",
    "top-saves-shares",
    "strong-for-followers",
    "weak-for-followers",
)

T = TypeVar("T")
Pair = tuple[str, int]  # (rule id, row position)
Subject = tuple[str, str | None]  # (account id, account kind) of a row


# -- synthetic metrics ------------------------------------------------------------


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, missing where the result is not a finite number (as bot.metrics does)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(np.isfinite(out), out, np.nan)


def _by_unit(unit: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """Plausible values for a metric the generator does not model explicitly."""
    if unit == "count":
        return np.round(rng.lognormal(np.log(50), 1.5, n))
    if unit == "hours":
        return rng.uniform(0.5, 720.0, n)
    if unit == "ratio":
        return rng.lognormal(0.0, 0.6, n)
    if unit == "share":
        return rng.beta(2.0, 8.0, n)
    if unit == "per_1k":
        return rng.lognormal(np.log(3.0), 0.7, n)
    if unit == "multiple":
        return rng.lognormal(0.0, 0.5, n)
    if unit == "hour":
        return rng.integers(1, CURVE_HOURS + 1, n).astype(float)
    if unit == "flag":
        return rng.integers(0, 2, n).astype(float)
    raise ValueError(f"no generator for unit {unit!r}")


def _account_multiple(account: np.ndarray, values: np.ndarray, mature: np.ndarray) -> np.ndarray:
    """values / the median of the account's mature posts (the *_vs_account metrics)."""
    baseline = (
        pd.Series(np.where(mature, values, np.nan))
        .groupby(account)
        .transform("median")
        .to_numpy(dtype=float)
    )
    return _ratio(values, baseline)


def _account_ids(n: int) -> np.ndarray:
    return np.array([f"acct-{i:06d}" for i in range(n)], dtype=object)


def _kinds(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(is an organization, kind label) for `n` accounts."""
    organization = rng.random(n) < ORGANIZATION_SHARE
    return organization, np.where(organization, "organization", "member").astype(object)


def _frame(
    identity: Mapping[str, np.ndarray],
    m: Mapping[str, np.ndarray],
    catalogue: Mapping[str, Metric],
    rng: np.random.Generator,
    nan_share: float,
    index: pd.Index,
) -> tuple[pd.DataFrame, list[str]]:
    """The identity columns, then one column per catalogue metric, with values missing at
    random; metrics the generator did not model are filled from their unit and named."""
    n = len(index)
    columns: dict[str, Any] = dict(identity)
    generic = [name for name in catalogue if name not in m]
    for name, metric in catalogue.items():
        values = m[name] if name in m else _by_unit(metric.unit, rng, n)
        missing = rng.random(n) < nan_share
        columns[name] = np.where(missing, np.nan, values)
    return pd.DataFrame(columns, index=index), generic


def make_metrics(n: int, seed: int, nan_share: float) -> tuple[pd.DataFrame, list[str]]:
    """A deterministic metrics frame of `n` posts shaped like bot.metrics.compute's output,
    with `account` and `account_kind` columns.

    Also returns the catalogue metrics this function does not model (filled from
    their unit alone), so a metric added to the catalogue later is noticed.
    """
    rng = np.random.default_rng(seed)
    accounts = max(1, round(n / POSTS_PER_ACCOUNT))
    account = rng.integers(0, accounts, n)
    organization, kind_labels = _kinds(rng, accounts)
    is_org = organization[account]
    m: dict[str, np.ndarray] = {}

    age = rng.exponential(200.0, n) + 0.5
    m["post_age_hours"] = age
    m["hours_observed"] = age * rng.uniform(0.85, 1.0, n)
    mature = m["hours_observed"] >= CURVE_HOURS
    # Company pages have bigger audiences and engage less per impression.
    audience = rng.lognormal(np.log(3000.0), 1.3, accounts) * np.where(organization, 3.0, 1.0)
    followers = np.maximum(np.round(audience[account] * rng.uniform(0.97, 1.03, n)), 1.0)
    m["followers"] = followers

    grown = 1.0 - np.exp(-age / 20.0)  # young posts have not gathered their impressions yet
    impressions = np.round(followers * rng.lognormal(np.log(0.6), 1.1, n) * grown)
    members = np.maximum(np.round(impressions / (1.0 + rng.lognormal(0.0, 0.7, n))), 1.0)
    members = np.minimum(members, np.maximum(impressions, 1.0))
    rate = rng.lognormal(np.log(0.03), 0.8, n) * np.where(is_org, 0.7, 1.0)
    rate = np.clip(rate, 0.0, 1.0)
    interactions = rng.binomial(impressions.astype(np.int64), rate)
    parts = rng.multinomial(interactions, [0.78, 0.12, 0.04, 0.04, 0.02])
    reactions, comments, reposts, saves, sends = (parts[:, i].astype(float) for i in range(5))
    ctr = np.clip(rng.lognormal(np.log(0.008), 0.7, n), 0.0, 1.0)
    clicks = rng.binomial(impressions.astype(np.int64), ctr).astype(float)
    view_rate = np.clip(rng.lognormal(np.log(0.003), 0.6, n), 0.0, 1.0)
    profile_views = rng.binomial(impressions.astype(np.int64), view_rate).astype(float)
    replies = rng.poisson(comments * rng.lognormal(np.log(0.4), 0.6, n)).astype(float)
    saves_shares = reposts + saves + sends
    interactions = interactions.astype(float)

    m["impressions"] = impressions
    m["members_reached"] = members
    m["reactions"] = reactions
    m["comments"] = comments
    m["reposts"] = reposts
    m["saves"] = saves
    m["sends"] = sends
    m["clicks"] = clicks
    m["profile_views"] = profile_views
    m["followers_gained"] = rng.binomial(profile_views.astype(np.int64), 0.1).astype(float)
    m["comment_replies"] = replies
    m["interactions"] = interactions
    m["impressions_per_member_reached"] = _ratio(impressions, members)
    m["engagement_rate"] = _ratio(interactions, impressions)
    m["saves_shares"] = saves_shares
    m["saves_shares_per_1k"] = _ratio(saves_shares, impressions) * 1000.0
    m["impressions_per_follower"] = _ratio(impressions, followers)

    # Curve metrics exist once a post has been observed for its first 72 hours.
    growth = rng.lognormal(np.log(0.3), 0.9, n)
    m["impressions_growth_48h"] = np.where(mature, growth, np.nan)
    m["reach_growth_48h"] = np.where(mature, growth * rng.lognormal(np.log(0.7), 0.5, n), np.nan)
    early = rng.binomial(interactions.astype(np.int64), rng.beta(2.0, 8.0, n)).astype(float)
    m["early_interactions"] = early
    early_impressions = np.maximum(np.round(impressions * rng.beta(2.0, 6.0, n)), early)
    m["early_engagement_rate"] = _ratio(early, early_impressions)
    peak = np.minimum(1.0 + np.floor(rng.gamma(2.0, 2.0, n)), float(CURVE_HOURS))
    # What the readings prove: the peak is one hour for about 60 % of posts, else a
    # range of the hours around it (a stretch between two readings that may hold it).
    ranged = rng.random(n) < 0.4
    earliest = np.where(ranged, np.maximum(1.0, peak - rng.integers(0, 4, n)), peak)
    latest = np.where(ranged, np.minimum(CURVE_HOURS, peak + rng.integers(1, 8, n)), peak)
    m["peak_hour_from"] = np.where(mature, earliest, np.nan)
    m["peak_hour_to"] = np.where(mature, latest, np.nan)
    m["peak_hour"] = np.where(mature & ~ranged, peak, np.nan)
    m["peak_gap_from"] = np.where(mature & ranged, earliest - 1.0, np.nan)
    m["peak_gap_to"] = np.where(mature & ranged, latest, np.nan)
    first = rng.beta(6.0, 2.5, n)
    late = (1.0 - first) * rng.beta(2.0, 5.0, n)
    m["share_first_24h"] = np.where(mature, first, np.nan)
    m["share_48_72h"] = np.where(mature, late, np.nan)
    # The shares' proven bounds: tight where readings sit near hours 24, 48 and 72.
    for name, share in (("share_first_24h", first), ("share_48_72h", late)):
        below, above = rng.exponential(0.02, n), rng.exponential(0.02, n)
        m[f"{name}_low"] = np.where(mature, np.clip(share - below, 0.0, 1.0), np.nan)
        m[f"{name}_high"] = np.where(mature, np.clip(share + above, 0.0, 1.0), np.nan)
    m["growth_from_hour"] = np.where(mature, rng.integers(1, 25, n).astype(float), np.nan)
    gaps = np.array([1.0, 2.0, 3.0, 6.0, 12.0, 24.0])
    m["snapshot_gap_hours"] = rng.choice(gaps, n, p=[0.4, 0.2, 0.15, 0.15, 0.07, 0.03])
    m["click_through_rate"] = _ratio(clicks, impressions)
    m["replies_per_comment"] = _ratio(replies, comments)
    m["profile_views_per_1k"] = _ratio(profile_views, impressions) * 1000.0
    m["impressions_vs_account"] = _account_multiple(account, impressions, mature)
    m["engagement_rate_vs_account"] = _account_multiple(account, m["engagement_rate"], mature)
    m["saves_shares_per_1k_vs_account"] = _account_multiple(
        account, m["saves_shares_per_1k"], mature
    )
    # The article's comparison: about one mature post an account is the best on saves
    # + shares per 1,000 and is set against the account's post with most impressions.
    beats = mature & (rng.random(n) < 1.0 / POSTS_PER_ACCOUNT)
    m["beats_bigger"] = np.where(np.isnan(impressions), np.nan, beats.astype(float))
    bigger = impressions * rng.uniform(1.2, 4.0, n)
    bigger_per_1k = m["saves_shares_per_1k"] * rng.uniform(0.2, 0.9, n)
    m["bigger_post"] = np.where(beats, rng.integers(1, 11, n).astype(float), np.nan)
    m["bigger_impressions"] = np.where(beats, np.round(bigger), np.nan)
    m["bigger_saves_shares_per_1k"] = np.where(beats, bigger_per_1k, np.nan)
    m["bigger_saves_shares"] = np.where(beats, np.round(bigger * bigger_per_1k / 1000.0), np.nan)

    identity = {"account": _account_ids(accounts)[account], "account_kind": kind_labels[account]}
    index = pd.Index([f"post-{i:07d}" for i in range(n)], name="post")
    return _frame(identity, m, CATALOGUE, rng, nan_share, index)


def make_account_metrics(n: int, seed: int, nan_share: float) -> tuple[pd.DataFrame, list[str]]:
    """A deterministic frame of `n` accounts shaped like bot.metrics.account's output
    (index `account`, an `account_kind` column, every account metric), and the
    account metrics this function does not model."""
    rng = np.random.default_rng(seed + 1)
    organization, kind_labels = _kinds(rng, n)
    m: dict[str, np.ndarray] = {}

    followers = np.round(rng.lognormal(np.log(3000.0), 1.3, n) * np.where(organization, 3.0, 1.0))
    m["followers"] = np.maximum(followers, 1.0)
    # Most accounts were observed within the last day; some have gone stale.
    stale = rng.random(n) < 0.15
    m["hours_since_observed"] = np.where(
        stale, 36.0 + rng.exponential(120.0, n), rng.uniform(0.0, 36.0, n)
    )
    cadence = rng.lognormal(np.log(3.0), 0.7, n)
    m["posts_week"] = rng.poisson(cadence).astype(float)
    m["posts_prev_week"] = rng.poisson(cadence).astype(float)

    # Last week's counters, then this week's as a change on them.
    impressions_prev = np.round(followers * rng.lognormal(np.log(0.6), 1.0, n))
    impressions_growth = rng.lognormal(0.0, 0.35, n)
    impressions_week = np.round(impressions_prev * impressions_growth)
    reach_prev = np.minimum(
        np.round(impressions_prev / (1.0 + rng.lognormal(0.0, 0.5, n))), impressions_prev
    )
    reach_growth = impressions_growth * rng.lognormal(np.log(0.95), 0.15, n)
    reach_week = np.minimum(np.round(reach_prev * reach_growth), impressions_week)
    rate_prev = rng.lognormal(np.log(0.03), 0.6, n) * np.where(organization, 0.7, 1.0)
    rate_prev = np.clip(rate_prev, 0.0, 1.0)
    rate_week = np.clip(rate_prev * rng.lognormal(0.0, 0.25, n), 0.0, 1.0)
    interactions_prev = rng.binomial(impressions_prev.astype(np.int64), rate_prev).astype(float)
    interactions_week = rng.binomial(impressions_week.astype(np.int64), rate_week).astype(float)
    m["impressions_week"] = impressions_week
    m["impressions_prev_week"] = impressions_prev
    m["reach_week"] = reach_week
    m["reach_prev_week"] = reach_prev
    m["interactions_week"] = interactions_week
    m["interactions_prev_week"] = interactions_prev
    m["engagement_rate_week"] = _ratio(interactions_week, impressions_week)
    m["engagement_rate_prev_week"] = _ratio(interactions_prev, impressions_prev)
    m["impressions_change"] = _ratio(impressions_week, impressions_prev) - 1.0
    m["reach_change"] = _ratio(reach_week, reach_prev) - 1.0
    m["engagement_rate_change"] = (
        _ratio(m["engagement_rate_week"], m["engagement_rate_prev_week"]) - 1.0
    )

    # Mature and best posts among those loaded; none means missing, as in bot.metrics.
    mature = rng.poisson(rng.lognormal(np.log(20.0), 0.8, n)).astype(float)
    has_mature = mature > 0
    best = np.ceil(mature * rng.uniform(0.25, 0.3, n))
    peak = np.minimum(1.0 + np.floor(rng.gamma(2.0, 1.5, n)), float(CURVE_HOURS))
    peak += np.where(rng.random(n) < 0.3, 0.5, 0.0)  # the median of an even count
    m["mature_posts"] = np.where(has_mature, mature, np.nan)
    m["best_posts"] = np.where(has_mature, best, np.nan)
    # The medians of the hours the best posts' peaks can be in: one hour for about
    # half the accounts, else a range around it.
    ranged = rng.random(n) < 0.5
    earliest = np.where(ranged, np.maximum(1.0, peak - rng.integers(0, 3, n)), peak)
    latest = np.where(ranged, np.minimum(CURVE_HOURS, peak + rng.integers(1, 6, n)), peak)
    m["best_posts_peak_hour"] = np.where(
        has_mature & ~ranged, np.minimum(peak, CURVE_HOURS), np.nan
    )
    m["best_posts_peak_hour_from"] = np.where(has_mature, earliest, np.nan)
    m["best_posts_peak_hour_to"] = np.where(has_mature, latest, np.nan)

    index = pd.Index(_account_ids(n), name="account")
    return _frame({"account_kind": kind_labels}, m, ACCOUNT_CATALOGUE, rng, nan_share, index)


# -- translation to rule-engine ---------------------------------------------------------

_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _literal(value: int | float) -> str:
    text = str(value) if isinstance(value, int) else repr(float(value))
    return f"({text})" if text.startswith("-") else text


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class Translator:
    """Turn one of our (already validated) expressions into rule-engine text.

    `guarded=True` makes the text true exactly where our three-valued result is
    known to be true: each comparison is preceded by `name != null` for every
    metric it reads and `divisor != 0` for every division, and `not`, `and`,
    `or` follow Kleene's rules. `guarded=False` is the word-for-word translation.
    """

    def __init__(self, params: Mapping[str, int | float], guarded: bool) -> None:
        self.params = params
        self.guarded = guarded

    def translate(self, source: str) -> str:
        tree = ast.parse(source.strip(), mode="eval")
        return self.truth(tree.body, True) if self.guarded else self.plain(tree.body)

    def number(self, node: ast.expr) -> tuple[str, list[str]]:
        """(text, guards): the guards hold exactly where the number is not missing."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return _literal(node.value), []
        if isinstance(node, ast.Name):
            if node.id in self.params:
                return _literal(self.params[node.id]), []
            return node.id, [f"{node.id} != null"]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            text, guards = self.number(node.operand)
            return (f"(-{text})" if isinstance(node.op, ast.USub) else text), guards
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            left, left_guards = self.number(node.left)
            right, right_guards = self.number(node.right)
            guards = [*left_guards, *right_guards]
            if isinstance(node.op, ast.Div):
                guards.append(f"{right} != 0")
            return f"({left} {_ARITH[type(node.op)]} {right})", guards
        raise ValueError(f"cannot translate {ast.dump(node)}")

    def truth(self, node: ast.expr, want: bool) -> str:
        """Text that is true exactly where `node` is known to be `want`."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.truth(node.operand, not want)
        if isinstance(node, ast.BoolOp):
            # and: true if all true, false if any false; or: the other way round.
            all_of = isinstance(node.op, ast.And) == want
            word = " and " if all_of else " or "
            return "(" + word.join(self.truth(v, want) for v in node.values) + ")"
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            pairs = []
            for op, left_node, right_node in zip(node.ops, operands, operands[1:], strict=False):
                left, left_guards = self.number(left_node)
                right, right_guards = self.number(right_node)
                test = f"{left} {_COMPARE[type(op)]} {right}"
                guards = _unique(left_guards + right_guards)
                check = test if want else f"not ({test})"
                pairs.append("(" + " and ".join([*guards, check]) + ")")
            joiner = " and " if want else " or "  # a chain is the 'and' of its links
            return pairs[0] if len(pairs) == 1 else "(" + joiner.join(pairs) + ")"
        raise ValueError(f"cannot translate {ast.dump(node)}")

    def plain(self, node: ast.expr) -> str:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"not ({self.plain(node.operand)})"
        if isinstance(node, ast.BoolOp):
            word = " and " if isinstance(node.op, ast.And) else " or "
            return "(" + word.join(self.plain(v) for v in node.values) + ")"
        if isinstance(node, ast.Compare):
            operands = [self.number(o)[0] for o in [node.left, *node.comparators]]
            tests = [
                f"{a} {_COMPARE[type(op)]} {b}"
                for op, a, b in zip(node.ops, operands, operands[1:], strict=False)
            ]
            return tests[0] if len(tests) == 1 else "(" + " and ".join(tests) + ")"
        raise ValueError(f"cannot translate {ast.dump(node)}")


def peer_text(rule: Rule, params: Mapping[str, int | float], guarded: bool) -> str:
    """The rule as one rule-engine expression with `params` written in: requires
    (if any) and condition."""
    translator = Translator(params, guarded)
    condition = translator.translate(rule.spec.condition)
    if rule.spec.requires is None:
        return condition
    return f"{translator.translate(rule.spec.requires)} and {condition}"


def params_for(spec: RuleSpec, account: str, kind: str | None) -> dict[str, int | float]:
    """The params of one row, resolved as bot.rules.engine.resolve_params does: the
    defaults, then the overrides for the row's kind, then those for its account."""
    params: dict[str, int | float] = dict(spec.params)
    for override in sorted(spec.overrides, key=lambda o: o.account is not None):
        if _applies(override, account, kind):
            params.update(override.params)
    return params


def _applies(override: Override, account: str, kind: str | None) -> bool:
    if override.account:
        return override.account == account
    return override.account_kind == kind


@dataclass(frozen=True)
class PeerRule:
    """One of our rules as compiled rule-engine rules, one per distinct param set.

    `variants` is keyed by (overridden account or None, account kind or None);
    a rule without overrides has one variant, kept in `single`.
    """

    id: str
    single: rule_engine.Rule | None
    accounts: frozenset[str]
    variants: Mapping[tuple[str | None, str | None], rule_engine.Rule]

    def pick(self, account: str, kind: str | None) -> rule_engine.Rule:
        if self.single is not None:
            return self.single
        return self.variants[(account if account in self.accounts else None, kind)]

    @property
    def texts(self) -> dict[str, str]:
        """The text of each distinct variant, labelled by the keys that use it."""
        labels: dict[str, list[str]] = {}
        for (account, kind), rule in self.variants.items():
            label = f"account:{account}" if account else f"kind:{kind}" if kind else "default"
            labels.setdefault(rule.text, []).append(label)
        return {", ".join(names): text for text, names in labels.items()}


def compile_peer(rule: Rule, guarded: bool) -> PeerRule:
    """Compile every param variant of `rule` (outside the timing), sharing equal texts."""
    spec = rule.spec
    accounts = frozenset(o.account for o in spec.overrides if o.account)
    kinds: tuple[str | None, ...] = (None, *ACCOUNT_KINDS)
    compiled: dict[str, rule_engine.Rule] = {}
    variants: dict[tuple[str | None, str | None], rule_engine.Rule] = {}
    for account in (None, *sorted(accounts)):
        for kind in kinds:
            text = peer_text(rule, params_for(spec, account or "", kind), guarded)
            if text not in compiled:
                compiled[text] = rule_engine.Rule(text)
            variants[(account, kind)] = compiled[text]
    single = next(iter(compiled.values())) if len(compiled) == 1 else None
    return PeerRule(rule.id, single, accounts, variants)


# -- timing -----------------------------------------------------------------------------


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Seconds taken by fn() with the garbage collector paused (as timeit does), and its result."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class Measurement:
    engine: str
    scope: str
    rows: int
    seconds: float
    findings: int
    note: str = ""
    show_rate: bool = True

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class OursRun:
    measurement: Measurement
    evaluate_seconds: float
    pairs_seconds: float


def run_ours(
    ruleset: RuleSet,
    frame: pd.DataFrame,
    scope: str,
    repeat: int,
    note: str = "",
) -> OursRun:
    best: tuple[float, float, int] | None = None
    for _ in range(repeat):
        eval_seconds, evaluation = timed(lambda: evaluate(ruleset, frame, scope))
        pairs_seconds, pairs = timed(evaluation.fired_pairs)
        if best is None or eval_seconds + pairs_seconds < best[0] + best[1]:
            best = (eval_seconds, pairs_seconds, len(pairs))
    assert best is not None
    measurement = Measurement(
        "ours: evaluate + fired_pairs", scope, len(frame), best[0] + best[1], best[2], note
    )
    return OursRun(measurement, best[0], best[1])


def ours_fired(ruleset: RuleSet, frame: pd.DataFrame, scope: str) -> set[Pair]:
    outcomes = evaluate(ruleset, frame, scope).outcomes
    return {
        (rule.id, int(position))
        for rule in ruleset.scoped(scope)
        for position in np.flatnonzero(outcomes[rule.id] == FIRED)
    }


@dataclass(frozen=True)
class PeerRun:
    measurement: Measurement
    fired: set[Pair]
    errors: int


@dataclass(frozen=True)
class PeerRows:
    """The peer's input for one scope: one dict per row (missing values as None) and
    the (account, kind) that selects each row's params, both built before the clock."""

    scope: str
    rows: list[dict[str, float | None]]
    subjects: list[Subject]


def peer_rows(frame: pd.DataFrame, scope: str) -> PeerRows:
    records = frame[list(SCOPES[scope])].to_dict("records")
    rows = [{k: (None if v != v else v) for k, v in record.items()} for record in records]
    # As resolve_params: the `account` column of a post frame, the index of an account frame.
    ids = frame["account"] if "account" in frame.columns else frame.index.to_series()
    accounts = ids.astype(str).tolist()
    kinds = [k if k in ACCOUNT_KINDS else None for k in frame["account_kind"].tolist()]
    return PeerRows(scope, rows, list(zip(accounts, kinds, strict=True)))


def match_all(rules: Sequence[PeerRule], data: PeerRows) -> tuple[list[Pair], int]:
    """The per-row engine: every rule on every row, one row at a time, each rule with
    the params of the row's account and kind."""
    fired: list[Pair] = []
    errors = 0
    for position, (row, (account, kind)) in enumerate(zip(data.rows, data.subjects, strict=True)):
        for peer in rules:
            try:
                if peer.pick(account, kind).matches(row):
                    fired.append((peer.id, position))
            except rule_engine.errors.EvaluationError:
                errors += 1
    return fired, errors


def run_peer(name: str, rules: Sequence[PeerRule], data: PeerRows, repeat: int) -> PeerRun:
    best: tuple[float, list[Pair], int] | None = None
    for _ in range(repeat):
        seconds, (fired, errors) = timed(lambda: match_all(rules, data))
        if best is None or seconds < best[0]:
            best = (seconds, fired, errors)
    assert best is not None
    seconds, fired, errors = best
    note = f"measured on {len(data.rows):,} rows"
    if errors:
        note += f"; {errors:,} EvaluationErrors counted as not fired"
    measurement = Measurement(name, data.scope, len(data.rows), seconds, len(fired), note)
    return PeerRun(measurement, set(fired), errors)


# -- output -----------------------------------------------------------------------------


def table(measurements: Sequence[Measurement]) -> str:
    header = ("engine", "scope", "rows", "seconds", "rows/s", "findings", "note")
    rows = [
        (
            m.engine,
            m.scope,
            f"{m.rows:,}",
            f"{m.seconds:.4f}",
            f"{m.rate:,.0f}" if m.show_rate else "-",
            f"{m.findings:,}",
            m.note,
        )
        for m in measurements
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def agreement(
    label: str,
    ours: set[Pair],
    peer: set[Pair],
    frame: pd.DataFrame,
    ruleset: RuleSet,
    scope: str,
    examples: int = 3,
) -> tuple[bool, list[str]]:
    only_ours = sorted(ours - peer, key=lambda p: (p[1], p[0]))
    only_peer = sorted(peer - ours, key=lambda p: (p[1], p[0]))
    same = not only_ours and not only_peer
    lines = [
        f"  {label}: {'AGREE' if same else 'DISAGREE'}: {len(ours & peer):,} (rule, {scope}) "
        f"pairs fired in both, {len(only_ours):,} only in ours, {len(only_peer):,} only in "
        "the peer"
    ]
    catalogue = SCOPES[scope]
    for title, pairs in (("only ours", only_ours), ("only peer", only_peer)):
        for rule_id, position in pairs[:examples]:
            rule = ruleset.get(rule_id)
            assert rule is not None
            row = frame.iloc[position]
            kind = row["account_kind"]
            account = row["account"] if "account" in frame.columns else frame.index[position]
            values = ", ".join(f"{n}={row[n]:.17g}" for n in rule.reads if n in catalogue)
            params = params_for(rule.spec, str(account), kind)
            lines.append(
                f"    {title}: {rule_id} on {frame.index[position]} ({kind}): {values}; "
                f"params {params}"
            )
    return same, lines


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        message = f"not a comma-separated list of integers: {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def positive(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def count_by_scope(ruleset: RuleSet) -> str:
    counts = [f"{len(ruleset.scoped(s))} {s}" for s in SCOPES if ruleset.scoped(s)]
    return ", ".join(counts)


@dataclass
class PackResult:
    """Everything measured for one rule pack."""

    title: str
    ruleset: RuleSet
    measurements: list[Measurement]
    ours_posts: list[OursRun]
    ours_accounts: OursRun | None
    peers: dict[str, tuple[PeerRun, PeerRun]]  # scope -> (guarded, naive)
    ours_same: dict[str, OursRun]  # scope -> ours on the peer's rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[100_000, 1_000_000],
        help="posts per synthetic frame for our engine (default 100000,1000000)",
    )
    parser.add_argument(
        "--accounts",
        type=positive,
        default=100_000,
        help="accounts in the synthetic account frame for our engine (default 100000)",
    )
    parser.add_argument(
        "--peer-rows",
        type=positive,
        default=20_000,
        help="posts the per-row peer is timed on (default 20000)",
    )
    parser.add_argument(
        "--peer-accounts",
        type=positive,
        default=20_000,
        help="accounts the per-row peer is timed on (default 20000)",
    )
    parser.add_argument(
        "--repeat",
        type=positive,
        default=3,
        help="runs per measurement; the best is reported (default 3)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="numpy seed of the data")
    parser.add_argument(
        "--nan-share",
        type=float,
        default=0.03,
        help="share of values set missing at random (default 0.03)",
    )
    parser.add_argument(
        "--show-rules", action="store_true", help="print the rule-engine text of every rule"
    )
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        sys.stdout.flush()
        print(f"... {message}", file=sys.stderr, flush=True)

    pack = load_pack(RULES_DIR, NARRATIVES_DIR)
    full = pack.ruleset
    missing = [rule_id for rule_id in FIRST_SLICE if full.get(rule_id) is None]
    if missing:
        parser.error(f"the rule pack has no rule {', '.join(missing)} (FIRST_SLICE)")
    first = RuleSet(tuple(r for r in full.rules if r.id in FIRST_SLICE), ())
    packs = [
        (f"first slice ({len(first.rules)} rules)", first),
        (f"full pack ({len(full.rules)} rules)", full),
    ]
    peers = {
        id(ruleset): {
            guarded: [compile_peer(r, guarded) for r in ruleset.rules] for guarded in (True, False)
        }
        for _, ruleset in packs
    }

    print("Rules engine benchmark: bot.rules.engine (vectorised) vs rule-engine (per row)")
    print(
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"rule-engine {rule_engine.__version__}"
    )
    overridden = [r.id for r in full.rules if r.spec.overrides]
    print(
        f"rule pack: {len(full.rules)} rules ({count_by_scope(full)}) from "
        f"{', '.join(full.files)}; with overrides: {', '.join(overridden) or 'none'}"
    )
    print(
        f"data: posts with {len(CATALOGUE)} metrics + account + account_kind (about 1 account "
        f"per {POSTS_PER_ACCOUNT} posts, {ORGANIZATION_SHARE:.0%} of accounts organizations); "
        f"accounts with {len(ACCOUNT_CATALOGUE)} metrics + account_kind; seed {args.seed}, "
        f"{args.nan_share:.0%} missing at random"
    )
    sample_posts, generic_posts = make_metrics(args.peer_rows, args.seed, args.nan_share)
    sample_accounts, generic_accounts = make_account_metrics(
        args.peer_accounts, args.seed, args.nan_share
    )
    if generic_posts:
        print(f"note: metrics filled from their unit only: {', '.join(generic_posts)}")
    if generic_accounts:
        print(f"note: account metrics filled from their unit only: {', '.join(generic_accounts)}")
    print(
        f"timing: best of {args.repeat} runs, garbage collector paused; ours = evaluate() + "
        "fired_pairs() per scope; peer = rule.matches(row) for every rule and row (the "
        "variant for the row's params picked per row), with the rules compiled and the row "
        "dicts built before the clock starts"
    )
    if args.show_rules:
        for rule in full.rules:
            guarded_rule = compile_peer(rule, True)
            naive_rule = compile_peer(rule, False)
            print(f"  {rule.id} ({rule.spec.scope})")
            for (label, guarded_text), naive_text in zip(
                guarded_rule.texts.items(), naive_rule.texts.values(), strict=True
            ):
                print(f"    [{label}]\n      guarded: {guarded_text}\n      naive:   {naive_text}")
    print()

    results = {
        id(ruleset): PackResult(title, ruleset, [], [], None, {}, {}) for title, ruleset in packs
    }
    for size in args.sizes:
        progress(f"building {size:,} posts")
        frame, _ = make_metrics(size, args.seed, args.nan_share)
        for title, ruleset in packs:
            progress(f"timing ours ({title}) on {size:,} posts")
            results[id(ruleset)].ours_posts.append(run_ours(ruleset, frame, "post", args.repeat))
        del frame

    progress(f"building {args.accounts:,} accounts")
    accounts_frame, _ = make_account_metrics(args.accounts, args.seed, args.nan_share)
    for title, ruleset in packs:
        if ruleset.scoped("account"):
            progress(f"timing ours ({title}) on {args.accounts:,} accounts")
            results[id(ruleset)].ours_accounts = run_ours(
                ruleset, accounts_frame, "account", args.repeat
            )
    del accounts_frame

    samples = {"post": sample_posts, "account": sample_accounts}
    data = {scope: peer_rows(frame, scope) for scope, frame in samples.items()}
    for title, ruleset in packs:
        result = results[id(ruleset)]
        for scope, frame in samples.items():
            if not ruleset.scoped(scope):
                continue
            result.ours_same[scope] = run_ours(
                ruleset, frame, scope, args.repeat, note="same rows as the peer"
            )
            runs = []
            for guarded in (True, False):
                name = f"rule-engine, per row ({'guarded' if guarded else 'naive'})"
                progress(f"timing {name} ({title}) on {len(frame):,} {scope} rows")
                in_scope = {r.id for r in ruleset.scoped(scope)}
                scoped = [p for p in peers[id(ruleset)][guarded] if p.id in in_scope]
                runs.append(run_peer(name, scoped, data[scope], args.repeat))
            result.peers[scope] = (runs[0], runs[1])

    all_agree = True
    goal_lines: list[str] = []
    for title, ruleset in packs:
        result = results[id(ruleset)]
        measurements = [r.measurement for r in result.ours_posts]
        account_run = result.ours_accounts
        if account_run is not None:
            measurements.append(account_run.measurement)
            for run in result.ours_posts:
                post = run.measurement
                acct = account_run.measurement
                measurements.append(
                    Measurement(
                        "ours: full pack (post + account)",
                        "both",
                        post.rows + acct.rows,
                        post.seconds + acct.seconds,
                        post.findings + acct.findings,
                        f"{post.rows:,} posts + {acct.rows:,} accounts",
                        show_rate=False,
                    )
                )
        for scope in result.peers:
            guarded_run, naive_run = result.peers[scope]
            measurements += [
                result.ours_same[scope].measurement,
                guarded_run.measurement,
                naive_run.measurement,
            ]

        print(f"== {title}: {count_by_scope(ruleset)} ==")
        print(table(measurements))
        print()
        for run in [*result.ours_posts, *([account_run] if account_run else [])]:
            m = run.measurement
            print(
                f"ours on {m.rows:,} {m.scope}s: evaluate {run.evaluate_seconds:.4f} s "
                f"+ fired_pairs {run.pairs_seconds:.4f} s"
            )
        for scope, (guarded_run, naive_run) in result.peers.items():
            frame = samples[scope]
            fired = ours_fired(ruleset, frame, scope)
            print(
                f"agreement on the peer's {len(frame):,} {scope}s (fired = requires and "
                "condition known to be true):"
            )
            agreed, lines = agreement(
                "guarded peer", fired, guarded_run.fired, frame, ruleset, scope
            )
            all_agree = all_agree and agreed
            print("\n".join(lines))
            _, lines = agreement(
                "naive peer (reference)", fired, naive_run.fired, frame, ruleset, scope
            )
            print("\n".join(lines))

        headline = max(result.ours_posts, key=lambda r: r.measurement.rows).measurement
        guarded_run, naive_run = result.peers["post"]
        fastest_peer = max(guarded_run.measurement.rate, naive_run.measurement.rate)
        ratio = headline.rate / fastest_peer
        same = result.ours_same["post"].measurement
        print(
            f"post rules, speed ratio, posts per second, ours at {headline.rows:,} / peer: "
            f"{headline.rate / guarded_run.measurement.rate:,.0f}x vs guarded, "
            f"{headline.rate / naive_run.measurement.rate:,.0f}x vs naive; "
            f"same {same.rows:,} rows: {same.rate / fastest_peer:,.0f}x vs the faster peer"
        )
        if "account" in result.peers and account_run is not None:
            guarded_acct, naive_acct = result.peers["account"]
            fastest_acct = max(guarded_acct.measurement.rate, naive_acct.measurement.rate)
            acct = account_run.measurement
            print(
                f"account rules, speed ratio, accounts per second, ours at {acct.rows:,} / "
                f"faster peer: {acct.rate / fastest_acct:,.0f}x"
            )
        print(f"headline: {headline.rate:,.0f} posts/s (post rules, {headline.rows:,} posts)")
        print()

        if ruleset is full:
            at_goal = [r.measurement for r in result.ours_posts if r.measurement.rows == GOAL_POSTS]
            if at_goal:
                seconds = at_goal[0].seconds
                verdict = "MET" if seconds < GOAL_SECONDS else "NOT MET"
                extra = ""
                if account_run is not None:
                    total = seconds + account_run.measurement.seconds
                    extra = (
                        f"; with the account rules on {account_run.measurement.rows:,} "
                        f"accounts: {total:.3f} s"
                    )
                goal_lines.append(
                    f'goal "1,000,000 posts in under 1 s" (full pack, post rules): {verdict} '
                    f"({seconds:.3f} s{extra})"
                )
            else:
                goal_lines.append(
                    'goal "1,000,000 posts in under 1 s" (full pack, post rules): not measured '
                    "(add 1000000 to --sizes)"
                )
            verdict = "MET" if ratio >= GOAL_RATIO else "NOT MET"
            goal_lines.append(
                f'goal "at least 50x the per-row peer" (full pack, post rules): {verdict} '
                f"({ratio:,.0f}x the faster peer translation, ours at {headline.rows:,} posts)"
            )

    print("\n".join(goal_lines))
    print(f"engines agree: {'yes' if all_agree else 'NO'}")
    return 0 if all_agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
