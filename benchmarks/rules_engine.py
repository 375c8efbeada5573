"""Benchmark: our vectorised rules engine against a per-row peer (the `rule-engine` package).

What it measures
----------------
* ours: `bot.rules.engine.evaluate(pack.ruleset, frame)` followed by
  `evaluation.fired_pairs()` (the findings table) over a synthetic metrics frame
  of N posts, for each N in --sizes, plus once on the peer's rows for a
  same-size comparison. The default rule pack (rules/, narratives/) is loaded
  and checked first, outside the timing.
* peer: the same rules evaluated one post at a time with zeroSteiner's
  `rule-engine`. Each rule's `requires` and `condition` are translated to
  rule-engine syntax with the params written in as literal numbers, compiled
  once (`rule_engine.Rule(text)`, outside the timing), then `rule.matches(row)`
  is timed for every rule on every row dict (rule-engine turns each float it
  reads into a Decimal; that is part of its cost). Row-by-row is slow, so the
  peer runs on a frame of --peer-rows posts only (same generator and seed);
  its posts/second is measured on those rows, and ours is measured on them too.

Our engine uses three-valued logic: a comparison that reads a missing value is
"unknown", `True or unknown` is True, `False and unknown` is False, and a rule
fires only where `requires` and `condition` are both known to be true. The
peer sees missing values as None, where rule-engine raises on `None < 1`. So
the main peer translation ("guarded") puts `x != null` before each comparison
that reads x (and `d != 0` before each division by d), which gives exactly our
semantics. A second, naive translation catches `rule_engine.errors.EvaluationError`
per row and counts it as not fired; it is timed for reference and shows why the
guards are needed (`a or b` errors out when `a` is missing even if `b` is true).

The synthetic data: one column per metric of `bot.metrics.catalogue.CATALOGUE`
in realistic ranges for its unit (counts derived from each other, ratios and
shares computed from the counts, *_vs_account against per-account medians of
mature posts), an `account` column, post ids as the index, a fixed numpy seed,
and about 3 % of values (--nan-share) set missing at random on top of the
values that are missing by nature (curve metrics of posts younger than 72 h,
ratios over zero).

How to read the output
----------------------
One table row per (engine, size): seconds is the best of --repeat runs (the
garbage collector paused, as timeit does); posts/s = posts / seconds; findings
is the number of (rule, post) pairs that fired. The peer builds its row dicts
(NaN -> None) before the clock starts, which favours the peer. Below the table:
whether both engines fire on exactly the same (rule, post) pairs of the peer's
rows, the speed ratio (posts per second, ours at the largest size / peer), and
the two goals: 1,000,000 posts in under 1 s, and at least 50x the per-row peer
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

from bot.metrics.catalogue import CATALOGUE, CURVE_HOURS
from bot.pack import load_pack
from bot.rules.engine import FIRED, evaluate
from bot.rules.loader import Rule, RuleSet

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
NARRATIVES_DIR = REPO / "narratives"

DEFAULT_SEED = 20260101
POSTS_PER_ACCOUNT = 50
GOAL_POSTS = 1_000_000
GOAL_SECONDS = 1.0
GOAL_RATIO = 50.0

T = TypeVar("T")
Pair = tuple[str, int]  # (rule id, row position)


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


def make_metrics(n: int, seed: int, nan_share: float) -> tuple[pd.DataFrame, list[str]]:
    """A deterministic metrics frame of `n` posts shaped like bot.metrics.compute's output.

    Also returns the catalogue metrics this function does not model (filled from
    their unit alone), so a metric added to the catalogue later is noticed.
    """
    rng = np.random.default_rng(seed)
    accounts = max(1, n // POSTS_PER_ACCOUNT)
    account = rng.integers(0, accounts, n)
    m: dict[str, np.ndarray] = {}

    age = rng.exponential(200.0, n) + 0.5
    m["post_age_hours"] = age
    m["hours_observed"] = age * rng.uniform(0.85, 1.0, n)
    mature = m["hours_observed"] >= CURVE_HOURS
    audience = rng.lognormal(np.log(3000.0), 1.3, accounts)
    followers = np.maximum(np.round(audience[account] * rng.uniform(0.97, 1.03, n)), 1.0)
    m["followers"] = followers

    grown = 1.0 - np.exp(-age / 20.0)  # young posts have not gathered their impressions yet
    impressions = np.round(followers * rng.lognormal(np.log(0.6), 1.1, n) * grown)
    members = np.maximum(np.round(impressions / (1.0 + rng.lognormal(0.0, 0.7, n))), 1.0)
    members = np.minimum(members, np.maximum(impressions, 1.0))
    rate = np.clip(rng.lognormal(np.log(0.03), 0.8, n), 0.0, 1.0)
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
    m["peak_hour"] = np.minimum(1.0 + np.floor(rng.gamma(2.0, 2.0, n)), float(CURVE_HOURS))
    first = rng.beta(6.0, 2.5, n)
    m["share_first_24h"] = np.where(mature, first, np.nan)
    m["share_48_72h"] = np.where(mature, (1.0 - first) * rng.beta(2.0, 5.0, n), np.nan)
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

    columns: dict[str, Any] = {}
    generic = [name for name in CATALOGUE if name not in m]
    labels = np.array([f"acct-{i:05d}" for i in range(accounts)], dtype=object)
    columns["account"] = labels[account]
    for name, metric in CATALOGUE.items():
        values = m[name] if name in m else _by_unit(metric.unit, rng, n)
        missing = rng.random(n) < nan_share
        columns[name] = np.where(missing, np.nan, values)
    index = pd.Index([f"post-{i:07d}" for i in range(n)], name="post")
    return pd.DataFrame(columns, index=index), generic


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


def peer_text(rule: Rule, guarded: bool) -> str:
    """The rule as one rule-engine expression: requires (if any) and condition."""
    translator = Translator(dict(rule.spec.params), guarded)
    condition = translator.translate(rule.spec.condition)
    if rule.spec.requires is None:
        return condition
    return f"{translator.translate(rule.spec.requires)} and {condition}"


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
    posts: int
    seconds: float
    findings: int
    note: str = ""

    @property
    def rate(self) -> float:
        return self.posts / self.seconds


@dataclass(frozen=True)
class OursRun:
    measurement: Measurement
    evaluate_seconds: float
    pairs_seconds: float


def run_ours(ruleset: RuleSet, frame: pd.DataFrame, repeat: int, note: str = "") -> OursRun:
    best: tuple[float, float, int] | None = None
    for _ in range(repeat):
        eval_seconds, evaluation = timed(lambda: evaluate(ruleset, frame))
        pairs_seconds, pairs = timed(evaluation.fired_pairs)
        if best is None or eval_seconds + pairs_seconds < best[0] + best[1]:
            best = (eval_seconds, pairs_seconds, len(pairs))
    assert best is not None
    measurement = Measurement(
        "ours: evaluate + fired_pairs", len(frame), best[0] + best[1], best[2], note
    )
    return OursRun(measurement, best[0], best[1])


def ours_fired(ruleset: RuleSet, frame: pd.DataFrame) -> set[Pair]:
    outcomes = evaluate(ruleset, frame).outcomes
    return {
        (rule.id, int(position))
        for rule in ruleset.rules
        for position in np.flatnonzero(outcomes[rule.id] == FIRED)
    }


@dataclass(frozen=True)
class PeerRun:
    measurement: Measurement
    fired: set[Pair]
    errors: int


def peer_rows(frame: pd.DataFrame) -> list[dict[str, float | None]]:
    """One dict per post with the catalogue metrics; missing values become None."""
    records = frame[list(CATALOGUE)].to_dict("records")
    return [{k: (None if v != v else v) for k, v in record.items()} for record in records]


def match_all(
    rules: Sequence[tuple[str, rule_engine.Rule]], rows: Sequence[Mapping[str, Any]]
) -> tuple[list[Pair], int]:
    """The per-row engine: every rule on every post, one post at a time."""
    fired: list[Pair] = []
    errors = 0
    for position, row in enumerate(rows):
        for rule_id, rule in rules:
            try:
                if rule.matches(row):
                    fired.append((rule_id, position))
            except rule_engine.errors.EvaluationError:
                errors += 1
    return fired, errors


def run_peer(
    name: str,
    rules: Sequence[tuple[str, rule_engine.Rule]],
    rows: Sequence[Mapping[str, Any]],
    repeat: int,
) -> PeerRun:
    best: tuple[float, list[Pair], int] | None = None
    for _ in range(repeat):
        seconds, (fired, errors) = timed(lambda: match_all(rules, rows))
        if best is None or seconds < best[0]:
            best = (seconds, fired, errors)
    assert best is not None
    seconds, fired, errors = best
    note = f"measured on {len(rows):,} rows"
    if errors:
        note += f"; {errors:,} EvaluationErrors counted as not fired"
    return PeerRun(Measurement(name, len(rows), seconds, len(fired), note), set(fired), errors)


# -- output -----------------------------------------------------------------------------


def table(measurements: Sequence[Measurement]) -> str:
    header = ("engine", "posts", "seconds", "posts/s", "findings", "note")
    rows = [
        (m.engine, f"{m.posts:,}", f"{m.seconds:.4f}", f"{m.rate:,.0f}", f"{m.findings:,}", m.note)
        for m in measurements
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 3, 4}

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
    examples: int = 3,
) -> tuple[bool, list[str]]:
    only_ours = sorted(ours - peer, key=lambda p: (p[1], p[0]))
    only_peer = sorted(peer - ours, key=lambda p: (p[1], p[0]))
    same = not only_ours and not only_peer
    lines = [
        f"  {label}: {'AGREE' if same else 'DISAGREE'}: {len(ours & peer):,} (rule, post) pairs "
        f"fired in both, {len(only_ours):,} only in ours, {len(only_peer):,} only in the peer"
    ]
    for title, pairs in (("only ours", only_ours), ("only peer", only_peer)):
        for rule_id, position in pairs[:examples]:
            rule = ruleset.get(rule_id)
            assert rule is not None
            row = frame.iloc[position]
            values = ", ".join(f"{n}={row[n]:.6g}" for n in rule.reads if n in CATALOGUE)
            lines.append(f"    {title}: {rule_id} on {frame.index[position]}: {values}")
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
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[100_000, 1_000_000],
        help="posts per synthetic frame for our engine (default 100000,1000000)",
    )
    parser.add_argument(
        "--peer-rows",
        type=positive,
        default=20_000,
        help="posts the per-row peer is timed on (default 20000)",
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
    ruleset = pack.ruleset
    guarded = [(r.id, rule_engine.Rule(peer_text(r, guarded=True))) for r in ruleset.rules]
    naive = [(r.id, rule_engine.Rule(peer_text(r, guarded=False))) for r in ruleset.rules]

    print("Rules engine benchmark: bot.rules.engine (vectorised) vs rule-engine (per row)")
    print(
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"rule-engine {rule_engine.__version__}"
    )
    print(
        f"rule pack: {len(ruleset.rules)} rules from {', '.join(ruleset.files)}; data: "
        f"{len(CATALOGUE)} metrics + account, seed {args.seed}, {args.nan_share:.0%} missing "
        "at random"
    )
    sample, generic = make_metrics(args.peer_rows, args.seed, args.nan_share)
    if generic:
        print(f"note: metrics filled from their unit only: {', '.join(generic)}")
    print(
        f"timing: best of {args.repeat} runs, garbage collector paused; ours = evaluate() + "
        "fired_pairs(); peer = rule.matches(row) for every rule and row, with the rules "
        "compiled and the row dicts built before the clock starts"
    )
    if args.show_rules:
        for (rule_id, rule), (_, plain) in zip(guarded, naive, strict=True):
            print(f"  {rule_id}\n    guarded: {rule.text}\n    naive:   {plain.text}")
    print()

    measurements: list[Measurement] = []
    ours_runs: list[OursRun] = []
    for size in args.sizes:
        progress(f"building {size:,} posts")
        frame, _ = make_metrics(size, args.seed, args.nan_share)
        progress(f"timing ours on {size:,} posts")
        run = run_ours(ruleset, frame, args.repeat)
        ours_runs.append(run)
        measurements.append(run.measurement)
        del frame

    rows = peer_rows(sample)
    ours_same = run_ours(ruleset, sample, args.repeat, note="same rows as the peer")
    measurements.append(ours_same.measurement)
    progress(f"timing rule-engine (guarded) on {args.peer_rows:,} posts")
    peer = run_peer("rule-engine, per row (guarded)", guarded, rows, args.repeat)
    progress(f"timing rule-engine (naive) on {args.peer_rows:,} posts")
    peer_naive = run_peer("rule-engine, per row (naive)", naive, rows, args.repeat)
    measurements += [peer.measurement, peer_naive.measurement]

    print(table(measurements))
    print()
    for run in ours_runs:
        m = run.measurement
        print(
            f"ours on {m.posts:,} posts: evaluate {run.evaluate_seconds:.4f} s "
            f"+ fired_pairs {run.pairs_seconds:.4f} s"
        )
    print()

    fired = ours_fired(ruleset, sample)
    print(
        f"agreement on the peer's {args.peer_rows:,} posts (fired = requires and condition "
        "known to be true):"
    )
    agreed, lines = agreement("guarded peer", fired, peer.fired, sample, ruleset)
    print("\n".join(lines))
    _, lines = agreement("naive peer (reference)", fired, peer_naive.fired, sample, ruleset)
    print("\n".join(lines))
    print()

    headline = max(ours_runs, key=lambda r: r.measurement.posts).measurement
    fastest_peer = max(peer.measurement.rate, peer_naive.measurement.rate)
    ratio = headline.rate / fastest_peer
    print(
        f"speed ratio, posts per second, ours at {headline.posts:,} / peer: "
        f"{headline.rate / peer.measurement.rate:,.0f}x vs guarded, "
        f"{headline.rate / peer_naive.measurement.rate:,.0f}x vs naive; "
        f"same {args.peer_rows:,} rows: "
        f"{ours_same.measurement.rate / fastest_peer:,.0f}x vs the faster peer"
    )
    at_goal = [r.measurement for r in ours_runs if r.measurement.posts == GOAL_POSTS]
    if at_goal:
        seconds = at_goal[0].seconds
        verdict = "MET" if seconds < GOAL_SECONDS else "NOT MET"
        print(f'goal "1,000,000 posts in under 1 s": {verdict} ({seconds:.3f} s)')
    else:
        print('goal "1,000,000 posts in under 1 s": not measured (add 1000000 to --sizes)')
    verdict = "MET" if ratio >= GOAL_RATIO else "NOT MET"
    print(
        f'goal "at least 50x the per-row peer": {verdict} ({ratio:,.0f}x the faster peer '
        f"translation, ours at {headline.posts:,} posts)"
    )
    print(f"engines agree: {'yes' if agreed else 'NO'}")
    return 0 if agreed else 1


if __name__ == "__main__":
    raise SystemExit(main())
