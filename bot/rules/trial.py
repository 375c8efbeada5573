"""Try each rule on sample rows before it is served: every value shape it could meet.

`rules check` and the live reload accept a rule only if its `requires` and
`condition` evaluate, its findings and `why` explanations build, on rows where
each metric it reads is typical, zero, missing, negative, huge or tiny, in
every mix, for every kind of account and every account an override names, and
on no rows and on one. The compiler is meant to handle every shape it accepts;
this is the net under it, so that what the check passes cannot fail in a reply.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from bot.errors import Problem
from bot.metrics.catalogue import SCOPES
from bot.metrics.table import Table
from bot.rules.engine import evaluate
from bot.rules.loader import Rule, RuleSet

#: A typical value per unit (as templates are rendered with at check time).
TYPICAL = {
    "count": 1234.0,
    "hours": 80.0,
    "ratio": 5.6,
    "share": 0.031,
    "per_1k": 4.2,
    "multiple": 2.4,
    "hour": 6.0,
    "flag": 1.0,
}

#: The shapes a value takes, by name, as a factor of the typical value (None:
#: missing); the first is the typical value itself.
SHAPES: dict[str, float | None] = {
    "typical": 1.0,
    "zero": 0.0,
    "missing": None,
    "negative": -1.0,
    "huge": 1e300,
    "tiny": 1e-300,
}

#: Rows of random mixes of shapes, on top of the systematic ones (seeded: the
#: check says the same thing every time).
MIXED_ROWS = 24


def check_rule_conditions(rule: Rule) -> list[Problem]:
    """Evaluate `rule` on sample frames of every value shape; one problem if anything
    fails, saying on which values."""
    for label, frame in sample_frames(rule):
        try:
            _exercise(rule, frame)
        except Exception as exc:  # anything at all: the check stands in for a reply
            return [
                Problem(
                    rule.file,
                    rule.line,
                    rule.column,
                    f"the rule fails when evaluated on {label} ({type(exc).__name__}: {exc}); "
                    "simplify its condition, and please report this as a bug",
                    rule=rule.id,
                )
            ]
    return []


def sample_frames(rule: Rule) -> list[tuple[str, Table]]:
    """(what the rows hold, frame): no rows, one typical row, one row per shape of
    each value the rule reads, and random mixes, over every account it overrides."""
    scope = rule.spec.scope
    catalogue = SCOPES[scope]
    columns = list(catalogue)
    typical = np.array([TYPICAL.get(catalogue[name].unit, 1.0) for name in columns])
    read = [columns.index(n) for n in rule.reads if n in catalogue]
    factors = np.array([np.nan if f is None else f for f in SHAPES.values()])
    shapes = len(factors)
    # Each row: a shape (an index into `factors`) per value read; the rest typical.
    every_shape = np.repeat(np.arange(shapes)[:, None], len(read), axis=1)
    one_at_a_time = np.zeros((len(read) * shapes, len(read)), dtype=int)  # 0: typical
    for i in range(len(read)):
        one_at_a_time[i * shapes : (i + 1) * shapes, i] = np.arange(shapes)
    mixes = np.random.default_rng(0).integers(shapes, size=(MIXED_ROWS, len(read)))
    chosen = np.concatenate([every_shape, one_at_a_time, mixes])
    values = np.tile(typical, (len(chosen), 1))
    values[:, read] = typical[read] * factors[chosen]
    owners = _owners(rule)
    cycled = list(itertools.islice(itertools.cycle(owners), len(values)))
    return [
        ("no rows", _frame(np.empty((0, len(columns))), [], scope)),
        ("one row of typical values", _frame(typical[None, :], owners[:1], scope)),
        (
            "values that are typical, zero, missing, negative, huge or tiny",
            _frame(values, cycled, scope),
        ),
    ]


def _owners(rule: Rule) -> list[tuple[str, str | None]]:
    """(account, kind) pairs: each kind, no kind, and every account an override names."""
    owners: list[tuple[str, str | None]] = [
        ("sample", "member"),
        ("sample-page", "organization"),
        ("sample-unknown", None),
    ]
    for override in rule.spec.overrides:
        if override.account is not None:
            owners.extend((override.account, kind) for kind in ("member", "organization"))
    return owners


def _frame(values: np.ndarray, owners: list[tuple[str, str | None]], scope: str) -> Table:
    rows = values.shape[0]
    columns: dict[str, np.ndarray] = {
        name: np.ascontiguousarray(values[:, i], dtype=float)
        for i, name in enumerate(SCOPES[scope])
    }
    if scope == "post":
        index = [f"sample-{i}" for i in range(rows)]
    else:
        # One row per account in a frame of accounts: number them apart.
        index = [f"{account}#{i}" for i, (account, _) in enumerate(owners)]
    columns["account"] = _objects([account for account, _ in owners])
    columns["account_kind"] = _objects([kind for _, kind in owners])
    return Table(columns, _objects(index), scope)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _exercise(rule: Rule, frame: Table) -> Any:
    """What a reply does with a rule: evaluate, build findings, explain every row."""
    evaluation = evaluate(RuleSet((rule,), ()), frame, rule.spec.scope)
    evaluation.findings()
    evaluation.fired_pairs()
    for subject in frame.index.tolist():
        evaluation.explain(str(subject))
        evaluation.pending(str(subject))
    return evaluation
