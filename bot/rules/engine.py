"""Evaluate a RuleSet over a metrics frame: vectorised, pure, deterministic.

For every (rule, post) the engine decides one of four outcomes:

    fired      the condition holds
    quiet      the condition does not hold
    not_ready  the rule's `requires` does not hold yet (e.g. the post is too young)
    no_data    a value the rule reads is missing, so it cannot tell
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bot.rules.loader import Rule, RuleSet
from bot.rules.model import SEVERITIES

QUIET, FIRED, NOT_READY, NO_DATA = 0, 1, 2, 3
OUTCOMES = ("quiet", "fired", "not_ready", "no_data")
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    """One rule that fired on one post, with the numbers behind it."""

    rule: str
    post: str
    severity: str
    values: dict[str, float | None]
    params: dict[str, float]
    template: str
    tags: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "post": self.post,
            "severity": self.severity,
            "values": self.values,
            "params": self.params,
        }


@dataclass(frozen=True)
class Evaluation:
    """Outcomes of every rule on every post; findings are built on demand."""

    ruleset: RuleSet
    metrics: pd.DataFrame
    outcomes: dict[str, np.ndarray]

    def outcome(self, rule_id: str, post: str) -> str:
        position = self.metrics.index.get_loc(post)
        return OUTCOMES[int(self.outcomes[rule_id][position])]

    def fired_pairs(self) -> pd.DataFrame:
        """(rule, post, severity) of every finding, as a frame: cheap at any size."""
        frames = []
        posts = self.metrics.index.to_numpy()
        for rule in self.ruleset.rules:
            hits = np.flatnonzero(self.outcomes[rule.id] == FIRED)
            if len(hits):
                frames.append(
                    pd.DataFrame(
                        {
                            "rule": rule.id,
                            "post": posts[hits],
                            "severity": rule.spec.severity,
                            "position": hits,
                        }
                    )
                )
        if not frames:
            return pd.DataFrame(columns=["rule", "post", "severity", "position"])
        return pd.concat(frames, ignore_index=True)

    def findings(self) -> list[Finding]:
        """Typed findings ordered by post (frame order), severity, then rule id."""
        out = []
        for rule in self.ruleset.rules:
            for position in np.flatnonzero(self.outcomes[rule.id] == FIRED):
                out.append((int(position), rule))
        out.sort(key=lambda item: (item[0], _SEVERITY_RANK[item[1].spec.severity], item[1].id))
        return [self._finding(rule, position) for position, rule in out]

    def _finding(self, rule: Rule, position: int) -> Finding:
        row = self.metrics.iloc[position]
        return Finding(
            rule=rule.id,
            post=str(self.metrics.index[position]),
            severity=rule.spec.severity,
            values={name: _plain(row[name]) for name in rule.reads},
            params=dict(rule.spec.params),
            template=rule.spec.template_name,
            tags=tuple(rule.spec.tags),
        )

    def pending(self, post: str) -> list[tuple[Rule, str]]:
        """Rules that could not judge `post` yet, with the outcome that says why."""
        position = self.metrics.index.get_loc(post)
        return [
            (rule, OUTCOMES[int(self.outcomes[rule.id][position])])
            for rule in self.ruleset.rules
            if self.outcomes[rule.id][position] in (NOT_READY, NO_DATA)
        ]


def evaluate(ruleset: RuleSet, metrics: pd.DataFrame) -> Evaluation:
    """Run every rule over every row of `metrics` (one row per post)."""
    rows = len(metrics)
    columns: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        if name not in columns:
            columns[name] = metrics[name].to_numpy(dtype=float, na_value=np.nan)
        return columns[name]

    outcomes: dict[str, np.ndarray] = {}
    for rule in ruleset.rules:
        params = dict(rule.spec.params)
        outcome = np.full(rows, QUIET, dtype=np.int8)
        verdict = rule.condition.evaluate(
            {n: column(n) for n in rule.condition.names}, params, rows
        )
        outcome[verdict.true] = FIRED
        outcome[~verdict.known] = NO_DATA
        if rule.requires is not None:
            ready = rule.requires.evaluate(
                {n: column(n) for n in rule.requires.names}, params, rows
            )
            outcome[ready.false] = NOT_READY
            outcome[~ready.known] = NO_DATA
        outcomes[rule.id] = outcome
    return Evaluation(ruleset, metrics, outcomes)


def _plain(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
