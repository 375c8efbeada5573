"""A small, safe expression language for rule conditions, compiled to numpy.

    engagement_rate < min_rate and impressions_vs_account >= high_multiple

Allowed: numbers, metric and param names, + - * /, comparisons (chains too),
and / or / not, parentheses. Everything else (attribute access, calls,
indexing, strings, names starting with `_`) is refused at compile time.
No Python eval/exec and no pandas.eval/query ever sees rule text: the
condition is parsed with `ast` after length and depth caps, checked against an
allowlist, and turned into closures over numpy arrays.

Logic is three-valued: a comparison that reads a missing value is *unknown*,
`False and unknown` is False, `True or unknown` is True, anything else that
touches unknown stays unknown. A calculation without a value (a division by
zero, a result too large for a number) is unknown too, but for its own reason:
`Truth.undefined` marks the unknown rows that no missing value explains, so the
engine reports those as "cannot compute" and the rest as "not enough data".
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.errors import ExpressionError
from bot.limits import number_too_large

MAX_LENGTH = 500
MAX_NESTING = 12
MAX_AST_DEPTH = 40

Env = Mapping[str, Any]
NumFn = Callable[[Env], Any]
BoolFn = Callable[[Env], "Truth"]


@dataclass(frozen=True)
class Truth:
    """A vector of three-valued results: `value` is meaningful only where `known`;
    `undefined` marks the unknown rows whose reason is a calculation without a value
    (a division by zero), not a missing value. While a condition is evaluated,
    `undefined` may be plain False (nothing in it can be undefined); `evaluate`
    returns arrays."""

    value: np.ndarray
    known: np.ndarray
    undefined: np.ndarray | bool

    @property
    def true(self) -> np.ndarray:
        return self.value & self.known

    @property
    def false(self) -> np.ndarray:
        return ~self.value & self.known

    @property
    def missing(self) -> np.ndarray:
        """Unknown for want of a value."""
        if self.undefined is False:
            return ~self.known
        return ~self.known & ~self.undefined


@dataclass(frozen=True)
class Expression:
    """A compiled condition; `names` are the metrics it reads, in order of appearance."""

    source: str
    names: tuple[str, ...]
    params: tuple[str, ...]
    _fn: BoolFn
    _calculations: tuple[_Calculation, ...] = ()

    def evaluate(self, columns: Mapping[str, Any], params: Mapping[str, Any], rows: int) -> Truth:
        """Evaluate over `rows` rows; columns and params may be scalars or arrays."""
        env = {**params, **columns}
        result = self._fn(env)
        shape = (rows,)
        return Truth(
            np.broadcast_to(result.value, shape).copy(),
            np.broadcast_to(result.known, shape).copy(),
            np.broadcast_to(result.undefined, shape).copy(),
        )

    def undefined_parts(self, columns: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
        """For one row (scalar values): each calculation that has no value although its
        operands have, in words such as "impressions / comments divides by zero
        (comments is 0)". Only the first failing calculation of a chain is named."""
        env = {**params, **columns}
        out = []
        for calc in self._calculations:
            left, right = calc.left(env), calc.right(env)
            x, y = float(np.asarray(left.value)), float(np.asarray(right.value))
            if np.isnan(x) or np.isnan(y):
                continue  # missing, or already without a value further in
            if calc.op is ast.Div and y == 0:
                out.append(f"{calc.text} divides by zero ({calc.right_text} is 0)")
            elif not np.isfinite(float(np.asarray(calc.fn(env).value))) or not (
                np.isfinite(x) and np.isfinite(y)
            ):
                out.append(f"{calc.text} is too large to compute")
        return out


@dataclass(frozen=True)
class _Num:
    """A vector of numbers: NaN where there is none; `undefined` marks the NaNs a
    calculation made from operands that had values (the rest are missing values)."""

    value: Any
    undefined: Any = False


@dataclass(frozen=True)
class _Calculation:
    """One arithmetic node, kept so that `why` can name the one without a value."""

    text: str
    right_text: str
    op: type
    left: NumFn
    right: NumFn
    fn: NumFn


