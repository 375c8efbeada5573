"""Every condition the compiler accepts evaluates, on any frame, to what a plain
row-by-row reading of the language says: operators x operand kinds enumerated,
then random conditions and random token soup, each on frames of no rows, one
row, and every mix of typical, zero, missing, negative, huge and tiny values.

The reference below reads one row with Python floats: a missing value is
MISSING, a division by zero or a result past float's range is UNDEFINED, and
MISSING wins over UNDEFINED; `and`/`or` are Kleene's.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from bot.errors import ExpressionError
from bot.rules.expr import compile_expression

METRICS = ["m1", "m2"]
PARAMS = ["p", "q"]  # p: one value for all rows; q: one per row (an override)
VALUES = [1.5, 0.0, math.nan, -2.0, 1e300, 1e-300]
MISSING, UNDEFINED = "missing", "undefined"

LEAVES = ["2.5", "0", "p", "q", "m1", "m2"]
ARITH = ["+", "-", "*", "/"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]


def frames():
    """(columns, params, rows): no rows, one row, every pair of values of m1 and m2."""
    pairs = list(itertools.product(VALUES, VALUES))
    full = {
        "m1": np.array([a for a, _ in pairs]),
        "m2": np.array([b for _, b in pairs]),
    }
    q = np.resize(np.array([3.0, 0.0, -1e300, 1e-300, -1.0]), len(pairs))
    yield {k: v[:0] for k, v in full.items()}, {"p": 3.0, "q": q[:0]}, 0
    yield {k: v[:1] for k, v in full.items()}, {"p": 0.0, "q": q[:1]}, 1
    for p in (3.0, 0.0):
        yield full, {"p": p, "q": q}, len(pairs)


# -- the reference: one row, Python floats --------------------------------------


def reference(node: ast.AST) -> Callable[[dict[str, float]], Any]:
    """`node` read once into a function of a row: the same reading as walking the tree
    at every row, without walking it again for each of the thousands of rows."""
    if isinstance(node, ast.Constant):
        constant = float(node.value)
        return lambda env: constant
    if isinstance(node, ast.Name):
        name = node.id

        def value(env):
            number = float(env[name])
            return MISSING if math.isnan(number) else number

        return value
    if isinstance(node, ast.UnaryOp):
        inner = reference(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda env: _unknown_or(inner(env), operator.neg)
        if isinstance(node.op, ast.UAdd):
            return inner
        return lambda env: _unknown_or(inner(env), operator.not_)
    if isinstance(node, ast.BinOp):
        left, right = reference(node.left), reference(node.right)
        calculate = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}.get(
            type(node.op), operator.truediv
        )

        def arithmetic(env):
            a, b = left(env), right(env)
            if MISSING in (a, b):
                return MISSING
            if UNDEFINED in (a, b):
                return UNDEFINED
            try:
                out = calculate(a, b)
            except (ZeroDivisionError, OverflowError):
                return UNDEFINED
            return out if math.isfinite(out) else UNDEFINED

        return arithmetic
    if isinstance(node, ast.Compare):
        operands = [reference(o) for o in [node.left, *node.comparators]]
        tests = [
            {
                ast.Lt: operator.lt,
                ast.LtE: operator.le,
                ast.Gt: operator.gt,
                ast.GtE: operator.ge,
                ast.Eq: operator.eq,
                ast.NotEq: operator.ne,
            }[type(op)]
            for op in node.ops
        ]

        def comparison(env):
            values = [operand(env) for operand in operands]
            parts = []
            for test, a, b in zip(tests, values, values[1:], strict=False):
                if MISSING in (a, b):
                    parts.append(MISSING)
                elif UNDEFINED in (a, b):
                    parts.append(UNDEFINED)
                else:
                    parts.append(test(a, b))
            return kleene(parts, conjunction=True)

        return comparison
    if isinstance(node, ast.BoolOp):
        values = [reference(v) for v in node.values]
        conjunction = isinstance(node.op, ast.And)
        return lambda env: kleene([value(env) for value in values], conjunction=conjunction)
    raise AssertionError(f"the reference cannot read {ast.dump(node)}")


def _unknown_or(value, calculate):
    """MISSING and UNDEFINED pass through an operator unchanged."""
    return value if isinstance(value, str) else calculate(value)


def kleene(parts: list, conjunction: bool):
    deciding = not conjunction  # False decides an `and`, True an `or`
    if any(p is deciding for p in parts):
        return deciding
    if all(isinstance(p, bool) for p in parts):
        return conjunction
    return MISSING if MISSING in parts else UNDEFINED


# -- the check --------------------------------------------------------------------


def check(source: str) -> None:
    """`source` compiles, evaluates on every frame, and agrees with the reference."""
    expr = compile_expression(source, METRICS, PARAMS)
    expected_at = reference(ast.parse(source.strip(), mode="eval").body)
    for columns, params, rows in frames():
        used = {n: columns[n] for n in expr.names}
        truth = expr.evaluate(used, params, rows)
        for array in (truth.value, truth.known, truth.undefined):
            assert array.shape == (rows,), source
            assert array.dtype == bool, source
        assert not (truth.value & ~truth.known).any(), source
        assert not (truth.undefined & truth.known).any(), source
        # Python lists, read row by row far quicker than numpy's scalars.
        m1, m2, q = columns["m1"].tolist(), columns["m2"].tolist(), params["q"].tolist()
        value, known, undefined = (a.tolist() for a in (truth.value, truth.known, truth.undefined))
        for row in range(rows):
            env = {"m1": m1[row], "m2": m2[row], "p": params["p"], "q": q[row]}
            expected = expected_at(env)
            if isinstance(expected, bool):
                got = value[row] if known[row] else "unknown"
            else:
                got = value[row] if known[row] else UNDEFINED if undefined[row] else MISSING
            assert got == expected, (source, env)
            if got == UNDEFINED:
                # As the engine has them: numpy's numbers, not Python's.
                row_columns = {n: columns[n][row] for n in expr.names}
                row_params = {"p": params["p"], "q": params["q"][row]}
                assert expr.undefined_parts(row_columns, row_params), (source, env)


NUMBERS = [
    *LEAVES,
    *(f"-{leaf}" for leaf in LEAVES),
    *(f"({a} {op} {b})" for a in LEAVES for op in ARITH for b in LEAVES),
]


@pytest.mark.parametrize("op", COMPARE)
def test_every_comparison_of_every_operand_kind(op: str):
    for left, right in itertools.product(LEAVES, LEAVES):
        check(f"{left} {op} {right}")
        check(f"-{left} {op} {right}")


@pytest.mark.parametrize("op", ["<", "=="])
def test_every_arithmetic_of_every_operand_kind_compared(op: str):
    # Comparisons differ only in their numpy function: two of them stand for all six.
    for left, right in itertools.product(NUMBERS, LEAVES):
        check(f"{left} {op} {right}")
        check(f"{right} {op} {left}")


@pytest.mark.parametrize("op", ARITH)
def test_every_arithmetic_of_every_operand_kind_inside_a_chain(op: str):
    for a, b in itertools.product(LEAVES, LEAVES):
        check(f"{a} {op} {b} < m1 <= p")
        check(f"0 < 1 < {a} {op} {b}")


def test_logic_over_parts_with_and_without_metrics():
    parts = ["p > 0", "q < 1", "1 > 0", "2 < 1", "m1 > p", "m2 / m1 >= q", "0 < 1 < m2"]
    for a, b in itertools.product(parts, parts):
        check(f"{a} and {b}")
        check(f"{a} or {b}")
        check(f"not {a} and not ({b} or m1 == 0)")
        check(f"({a} or {b}) and m1 / m2 != q")


def random_number(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.3:
        return rng.choice([*LEAVES, "1e300", "1e-300", "7", "0.5"])
    if rng.random() < 0.15:
        return "-" + random_number(rng, depth - 1)
    op = rng.choice(ARITH)
    return f"({random_number(rng, depth - 1)} {op} {random_number(rng, depth - 1)})"


def random_condition(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth <= 0 or roll < 0.4:
        count = rng.choice([1, 1, 2])
        pieces = [random_number(rng, 2)]
        for _ in range(count):
            pieces += [rng.choice(COMPARE), random_number(rng, 2)]
        return " ".join(pieces)
    if roll < 0.55:
        return f"not ({random_condition(rng, depth - 1)})"
    word = rng.choice(["and", "or"])
    return f"({random_condition(rng, depth - 1)}) {word} ({random_condition(rng, depth - 1)})"


def test_random_conditions_agree_with_the_reference():
    rng = random.Random(10)
    checked = 0
    for _ in range(200):
        source = random_condition(rng, 3)
        try:
            compile_expression(source, METRICS, PARAMS)
        except ExpressionError:
            continue  # e.g. nested too deep: refused, which is fine
        check(source)
        checked += 1
    assert checked > 150


OPERANDS = [*LEAVES, "1e300", "(", "-", "not"]
OPERATORS = [*ARITH, *COMPARE, "and", "or", ")"]


def soup(rng: random.Random) -> str:
    """Tokens that mostly alternate operand and operator, so that some of it reads."""
    tokens, want_operand = [], True
    for _ in range(rng.randint(1, 11)):
        if rng.random() < 0.15:
            tokens.append(rng.choice([*OPERANDS, *OPERATORS]))
            continue
        token = rng.choice(OPERANDS if want_operand else OPERATORS)
        tokens.append(token)
        want_operand = token in OPERANDS[-3:] or token in OPERATORS[:-1]
    return " ".join(tokens)


def refused_in_words(source: str) -> bool:
    """True if the compiler refuses `source` with a message; anything else escapes."""
    try:
        compile_expression(source, METRICS, PARAMS)
    except ExpressionError as exc:
        return bool(exc.message)
    return False


def test_token_soup_is_refused_in_words_or_evaluates_correctly():
    rng = random.Random(14)
    accepted = 0
    for _ in range(3000):
        source = soup(rng)
        if not refused_in_words(source):
            check(source)
            accepted += 1
    assert accepted > 100
