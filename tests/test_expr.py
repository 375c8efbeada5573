"""The condition language: what it computes, and everything it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from bot.errors import ExpressionError
from bot.rules.expr import MAX_LENGTH, compile_expression

METRICS = ["impressions", "members_reached", "engagement_rate", "impressions_vs_account"]
NAN = float("nan")


def run(source: str, params: dict | None = None, **columns: list[float]):
    params = params or {}
    expr = compile_expression(source, METRICS, params)
    arrays = {k: np.array(v, dtype=float) for k, v in columns.items()}
    rows = len(next(iter(arrays.values())))
    truth = expr.evaluate(arrays, params, rows)
    # 1 = true, 0 = false, None = unknown
    return [None if not k else int(v) for v, k in zip(truth.value, truth.known, strict=True)]


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("impressions > 5", [4, 5, 6, NAN], [0, 0, 1, None]),
        ("impressions >= 5", [4, 5, 6], [0, 1, 1]),
        ("impressions < 5", [4, 5, NAN], [1, 0, None]),
        ("impressions <= 5", [5, 6], [1, 0]),
        ("impressions == 5", [5, 6], [1, 0]),
        ("impressions != 5", [5, 6], [0, 1]),
        ("1 < impressions < 5", [1, 3, 5], [0, 1, 0]),
        ("impressions * 2 + 1 > 9", [4, 5], [0, 1]),
        ("impressions / 2 - 1 >= 1", [3, 4], [0, 1]),
        ("-impressions < -3", [3, 4], [0, 1]),
        ("(impressions + 1) * 2 > 8", [3, 4], [0, 1]),
        ("not impressions > 5", [4, 6, NAN], [1, 0, None]),
        ("impressions / 0 > 1", [3], [None]),
    ],
)
def test_arithmetic_and_comparisons(source, values, expected):
    assert run(source, impressions=values) == expected


def test_three_valued_logic():
    # impressions known, engagement_rate unknown in some rows
    imp = [10, 1, 10, 1]
    eng = [NAN, NAN, 0.5, 0.5]
    assert run(
        "impressions > 5 and engagement_rate > 0.1", impressions=imp, engagement_rate=eng
    ) == [
        None,
        0,
        1,
        0,
    ]
    assert run(
        "impressions > 5 or engagement_rate > 0.1", impressions=imp, engagement_rate=eng
    ) == [
        1,
        None,
        1,
        1,
    ]


def test_params_are_read_by_name_and_reported():
    expr = compile_expression("engagement_rate < min_rate", METRICS, {"min_rate": 0.02})
    assert expr.names == ("engagement_rate",)
    assert expr.params == ("min_rate",)
    truth = expr.evaluate({"engagement_rate": np.array([0.01, 0.03])}, {"min_rate": 0.02}, 2)
    assert truth.true.tolist() == [True, False]


def test_params_may_vary_per_row():
    expr = compile_expression("impressions > limit", METRICS, {"limit": 0})
    truth = expr.evaluate({"impressions": np.array([5.0, 5.0])}, {"limit": np.array([4, 6])}, 2)
    assert truth.true.tolist() == [True, False]


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("impressions.__class__ > 1", "'.__class__' is not allowed", 1),
        ("impressions.real > 1", "'.real' is not allowed", 1),
        ("__import__('os').system('x') > 1", "calls such as", 1),
        ("abs(impressions) > 1", "calls such as 'abs(impressions)'", 1),
        ("impressions[0] > 1", "indexing such as", 1),
        ("__class__ > 1", "names starting with '_' are not allowed", 1),
        ("_secret > 1", "names starting with '_' are not allowed", 1),
        ("impressions > 'many'", "text values are not allowed", 15),
        ("impressions > True", "'True' is not allowed", 15),
        ("(lambda: 1)() > 0", "calls such as", 1),
        ("impressions if impressions else 0 > 1", "'... if ... else ...' is not allowed", 1),
        ("impressions in (1, 2)", "lists and sets", 16),
        ("[x for x in impressions] > 1", "is not allowed", 1),
        ("impressions ** 2 > 1", "'**' is not allowed", 13),
        ("impressions % 2 > 1", "'%' is not allowed", 13),
        ("impressions // 2 > 1", "'//' is not allowed", 13),
        ("impressions > 1 & impressions < 5", "use 'and' instead of '&'", 17),
        ("impressions > 1 | impressions < 5", "use 'or' instead of '|'", 17),
        ("impressions = 5", "use '==' to compare", 13),
        ("impressions >= 5 and members_reached = 1", "use '==' to compare", 38),
        ("impressions > 1 && impressions < 2", "use 'and' / 'or'", 17),
        ("impressions is 5", "'is' is not allowed", 1),
        ("impressions", "must be a comparison", 1),
        ("impressions + 1", "must be a comparison", 1),
        ("not impressions", "'not' needs a comparison, but 'impressions' is a number", 5),
        ("impressions > 1 and members_reached", "'and' needs a comparison", 21),
        ("(impressions > 1) + 1 > 0", "arithmetic needs numbers", 2),
        ("engagment_rate < 0.02", "did you mean 'engagement_rate'?", 1),
        ("impressions > 1 AND impressions < 3", "write 'and' in lower case", 17),
        ("impressions > 1 and", "the condition stops after 'and'", 20),
        ("impressions > (1", "cannot read the condition", 15),
        ("AND > 1", "write 'and' in lower case", 1),
        ("x > 1", "unknown metric or param 'x'", 1),
        ("", "the condition is empty", 1),
        ("   ", "the condition is empty", 1),
    ],
)
def test_refusals_name_the_problem_and_the_column(source, message, column):
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, METRICS)
    assert message in info.value.message
    assert info.value.column == column


def test_huge_input_is_refused_before_parsing():
    source = "impressions > 1 and " * 100 + "impressions > 1"
    assert len(source) > MAX_LENGTH
    with pytest.raises(ExpressionError, match=r"characters long; the limit is 500"):
        compile_expression(source, METRICS)


def test_deep_nesting_is_refused_before_parsing():
    source = "(" * 50 + "impressions" + ")" * 50 + " > 1"
    with pytest.raises(ExpressionError, match="nested more than 12 deep"):
        compile_expression(source, METRICS)


def test_long_unary_chains_stay_within_the_depth_cap():
    source = "not " * 60 + "impressions > 1"
    with pytest.raises(ExpressionError, match="too deeply nested"):
        compile_expression(source, METRICS)


def test_compiling_never_evaluates_python():
    # If the text were handed to eval, this would raise ZeroDivisionError or import os.
    for source in ["1/0 > 1 or __import__('os')", "open('/etc/passwd') > 1"]:
        with pytest.raises(ExpressionError):
            compile_expression(source, METRICS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # A part that reads no metric is one value for every row; it must still combine.
        ("enabled > 0 and engagement_rate < min_rate", [1, 0, None]),
        ("enabled < 0 and engagement_rate < min_rate", [0, 0, 0]),
        ("enabled > 0 or engagement_rate < min_rate", [1, 1, 1]),
        ("enabled < 0 or engagement_rate < min_rate", [1, 0, None]),
        ("engagement_rate < 0.02 < 0.03", [1, 0, None]),
        ("engagement_rate < 0.03 < 0.02", [0, 0, 0]),
        ("0 < 1 < engagement_rate + 1", [1, 1, None]),
        ("not enabled > 0 or engagement_rate < min_rate", [1, 0, None]),
        ("(1 > 0 and 2 > 1) and engagement_rate < min_rate", [1, 0, None]),
    ],
)
@pytest.mark.parametrize("rows", [0, 1, 3])
def test_parts_without_a_metric_combine_with_parts_with_one(source, expected, rows):
    params = {"enabled": 1, "min_rate": 0.02}
    values = [0.01, 0.05, NAN][:rows]
    expr = compile_expression(source, METRICS, params)
    columns = {n: np.array(values, dtype=float) for n in expr.names}
    truth = expr.evaluate(columns, params, rows)
    got = [None if not k else int(v) for v, k in zip(truth.value, truth.known, strict=True)]
    assert got == expected[:rows]


def truth_of(source: str, **columns: list[float]):
    """(result, why unknown) per row: result 1/0/None, reason 'missing'/'undefined'/None."""
    expr = compile_expression(source, [*METRICS, "comments"], {"limit": 100})
    arrays = {k: np.array(v, dtype=float) for k, v in columns.items()}
    rows = len(next(iter(arrays.values())))
    truth = expr.evaluate(arrays, {"limit": 100}, rows)
    out = []
    for value, known, undefined in zip(truth.value, truth.known, truth.undefined, strict=True):
        reason = None if known else ("undefined" if undefined else "missing")
        out.append((int(value) if known else None, reason))
    return out


def test_a_division_by_zero_is_unknown_for_its_own_reason_not_for_missing_data():
    # comments 0: the ratio has no value; comments missing: the data is missing.
    assert truth_of(
        "impressions / comments > limit", impressions=[500, 500, 500], comments=[0, NAN, 2]
    ) == [
        (None, "undefined"),
        (None, "missing"),
        (1, None),
    ]


def test_missing_data_wins_over_a_division_by_zero_it_meets():
    assert truth_of(
        "impressions / comments > limit and members_reached > 1",
        impressions=[500],
        comments=[0],
        members_reached=[NAN],
    ) == [(None, "missing")]
    assert truth_of("impressions / comments > limit", impressions=[NAN], comments=[0]) == [
        (None, "missing")
    ]


def test_a_guard_against_zero_decides_the_row_by_three_valued_logic():
    zero = {"impressions": [500], "comments": [0]}
    assert truth_of("comments > 0 and impressions / comments > limit", **zero) == [(0, None)]
    assert truth_of("comments == 0 or impressions / comments > limit", **zero) == [(1, None)]
    assert truth_of("not impressions / comments > limit", **zero) == [(None, "undefined")]
    assert truth_of("impressions / comments + 1 > limit or impressions > 1000", **zero) == [
        (None, "undefined")
    ]


def test_a_result_too_large_for_a_number_is_undefined_not_infinite():
    huge = {"impressions": [1e300]}
    assert truth_of("impressions * impressions > 1", **huge) == [(None, "undefined")]
    assert truth_of("impressions * impressions - impressions * impressions > 1", **huge) == [
        (None, "undefined")
    ]
    assert truth_of("-impressions * impressions < 1", **huge) == [(None, "undefined")]


def test_an_undefined_calculation_is_named_with_its_operands():
    expr = compile_expression(
        "impressions / (comments - 2) > limit or impressions * 1e300 * 1e300 > 1",
        [*METRICS, "comments"],
        {"limit": 100},
    )
    row = {"impressions": 500.0, "comments": 2.0}
    assert expr.undefined_parts(row, {"limit": 100}) == [
        "impressions / (comments - 2) divides by zero (comments - 2 is 0)",
        "impressions * 1e300 * 1e300 is too large to compute",
    ]
    assert expr.undefined_parts({"impressions": 500.0, "comments": 3.0}, {"limit": 100}) == [
        "impressions * 1e300 * 1e300 is too large to compute"
    ]


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        (
            "impressions > 1" + "0" * 400,
            "a number 401 digits long; numbers in a rule pack go up to 1,000,000,000,000,000",
            15,
        ),
        (
            "impressions > 1e999",
            "the number '1e999' is too large; numbers go up to about 1e308",
            15,
        ),
        (
            "impressions > -1e999",
            "the number '1e999' is too large; numbers go up to about 1e308",
            16,
        ),
    ],
)
def test_a_number_too_large_for_a_float_is_refused_at_its_column(source, message, column):
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, METRICS)
    assert info.value.message == message
    assert info.value.column == column