_OPERATOR_WORDS = {
    ast.BitAnd: "use 'and' instead of '&'",
    ast.BitOr: "use 'or' instead of '|'",
    ast.BitXor: "'^' is not allowed; use 'and', 'or', 'not'",
    ast.Pow: "'**' is not allowed; only + - * / are",
    ast.Mod: "'%' is not allowed; only + - * / are (write 2 % as 0.02)",
    ast.FloorDiv: "'//' is not allowed; only + - * / are",
    ast.LShift: "'<<' is not allowed; only + - * / are",
    ast.RShift: "'>>' is not allowed; only + - * / are",
    ast.MatMult: "'@' is not allowed; only + - * / are",
    ast.Invert: "'~' is not allowed; use 'not'",
}

_COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}

_ARITH = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}


def compile_expression(
    source: str, metrics: Collection[str], params: Collection[str] = ()
) -> Expression:
    """Compile `source`, or raise ExpressionError saying what is wrong and where."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("the condition is empty; write one such as 'engagement_rate < 0.02'")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"the condition is {len(source)} characters long; the limit is {MAX_LENGTH}: "
            "split it into two rules",
            MAX_LENGTH + 1,
        )
    _check_nesting(source)
    text = source.strip()
    offset = len(source) - len(source.lstrip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        message, column = _syntax_message(text, exc)
        raise ExpressionError(message, offset + column) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the condition cannot be read") from None
    compiler = _Compiler(text, offset, frozenset(metrics), frozenset(params))
    kind, fn = compiler.visit(tree.body, depth=0)
    if kind != "bool":
        raise ExpressionError(
            "the condition must be a comparison such as 'engagement_rate < min_rate', "
            "not a bare number",
            offset + 1,
        )
    return Expression(
        source, tuple(compiler.names), tuple(compiler.params), fn, tuple(compiler.calculations)
    )


def _check_nesting(source: str) -> None:
    depth = deepest = 0
    for index, char in enumerate(source, start=1):
        if char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise ExpressionError(
                    f"brackets are nested more than {MAX_NESTING} deep; simplify the condition",
                    index,
                )
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1


def _syntax_message(text: str, exc: SyntaxError) -> tuple[str, int]:
    """Words for a syntax error, and the 1-based column to point at."""
    single = re.search(r"(?<![=<>!])=(?!=)", text)
    if single:
        return "use '==' to compare; a single '=' is not allowed", single.start() + 1
    doubled = re.search(r"&&|\|\|", text)
    if doubled:
        return "use 'and' / 'or' instead of '&&' / '||'", doubled.start() + 1
    shouted = re.search(r"\b(AND|OR|NOT|And|Or|Not)\b", text)
    if shouted:
        return f"write '{shouted.group(1).lower()}' in lower case", shouted.start() + 1
    dangling = re.search(r"(\band|\bor|\bnot|[-+*/<>=(])\s*$", text)
    if dangling:
        return (
            f"the condition stops after '{dangling.group(1)}'; something must follow it",
            len(text.rstrip()) + 1,
        )
    return f"cannot read the condition ({exc.msg})", exc.offset or 1


class _Compiler:
    def __init__(self, text: str, offset: int, metrics: frozenset[str], params: frozenset[str]):
        self.text = text
        self.offset = offset
        self.metrics = metrics
        self.param_names = params
        self.names: list[str] = []
        self.params: list[str] = []
        self.calculations: list[_Calculation] = []

    # Column of a node, 1-based, in characters of the original source.
    def column(self, node: ast.AST) -> int:
        byte_offset = getattr(node, "col_offset", 0)
        chars = len(self.text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
        return self.offset + chars + 1

    def operator_column(self, node: ast.BinOp) -> int:
        """Column of a binary operator: the first non-space, non-bracket character
        between its operands (the AST only locates the operands)."""
        segment_start = node.left.end_col_offset or 0
        segment_end = node.right.col_offset
        line = self.text.encode("utf-8")
        between = line[segment_start:segment_end].decode("utf-8", errors="ignore")
        skip = len(between) - len(between.lstrip(" )"))
        prefix = line[:segment_start].decode("utf-8", errors="ignore")
        return self.offset + len(prefix) + skip + 1

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, self.column(node))

    def visit(self, node: ast.AST, depth: int) -> tuple[str, Any]:
        if depth > MAX_AST_DEPTH:
            raise self.fail(node, "the condition is too deeply nested; simplify it")
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.fail(node, self.refusal(node))
        return method(node, depth + 1)

    def refusal(self, node: ast.AST) -> str:
        snippet = ast.get_source_segment(self.text, node) or type(node).__name__
        if isinstance(node, ast.Attribute):
            return f"'.{node.attr}' is not allowed: conditions read metric and param names only"
        if isinstance(node, ast.Call):
            return f"calls such as '{snippet}' are not allowed in conditions"
        if isinstance(node, ast.Subscript):
            return f"indexing such as '{snippet}' is not allowed in conditions"
        if isinstance(node, ast.Lambda | ast.NamedExpr):
            return f"'{snippet}' is not allowed in conditions"
        if isinstance(node, ast.IfExp):
            return "'... if ... else ...' is not allowed; write two rules instead"
        if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
            return f"lists and sets such as '{snippet}' are not allowed in conditions"
        if isinstance(node, ast.JoinedStr):
            return "text such as f-strings is not allowed in conditions"
        return f"'{snippet}' is not allowed in conditions"

    # -- leaves -------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant, depth: int) -> tuple[str, Any]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                raise self.fail(node, "text values are not allowed in conditions; compare numbers")
            raise self.fail(node, f"'{value!r}' is not allowed; use numbers")
        too_large = number_too_large(value)  # whole numbers past 10^15: a typo, not data
        if too_large:
            raise self.fail(node, too_large)
        written = ast.get_source_segment(self.text, node) or str(value)
        if not math.isfinite(float(value)):  # 1e999 reads as infinity
            raise self.fail(
                node, f"the number '{written}' is too large; numbers go up to about 1e308"
            )
        constant = _Num(float(value))
        return "num", lambda env: constant

    def visit_Name(self, node: ast.Name, depth: int) -> tuple[str, Any]:
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed ('{name}')")
        if name in {"True", "False", "None"}:
            raise self.fail(node, f"'{name}' is not allowed; compare numbers")
        if name in self.param_names:
            if name not in self.params:
                self.params.append(name)
        elif name in self.metrics:
            if name not in self.names:
                self.names.append(name)
        else:
            raise self.fail(node, self.unknown(name))
        return "num", lambda env: _Num(env[name])

    def unknown(self, name: str) -> str:
        lowered = name.lower()
        if lowered in {"and", "or", "not"}:
            return f"write '{lowered}' in lower case"
        choices = sorted(self.metrics | self.param_names)
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown metric or param '{name}'{hint}"

    # -- arithmetic -----------------------------------------------------------

    def visit_UnaryOp(self, node: ast.UnaryOp, depth: int) -> tuple[str, Any]:
        if isinstance(node.op, ast.Not):
            inner = self.boolean(node.operand, depth, "'not'")
            return "bool", lambda env: _not(inner(env))
        if isinstance(node.op, ast.USub | ast.UAdd):
            inner_num = self.number(node.operand, depth, "'-'")
            if isinstance(node.op, ast.UAdd):
                return "num", inner_num
            return "num", lambda env: _negate(inner_num(env))
        raise self.fail(node, _OPERATOR_WORDS.get(type(node.op), "operator not allowed"))

    def visit_BinOp(self, node: ast.BinOp, depth: int) -> tuple[str, Any]:
        op = type(node.op)
        if op in _OPERATOR_WORDS:
            raise ExpressionError(_OPERATOR_WORDS[op], self.operator_column(node))
        left = self.number(node.left, depth, "arithmetic")
        right = self.number(node.right, depth, "arithmetic")
        func = _ARITH[op]

        def calculate(env: Env) -> _Num:
            return _calculate(func, left(env), right(env))

        self.calculations.append(
            _Calculation(
                ast.get_source_segment(self.text, node) or "",
                ast.get_source_segment(self.text, node.right) or "",
                op,
                left,
                right,
                calculate,
            )
        )
        return "num", calculate

    # -- logic -----------------------------------------------------------------

    def visit_Compare(self, node: ast.Compare, depth: int) -> tuple[str, Any]:
        operands = [node.left, *node.comparators]
        fns = [self.number(o, depth, "a comparison") for o in operands]
        pairs = []
        for i, op in enumerate(node.ops):
            if type(op) not in _COMPARE:
                word = {ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
                raise self.fail(
                    node,
                    f"'{word.get(type(op), '?')}' is not allowed; compare with < <= > >= == !=",
                )
            pairs.append((_COMPARE[type(op)], fns[i], fns[i + 1]))

        def compare(env: Env) -> Truth:
            results = [_compare(func, left(env), right(env)) for func, left, right in pairs]
            return results[0] if len(results) == 1 else _and(results)

        return "bool", compare

    def visit_BoolOp(self, node: ast.BoolOp, depth: int) -> tuple[str, Any]:
        word = "'and'" if isinstance(node.op, ast.And) else "'or'"
        parts = [self.boolean(v, depth, word) for v in node.values]
        combine = _and if isinstance(node.op, ast.And) else _or
        return "bool", lambda env: combine([p(env) for p in parts])

    # -- type checks -----------------------------------------------------------

    def number(self, node: ast.AST, depth: int, where: str) -> NumFn:
        kind, fn = self.visit(node, depth)
        if kind != "num":
            raise self.fail(node, f"{where} needs numbers on both sides, not a yes/no comparison")
        return fn

    def boolean(self, node: ast.AST, depth: int, where: str) -> BoolFn:
        kind, fn = self.visit(node, depth)
        if kind != "bool":
            snippet = ast.get_source_segment(self.text, node) or "this"
            raise self.fail(
                node,
                f"{where} needs a comparison, but '{snippet}' is a number: compare it, "
                f"e.g. '{snippet} > 0'",
            )
        return fn


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _calculate(func: Any, left: _Num, right: _Num) -> _Num:
    """`func` of two operands. A result that is not a finite number although both
    operands are numbers (x / 0, an overflow) has no value: NaN, marked undefined,
    never infinity (which would compare as if it were a value)."""
    a, b = _as_array(left.value), _as_array(right.value)
    with np.errstate(all="ignore"):
        out = func(a, b)
    gap_a, gap_b = np.isnan(a), np.isnan(b)
    failed = ~np.isfinite(out) & ~gap_a & ~gap_b
    carried = _carry(left.undefined, gap_a, right.undefined, gap_b)
    if not failed.any():
        return _Num(out, carried)
    return _Num(np.where(failed, np.nan, out), carried | failed)


def _negate(operand: _Num) -> _Num:
    return _Num(np.negative(_as_array(operand.value)), operand.undefined)


def _carry(undefined_a: Any, gap_a: Any, undefined_b: Any, gap_b: Any) -> Any:
    """Rows where an operand had no value because of a calculation and neither is
    simply missing: a missing value is the reason that wins, being the one to fix.
    Plain False when no operand comes from a calculation without a value (the
    common case, kept cheap)."""
    if undefined_a is False and undefined_b is False:
        return False
    missing = (gap_a & ~np.asarray(undefined_a)) | (gap_b & ~np.asarray(undefined_b))
    return (np.asarray(undefined_a) | np.asarray(undefined_b)) & ~missing


def _compare(func: Any, left: _Num, right: _Num) -> Truth:
    a, b = _as_array(left.value), _as_array(right.value)
    gap_a, gap_b = np.isnan(a), np.isnan(b)
    known = ~gap_a & ~gap_b
    with np.errstate(invalid="ignore"):
        value = func(a, b)
    undefined = _carry(left.undefined, gap_a, right.undefined, gap_b)
    return Truth(np.asarray(value & known), np.asarray(known), undefined)


# A part that reads no metric (`enabled > 0`, the `0.02 < 0.03` of a chain) is one
# value for every row while the others are one per row: parts are combined pairwise,
# so numpy broadcasts them (`reduce` over a list would first stack them as one array).
def _and(parts: list[Truth]) -> Truth:
    true = functools.reduce(np.logical_and, [p.true for p in parts])
    false = functools.reduce(np.logical_or, [p.false for p in parts])
    return _combined(true, false, parts)


def _or(parts: list[Truth]) -> Truth:
    true = functools.reduce(np.logical_or, [p.true for p in parts])
    false = functools.reduce(np.logical_and, [p.false for p in parts])
    return _combined(true, false, parts)


def _combined(true: Any, false: Any, parts: list[Truth]) -> Truth:
    """Where the result is unknown, every unknown part kept it so (a deciding part
    would have made it known): it is undefined unless one of them lacks a value."""
    known = true | false
    if all(p.undefined is False for p in parts):
        return Truth(true, known, False)
    missing = functools.reduce(np.logical_or, [p.missing for p in parts])
    return Truth(true, known, ~known & ~missing)


def _not(part: Truth) -> Truth:
    return Truth(part.false, part.known, part.undefined)
