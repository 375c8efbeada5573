"""Evaluate a RuleSet over a metrics frame: vectorised, pure, deterministic.

A frame is one row per subject: a post (index: post id, with `account` and
`account_kind` columns) or an account (index: account id, with `account_kind`).
For every (rule, subject) the engine decides one of five outcomes:

    fired      the condition holds
    quiet      the condition does not hold
    not_ready  the rule's `requires` does not hold yet (e.g. the post is too young)
    no_data    a value the rule reads is missing, so it cannot tell
    undefined  a calculation in it has no value (a division by zero), so it cannot tell

Params are resolved per row: the rule's defaults, then an override for the
row's account kind, then one for the account itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.metrics.observed import as_text
from bot.metrics.table import Table
from bot.rules.expr import Truth
from bot.rules.loader import Rule, RuleSet
from bot.rules.model import SEVERITIES

if TYPE_CHECKING:
    import pandas as pd

QUIET, FIRED, NOT_READY, NO_DATA, UNDEFINED = 0, 1, 2, 3, 4
OUTCOMES = ("quiet", "fired", "not_ready", "no_data", "undefined")
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    """One rule that fired on one subject, with the numbers behind it."""

    rule: str
    subject: str
    scope: str
    severity: str
    values: dict[str, float | None]
    params: dict[str, int | float]
    param_sources: dict[str, str]
    template: str
    tags: tuple[str, ...]

    @property
    def post(self) -> str:
        return self.subject

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            self.scope: self.subject,
            "severity": self.severity,
            "values": self.values,
            "params": self.params,
        }


@dataclass(frozen=True)
class Explanation:
    """Why a rule did or did not fire on one subject."""

    rule: Rule
    outcome: str
    values: dict[str, float | None]
    params: dict[str, int | float]
    param_sources: dict[str, str]
    #: When the outcome is `undefined`: each calculation without a value, in words.
    undefined: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """Outcomes of every rule of one scope on every row; findings are built on demand."""

    rules: tuple[Rule, ...]
    frame: Table
    outcomes: dict[str, np.ndarray]
    params: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    #: Metric columns as floats, by name: filled by `evaluate`, read again by findings.
    columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def outcome(self, rule_id: str, subject: str) -> str:
        position = self.frame.position(subject)
        return OUTCOMES[int(self.outcomes[rule_id][position])]

    def fired_pairs(self) -> Table:
        """(rule, subject position) of every finding, as a table: cheap at any size."""
        rules, positions = [], []
        for rule in self.rules:
            hits = np.flatnonzero(self.outcomes[rule.id] == FIRED)
            labels = np.empty(len(hits), dtype=object)
            labels.fill(rule.id)  # one shared string, not one per finding
            rules.append(labels)
            positions.append(hits)
        if not rules:
            return Table.build({"rule": np.empty(0, object), "position": np.empty(0, np.intp)})
        return Table.build({"rule": np.concatenate(rules), "position": np.concatenate(positions)})

    def findings(self) -> list[Finding]:
        """Typed findings ordered by row (frame order), severity, then rule id."""
        hits = [
            (int(position), rule)
            for rule in self.rules
            for position in np.flatnonzero(self.outcomes[rule.id] == FIRED)
        ]
        hits.sort(key=lambda item: (item[0], _SEVERITY_RANK[item[1].spec.severity], item[1].id))
        out = []
        for position, rule in hits:
            explained = self._explain(rule, position)
            out.append(
                Finding(
                    rule=rule.id,
                    subject=str(self.frame.index[position]),
                    scope=rule.spec.scope,
                    severity=rule.spec.severity,
                    values=explained.values,
                    params=explained.params,
                    param_sources=explained.param_sources,
                    template=rule.spec.template_name,
                    tags=tuple(rule.spec.tags),
                )
            )
        return out

    def explain(self, subject: str) -> list[Explanation]:
        """Every rule's outcome on `subject`, with the values and params it read."""
        position = self.frame.position(subject)
        return [self._explain(rule, position) for rule in self.rules]

    def pending(self, subject: str) -> list[tuple[Rule, str]]:
        """Rules that could not judge `subject` yet, with the outcome that says why."""
        position = self.frame.position(subject)
        return [
            (rule, OUTCOMES[code])
            for rule in self.rules
            if (code := int(self.outcomes[rule.id][position])) in (NOT_READY, NO_DATA, UNDEFINED)
        ]

    def _column(self, name: str) -> np.ndarray:
        """A metric column as floats, converted once per evaluation."""
        if name not in self.columns:
            self.columns[name] = metric_column(self.frame, name)
        return self.columns[name]

    def _explain(self, rule: Rule, position: int) -> Explanation:
        params = {
            name: _param(value[position] if isinstance(value, np.ndarray) else value)
            for name, value in self.params[rule.id].items()
        }
        sources = {
            name: str(value[position] if isinstance(value, np.ndarray) else value)
            for name, value in self.sources[rule.id].items()
        }
        code = int(self.outcomes[rule.id][position])
        return Explanation(
            rule=rule,
            outcome=OUTCOMES[code],
            values={name: _plain(self._column(name)[position]) for name in rule.reads},
            params=params,
            param_sources=sources,
            undefined=self.undefined_parts(rule, position) if code == UNDEFINED else (),
        )

    def undefined_parts(self, rule: Rule, position: int) -> tuple[str, ...]:
        """The calculations without a value on one row, in words: the `requires`' when
        it is the one that could not tell, else the condition's."""
        params = {
            name: value[position] if isinstance(value, np.ndarray) else value
            for name, value in self.params[rule.id].items()
        }
        parts: list[str] = []
        for expression in (rule.requires, rule.condition):
            if expression is not None:
                row = {n: self._column(n)[position] for n in expression.names}
                parts.extend(p for p in expression.undefined_parts(row, params) if p not in parts)
                if parts:
                    break
        return tuple(parts)


def resolve_params(
    rule: Rule,
    frame: Table | pd.DataFrame,
    owners: tuple[np.ndarray, np.ndarray] | None = None,
    matches: dict[tuple[str, str | None], np.ndarray] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each param as a scalar (no override applies) or one value per row, and where
    each value came from ("default", "kind:organization", "account:acme").
    `owners` is `row_owners(frame)`, when the caller has it already; `matches` keeps
    the rows each override target matches, for the next rule of the same frame
    (comparing a million account kinds as strings costs more than a rule)."""
    params: dict[str, Any] = dict(rule.spec.params)
    sources: dict[str, Any] = dict.fromkeys(params, "default")
    if not rule.spec.overrides:
        return params, sources
    rows = len(frame)
    accounts, kinds = owners if owners is not None else row_owners(Table.of(frame))
    # Kind overrides first, so an override for one account wins over its kind's.
    ordered = sorted(rule.spec.overrides, key=lambda o: o.account is not None)
    for override in ordered:
        key = ("account", override.account) if override.account else ("kind", override.account_kind)
        match = matches.get(key) if matches is not None else None
        if match is None:
            match = (
                (accounts == override.account)
                if override.account
                else (kinds == override.account_kind)
            )
            if matches is not None:
                matches[key] = match
        if not match.any():
            continue
        for name, value in override.params.items():
            current = params[name]
            array = np.broadcast_to(np.asarray(current, dtype=float), (rows,)).copy()
            array[match] = value
            params[name] = array
            source = np.broadcast_to(np.asarray(sources[name], dtype=object), (rows,)).copy()
            source[match] = override.label
            sources[name] = source
    return params, sources


def row_owners(frame: Table) -> tuple[np.ndarray, np.ndarray]:
    """Each row's account and account kind, as overrides match them."""
    owner = frame.get("account")
    accounts = as_text(frame.index if owner is None else owner)
    kinds = (
        np.asarray(frame["account_kind"], dtype=object)
        if "account_kind" in frame
        else np.full(len(frame), None, dtype=object)
    )
    return accounts, kinds


def metric_column(frame: Table, name: str) -> np.ndarray:
    """A metric column as float64, NaN where missing; KeyError if the frame has none."""
    if name not in frame:
        raise KeyError(name)
    return frame.floats(name)


def evaluate(ruleset: RuleSet, frame: Table | pd.DataFrame, scope: str = "post") -> Evaluation:
    """Run every rule of `scope` over every row of `frame` (a Table, or a pandas frame
    with the same columns and index)."""
    table = Table.of(frame)
    rules = ruleset.scoped(scope)
    rows = len(table)
    columns = {n: v for n, v in table.columns.items() if v.dtype == np.float64}
    owners = row_owners(table) if any(rule.spec.overrides for rule in rules) else None

    def column(name: str) -> np.ndarray:
        if name not in columns:
            columns[name] = metric_column(table, name)
        return columns[name]

    outcomes: dict[str, np.ndarray] = {}
    all_params: dict[str, dict[str, Any]] = {}
    all_sources: dict[str, dict[str, Any]] = {}
    matches: dict[tuple[str, str | None], np.ndarray] = {}
    for rule in rules:
        params, sources = resolve_params(rule, table, owners, matches)
        all_params[rule.id], all_sources[rule.id] = params, sources
        verdict = rule.condition.evaluate(
            {n: column(n) for n in rule.condition.names}, params, rows
        )
        outcome = _decided(verdict, verdict.true.astype(np.int8))
        if rule.requires is not None:
            ready = rule.requires.evaluate(
                {n: column(n) for n in rule.requires.names}, params, rows
            )
            outcome = _decided(ready, np.where(ready.value, outcome, NOT_READY).astype(np.int8))
        outcomes[rule.id] = outcome
    return Evaluation(rules, table, outcomes, all_params, all_sources, columns)


def _decided(truth: Truth, known: np.ndarray) -> np.ndarray:
    """`known` where the truth is known; elsewhere why not: no data or undefined."""
    if truth.known.all():
        return known
    unknown = np.where(truth.undefined, UNDEFINED, NO_DATA).astype(np.int8)
    return np.where(truth.known, known, unknown).astype(np.int8)


def _param(value: Any) -> int | float:
    """A param as written: whole numbers stay whole (5, not 5.0)."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _plain(value: Any) -> float | None:
    """A metric value for findings and JSON: None when missing, and 12 significant
    digits, so float noise from summation order (92952.62500000003) never shows."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else float(f"{number:.12g}")


def decide(
    rule: Rule, columns: dict[str, np.ndarray], params: dict[str, Any], rows: int
) -> np.ndarray:
    """The outcome codes of one rule on `rows` rows given as columns: what `evaluate`
    decides, for callers that vary a param (`narrator rules test` finding which
    threshold an expectation was written for)."""
    verdict = rule.condition.evaluate(columns, params, rows)
    outcome = _decided(verdict, verdict.true.astype(np.int8))
    if rule.requires is not None:
        ready = rule.requires.evaluate(columns, params, rows)
        outcome = _decided(ready, np.where(ready.value, outcome, NOT_READY).astype(np.int8))
    return outcome
