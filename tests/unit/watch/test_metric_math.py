"""Metric math (cloudwatch-api.md §4.4): parser and evaluator, as tables of cases.

Series here are keyed by epoch seconds so the tables stay readable; one test checks that
datetime keys come back as datetimes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.errors import ConstraintViolationError
from models.watch import metric_math_parser as ast
from models.watch.metric_math import (
    SeriesArray,
    Value,
    evaluate,
    function_names,
    parse,
    references,
)
from web.aws.domain_errors import map_domain_error

pytestmark = pytest.mark.unit

M1 = {0.0: 1.0, 60.0: 2.0, 120.0: 4.0}
M2 = {60.0: 0.0, 120.0: 2.0, 180.0: 5.0}
SERIES = {"m1": M1, "m2": M2}
METRIC_IDS = ["m1", "m2"]


def run(expression: str, series: dict[str, Any] | None = None, **kwargs: Any) -> Value:
    kwargs.setdefault("period", 60)
    kwargs.setdefault("metric_ids_in_order", list((series or SERIES).keys()))
    return evaluate(parse(expression), SERIES if series is None else series, **kwargs)


def show(node: ast.Node) -> str:
    """A Lisp-like rendering that makes grouping visible."""
    if isinstance(node, ast.Number):
        return f"{node.value:g}"
    if isinstance(node, ast.String):
        return f'"{node.value}"'
    if isinstance(node, ast.Ref):
        return node.id
    if isinstance(node, ast.Keyword):
        return node.name
    if isinstance(node, ast.Unary):
        return f"({node.op} {show(node.operand)})"
    if isinstance(node, ast.Binary):
        return f"({node.op} {show(node.left)} {show(node.right)})"
    if isinstance(node, ast.Call):
        return f"{node.name}({', '.join(show(a) for a in node.args)})"
    return f"[{', '.join(show(i) for i in node.items)}]"


# --- Parser --------------------------------------------------------------------------------------

PARSED = {
    "a + b * c": "(+ a (* b c))",
    "a * b + c": "(+ (* a b) c)",
    "a - b - c": "(- (- a b) c)",
    "a / b * c": "(* (/ a b) c)",
    "a / b / c": "(/ (/ a b) c)",
    "(a + b) * c": "(* (+ a b) c)",
    "2 ^ 3 ^ 2": "(^ 2 (^ 3 2))",
    "-2 ^ 2": "(- (^ 2 2))",
    "2 ^ -1": "(^ 2 (- 1))",
    "a * b ^ 2": "(* a (^ b 2))",
    "--a": "(- (- a))",
    "+a - -b": "(- (+ a) (- b))",
    "a + b > c * 2": "(> (+ a b) (* c 2))",
    "a == b != c": "(!= (== a b) c)",
    "a <= 1 AND b >= 2 OR c < 3": "(OR (AND (<= a 1) (>= b 2)) (< c 3))",
    "a OR b AND c": "(OR a (AND b c))",
    "a && b || c": "(OR (AND a b) c)",
    "a > 1 AND (b OR c)": "(AND (> a 1) (OR b c))",
    "1.5e3 + .5 + 7.": "(+ (+ 1500 0.5) 7)",
    "SUM([m1, m2_x, e1])": "SUM([m1, m2_x, e1])",
    "MAX(METRICS())": "MAX(METRICS())",
    'AVG(METRICS("cpu"))': 'AVG(METRICS("cpu"))',
    "METRICS('cpu')": 'METRICS("cpu")',
    "FILL(m1, REPEAT)": "FILL(m1, REPEAT)",
    "FILL(m1, LINEAR) * 2": "(* FILL(m1, LINEAR) 2)",
    "IF(m1 > 10, m1, 0)": "IF((> m1 10), m1, 0)",
    "m1/PERIOD(m1)": "(/ m1 PERIOD(m1))",
    "  RATE( m1 )  ": "RATE(m1)",
}


@pytest.mark.parametrize(("expression", "tree"), PARSED.items(), ids=PARSED.keys())
def test_parser_precedence_and_associativity(expression: str, tree: str) -> None:
    assert show(parse(expression)) == tree


PARSE_ERRORS = {
    "": "The expression is empty.",
    "   ": "The expression is empty.",
    "m1 +": "Unexpected end of expression at position 5.",
    "(m1": "Expected ')' at the end of the expression.",
    "m1)": "Unexpected ')' at position 3.",
    "m1 m2": "Unexpected 'm2' at position 4.",
    "m1 = 2": "Unexpected character '=' at position 4.",
    "m1 # 2": "Unexpected character '#' at position 4.",
    "Abc + 1": "Unrecognized identifier Abc at position 1.",
    "_x": "Unrecognized identifier _x at position 1.",
    "AND": "Unexpected 'AND' at position 1.",
    "SUM + 1": "Unexpected 'SUM' at position 1.",
    "[]": "An array needs at least one element at position 1, found '['.",
    "SUM(m1,)": "Unexpected ')' at position 8.",
    "RATE(m1, m2)": "The function RATE takes 1 argument(s), not 2.",
    "IF(m1)": "The function IF takes 2 to 3 argument(s), not 1.",
    "SUM()": "The function SUM takes at least 1 argument(s), not 0.",
    "FILL(m1)": "The function FILL takes 2 argument(s), not 1.",
    "SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average', 300)": (
        "The function SEARCH is not supported."
    ),
    "ANOMALY_DETECTION_BAND(m1, 2)": "The function ANOMALY_DETECTION_BAND is not supported.",
    "INSIGHT_RULE_METRIC('rule', 'Sum')": "The function INSIGHT_RULE_METRIC is not supported.",
    "SERVICE_QUOTA(m1)": "The function SERVICE_QUOTA is not supported.",
    "LAMBDA('fn')": "The function LAMBDA is not supported.",
    "FOO(m1)": "The function FOO is not supported.",
    "m1 + SORT(METRICS(), AVG, DESC)": "The function SORT is not supported.",
    "sum(m1)": "The function sum is not supported: function names are upper case.",
    'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")': (
        "Metrics Insights queries (SELECT) are not supported."
    ),
    "select max(x) from y": "Metrics Insights queries (SELECT) are not supported.",
    "50 brackets": "The expression is nested more than 50 levels deep.",
    "50 signs": "The expression is nested more than 50 levels deep.",
    "50 calls": "The expression is nested more than 50 levels deep.",
    "50 powers": "The expression is nested more than 50 levels deep.",
}
PARSE_ERRORS = {
    {
        "50 brackets": "(" * 50 + "1" + ")" * 50,
        "50 signs": "-" * 50 + "1",
        "50 calls": "ABS(" * 50 + "m1" + ")" * 50,
        "50 powers": "1" + "^1" * 50,
    }.get(key, key): message
    for key, message in PARSE_ERRORS.items()
}


@pytest.mark.parametrize(
    ("expression", "message"), PARSE_ERRORS.items(), ids=[k[:40] for k in PARSE_ERRORS]
)
def test_parse_errors(expression: str, message: str) -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        parse(expression)
    assert caught.value.message == message


def test_deep_but_allowed_nesting() -> None:
    # the whole expression is one level; each bracket, call, sign or power adds one
    assert run("(" * 48 + "-" + "1" + ")" * 48) == -1.0
    assert run("ABS(" * 49 + "m1" + ")" * 49) == M1
    assert run("2" + "^1" * 49) == 2.0


def test_a_2048_character_expression() -> None:
    expression = "m1" + "+1" * 1023
    assert run(expression) == {0.0: 1024.0, 60.0: 1025.0, 120.0: 1027.0}


def test_unsupported_functions_are_validation_errors_on_the_wire() -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        parse("SEARCH('x', 'Sum', 60)")
    wire = map_domain_error(caught.value)
    assert (wire.code, str(wire)) == ("ValidationError", "The function SEARCH is not supported.")


REFERENCES = {
    "m1 + m2": {"m1", "m2"},
    "5 * 2": set(),
    "SUM([e1, m1]) * x_2": {"e1", "m1", "x_2"},
    "SUM(METRICS())": {"m1", "m2", "cpu"},
    'SUM(METRICS("m"))': {"m1", "m2"},
    'METRICS("zzz")': set(),
    "e1 / PERIOD(m2)": {"e1", "m2"},
    "IF(e1 > 2, FILL(m1, REPEAT))": {"e1", "m1"},
}


@pytest.mark.parametrize(("expression", "ids"), REFERENCES.items(), ids=REFERENCES.keys())
def test_references(expression: str, ids: set[str]) -> None:
    assert references(parse(expression), ["m1", "m2", "cpu"]) == ids


def test_references_without_metric_ids_leave_metrics_out() -> None:
    assert references(parse("SUM(METRICS()) + e1")) == {"e1"}


def test_function_names() -> None:
    assert function_names(parse("FILL(SUM(METRICS()), 0) + RATE(m1)")) == {
        "FILL",
        "SUM",
        "METRICS",
        "RATE",
    }


# --- Operators -----------------------------------------------------------------------------------

NAN = "nan"  # marks a scalar with no value

EVALUATED: dict[str, Any] = {
    # scalars
    "1 + 2 * 3": 7.0,
    "2 ^ 3 ^ 2": 512.0,
    "-2 ^ 2": -4.0,
    "(1 + 2) * 3 - 4 / 2": 7.0,
    "1 / 0": NAN,
    "0 ^ -1": NAN,
    "(0 - 8) ^ (1 / 3)": NAN,
    "10 ^ 400": NAN,
    "3 > 2": 1.0,
    "3 < 2": 0.0,
    "2 AND 0": 0.0,
    "2 OR 0": 1.0,
    # series and scalars
    "m1 + 1": {0: 2, 60: 3, 120: 5},
    "10 - m1": {0: 9, 60: 8, 120: 6},
    "m1 * 2": {0: 2, 60: 4, 120: 8},
    "m1 / 2": {0: 0.5, 60: 1, 120: 2},
    "8 / m2": {120: 4, 180: 1.6},  # 8/0 dropped
    "m1 ^ 2": {0: 1, 60: 4, 120: 16},
    "2 ^ m1": {0: 2, 60: 4, 120: 16},
    "-m1": {0: -1, 60: -2, 120: -4},
    "+m1": M1,
    "m1 + 1 / 0": {},  # a scalar with no value drops every point
    # series and series: union of timestamps, a missing point counts as 0
    "m1 + m2": {0: 1, 60: 2, 120: 6, 180: 5},
    "m1 - m2": {0: 1, 60: 2, 120: 2, 180: -5},
    "m1 * m2": {0: 0, 60: 0, 120: 8, 180: 0},
    "m1 / m2": {120: 2, 180: 0},  # 0 and 60 divide by zero (missing / 0): dropped
    "m2 / m1": {0: 0, 60: 0, 120: 0.5},  # 180 divides by a missing point: dropped
    "m2 ^ m1": {0: 0, 60: 0, 120: 16, 180: 1},
    # comparisons and logic
    "m1 > 1": {0: 0, 60: 1, 120: 1},
    "m1 >= 2": {0: 0, 60: 1, 120: 1},
    "m1 < 2": {0: 1, 60: 0, 120: 0},
    "m1 <= 2": {0: 1, 60: 1, 120: 0},
    "m1 == 2": {0: 0, 60: 1, 120: 0},
    "m1 != 2": {0: 1, 60: 0, 120: 1},
    "m1 == m2": {0: 0, 60: 0, 120: 0, 180: 0},
    "m1 > m2": {0: 1, 60: 1, 120: 1, 180: 0},
    "m1 AND m2": {0: 0, 60: 0, 120: 1, 180: 0},
    "m1 OR m2": {0: 1, 60: 1, 120: 1, 180: 1},
    "m1 > 1 && m2 > 1": {0: 0, 60: 0, 120: 1, 180: 0},
    "m1 < 2 || m2 > 4": {0: 1, 60: 0, 120: 0, 180: 1},
}


def expected_value(expected: Any) -> Any:
    if isinstance(expected, dict):
        return {float(t): float(v) for t, v in expected.items()}
    return expected


@pytest.mark.parametrize(("expression", "expected"), EVALUATED.items(), ids=EVALUATED.keys())
def test_operators(expression: str, expected: Any) -> None:
    result = run(expression)
    if expected == NAN:
        assert isinstance(result, float)
        assert math.isnan(result)
    else:
        assert result == pytest.approx(expected_value(expected))


def test_results_are_in_ascending_time_order() -> None:
    result = run("m2 + m1")
    assert isinstance(result, dict)
    assert list(result) == [0.0, 60.0, 120.0, 180.0]


def test_datetime_keys_come_back_as_datetimes() -> None:
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    naive = datetime(2026, 3, 1, 12, 1)  # naive means UTC
    series = {"m1": {t0: 1.0, naive: 3.0}}
    result = run("RATE(m1) * 60", series)
    assert result == {t0 + timedelta(minutes=1): pytest.approx(2.0)}


# --- Functions -----------------------------------------------------------------------------------

FUNCTIONS: dict[str, Any] = {
    # one series -> a scalar over its points
    "SUM(m1)": 7.0,
    "AVG(m1)": 7 / 3,
    "MIN(m1)": 1.0,
    "MAX(m1)": 4.0,
    "STDDEV(m1)": math.sqrt(14 / 9),
    "SUM(m3)": NAN,  # no points: no value
    "SUM(5)": 5.0,
    "STDDEV(5)": 0.0,
    "m1 - AVG(m1)": {0: 1 - 7 / 3, 60: 2 - 7 / 3, 120: 4 - 7 / 3},
    # an array -> a series over the union of timestamps
    "SUM(METRICS())": {0: 1, 60: 2, 120: 6, 180: 5},
    "SUM([m1, m2])": {0: 1, 60: 2, 120: 6, 180: 5},
    "SUM(m1, m2)": {0: 1, 60: 2, 120: 6, 180: 5},
    "AVG([m1, m2])": {0: 0.5, 60: 1, 120: 3, 180: 2.5},  # missing points count as 0
    "MIN([m1, m2])": {0: 1, 60: 0, 120: 2, 180: 5},  # over the points present
    "MAX(METRICS())": {0: 1, 60: 2, 120: 4, 180: 5},
    "STDDEV([m1, m2])": {0: 0, 60: 1, 120: 1, 180: 0},
    'SUM(METRICS("zzz"))': {},
    # point-wise functions
    "ABS(m2 - m1)": {0: 1, 60: 2, 120: 2, 180: 5},
    "ABS(-3)": 3.0,
    "CEIL(m1 / 3)": {0: 1, 60: 1, 120: 2},
    "FLOOR(m1 / 3)": {0: 0, 60: 0, 120: 1},
    "LOG(m2)": {120: math.log(2), 180: math.log(5)},  # LOG(0) dropped
    "LOG10(m1 * 10)": {0: 1, 60: math.log10(20), 120: math.log10(40)},
    "LOG(0 - 1)": NAN,
    # running and counting
    "RUNNING_SUM(m1)": {0: 1, 60: 3, 120: 7},
    "DATAPOINT_COUNT(m2)": 3.0,
    "METRIC_COUNT(METRICS())": 2.0,
    "FIRST(METRICS())": M1,
    "LAST([m1, m2])": M2,
    'FIRST(METRICS("zzz"))': {},
}


@pytest.mark.parametrize(("expression", "expected"), FUNCTIONS.items(), ids=FUNCTIONS.keys())
def test_functions(expression: str, expected: Any) -> None:
    result = run(expression, {**SERIES, "m3": {}}, metric_ids_in_order=["m1", "m2"])
    if expected == NAN:
        assert isinstance(result, float)
        assert math.isnan(result)
    else:
        assert result == pytest.approx(expected_value(expected))


def test_metrics_returns_every_metric_query_in_order_with_its_id() -> None:
    series = {"cpu_a": {0.0: 1.0}, "mem": {}, "cpu_b": {60.0: 2.0}, "e1": {0.0: 9.0}}
    result = run("METRICS()", series, metric_ids_in_order=["cpu_a", "mem", "cpu_b"])
    assert result == SeriesArray((("cpu_a", {0.0: 1.0}), ("mem", {}), ("cpu_b", {60.0: 2.0})))
    filtered = run('METRICS("cpu")', series, metric_ids_in_order=["cpu_a", "mem", "cpu_b"])
    assert [member_id for member_id, _ in filtered.members] == ["cpu_a", "cpu_b"]


def test_a_metric_without_data_is_an_empty_series() -> None:
    assert run("m9 + 1", {"m1": M1}, metric_ids_in_order=["m1", "m9"]) == {}


def test_operators_on_arrays_keep_member_ids() -> None:
    assert run("METRICS() * 2") == SeriesArray(
        (("m1", {0.0: 2.0, 60.0: 4.0, 120.0: 8.0}), ("m2", {60.0: 0.0, 120.0: 4.0, 180.0: 10.0}))
    )
    assert run("[m1, m1 * 2]") == SeriesArray(
        (("m1", M1), (None, {0.0: 2.0, 60.0: 4.0, 120.0: 8.0}))
    )
    assert run("[m1, m2] - [m2, m1]") == SeriesArray(
        (
            ("m1", {0.0: 1.0, 60.0: 2.0, 120.0: 2.0, 180.0: -5.0}),
            ("m2", {0.0: -1.0, 60.0: -2.0, 120.0: -2.0, 180.0: 5.0}),
        )
    )
    assert run("ABS(-METRICS())") == SeriesArray((("m1", M1), ("m2", M2)))


def test_an_expression_result_can_be_read_by_id() -> None:
    series: dict[str, Any] = {**SERIES, "e1": SeriesArray((("m1", M1),)), "e2": 3.0}
    assert run("SUM(e1) * e2", series, metric_ids_in_order=METRIC_IDS) == {
        0.0: 3.0,
        60.0: 6.0,
        120.0: 12.0,
    }


# --- FILL ----------------------------------------------------------------------------------------

GAPPY = {60.0: 1.0, 180.0: 3.0}
GRID = [0.0, 60.0, 120.0, 180.0, 240.0]

FILLED = {
    "FILL(s, 0)": {0: 0, 60: 1, 120: 0, 180: 3, 240: 0},
    "FILL(s, -1.5)": {0: -1.5, 60: 1, 120: -1.5, 180: 3, 240: -1.5},
    "FILL(s, REPEAT)": {60: 1, 120: 1, 180: 3, 240: 3},  # nothing before the first value
    "FILL(s, LINEAR)": {60: 1, 120: 2, 180: 3},  # only between two real values
    "FILL(s, other)": {0: 7, 60: 1, 120: 8, 180: 3},  # the other series' matching points
    "FILL(s, 1 / 0)": GAPPY,
    "FILL(s, SUM(other))": {0: 15, 60: 1, 120: 15, 180: 3, 240: 15},
    "FILL(s, 0) + other": {0: 7, 60: 1, 120: 8, 180: 3, 240: 0},
}


@pytest.mark.parametrize(("expression", "expected"), FILLED.items(), ids=FILLED.keys())
def test_fill_modes_on_the_grid(expression: str, expected: dict[int, float]) -> None:
    series = {"s": GAPPY, "other": {0.0: 7.0, 120.0: 8.0}}
    result = run(expression, series, grid=GRID)
    assert result == pytest.approx(expected_value(expected))


def test_fill_without_a_grid_uses_the_inputs_span() -> None:
    series = {"s": {60.0: 1.0}, "t": {0.0: 5.0, 180.0: 6.0}}
    assert run("FILL(s, 0)", series) == {0.0: 0.0, 60.0: 1.0, 120.0: 0.0, 180.0: 0.0}


def test_fill_applies_to_each_member_of_an_array() -> None:
    series = {"a": {0.0: 1.0}, "b": {60.0: 2.0}}
    assert run("FILL(METRICS(), 9)", series, grid=[0.0, 60.0]) == SeriesArray(
        (("a", {0.0: 1.0, 60.0: 9.0}), ("b", {0.0: 9.0, 60.0: 2.0}))
    )


def test_fill_accepts_a_datetime_grid() -> None:
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    result = run("FILL(s, 0)", {"s": {t0 + minute: 1.0}}, grid=[t0, t0 + minute])
    assert result == {t0: 0.0, t0 + minute: 1.0}


def test_time_series_spreads_a_scalar_over_the_grid() -> None:
    assert run("TIME_SERIES(SUM(m1))", grid=[0.0, 60.0]) == {0.0: 7.0, 60.0: 7.0}


# --- RATE, DIFF, DIFF_TIME -----------------------------------------------------------------------

STEPPED = {
    "RATE(s)": {60: 0.05, 180: 0.05},  # per second; the first point has no value
    "DIFF(s)": {60: 3, 180: 6},
    "DIFF_TIME(s)": {60: 60, 180: 120},
    "RATE(one)": {},
    "DIFF(one)": {},
    "RATE(empty)": {},
    "DIFF(empty)": {},
    "RATE(s) * PERIOD(s)": {60: 3, 180: 3},
}


@pytest.mark.parametrize(("expression", "expected"), STEPPED.items(), ids=STEPPED.keys())
def test_rate_and_diff_edges(expression: str, expected: dict[int, float]) -> None:
    series = {"s": {0.0: 1.0, 60.0: 4.0, 180.0: 10.0}, "one": {60.0: 5.0}, "empty": {}}
    assert run(expression, series) == pytest.approx(expected_value(expected))


def test_rate_on_an_array() -> None:
    series = {"a": {0.0: 0.0, 10.0: 5.0}, "b": {0.0: 1.0, 20.0: 1.0}}
    assert run("RATE(METRICS())", series) == SeriesArray((("a", {10.0: 0.5}), ("b", {20.0: 0.0})))


def test_period_of_a_metric() -> None:
    assert run("PERIOD(m2)", periods_by_id={"m1": 60, "m2": 300}) == 300.0
    assert run("PERIOD(m1)", period=30) == 30.0  # without periods_by_id: the default
    assert run("m1 / PERIOD(m1)") == pytest.approx({0.0: 1 / 60, 60.0: 2 / 60, 120.0: 4 / 60})


# --- IF ------------------------------------------------------------------------------------------

# §4.4's example: c=[1,1,0,0,-], a=[30,-,0,0,30], b=[0,0,20,-,20] -> IF(c,a,b)=[30,0,20,-,-]
C = {0.0: 1.0, 60.0: 1.0, 120.0: 0.0, 180.0: 0.0}
A = {0.0: 30.0, 120.0: 0.0, 180.0: 0.0, 240.0: 30.0}
B = {0.0: 0.0, 60.0: 0.0, 120.0: 20.0, 240.0: 20.0}

IFS = {
    "IF(c, a, b)": {0: 30, 60: 0, 120: 20},
    "IF(c, 5, b)": {0: 5, 60: 5, 120: 20},  # true -> the scalar
    "IF(c, a, 7)": {0: 30, 60: 0, 120: 7, 180: 7},  # false -> the scalar
    "IF(c, a)": {0: 30, 60: 0},  # no false branch: dropped
    "IF(c, 1, 0)": {0: 1, 60: 1, 120: 0, 180: 0},
    "IF(a > 10, a, 0)": {0: 30, 120: 0, 180: 0, 240: 30},
    "IF(a > 10 AND b > 10, 1, 0)": {0: 0, 60: 0, 120: 0, 180: 0, 240: 1},
    "IF(c, 1 / 0, 2)": {120: 2, 180: 2},
    "IF(1, a, b)": A,  # a scalar condition picks a whole series
    "IF(0, a, b)": B,
    "IF(1 / 0, a, b)": B,  # no value counts as false
    "IF(0, a)": {},
    "IF(2 > 1, 5, 6)": 5.0,
    "IF(0, 5, 6)": 6.0,
}


@pytest.mark.parametrize(("expression", "expected"), IFS.items(), ids=IFS.keys())
def test_if_truth_cases(expression: str, expected: Any) -> None:
    result = run(expression, {"c": C, "a": A, "b": B})
    assert result == pytest.approx(expected_value(expected))


def test_if_without_false_branch_on_a_false_scalar_has_no_value() -> None:
    result = run("IF(0, 5)")
    assert isinstance(result, float)
    assert math.isnan(result)


# --- Kind errors ---------------------------------------------------------------------------------

KIND_ERRORS = {
    "RATE(5)": "The function RATE needs a time series or an array of time series.",
    "DIFF(SUM(m1))": "The function DIFF needs a time series or an array of time series.",
    "FILL(5, 0)": "The function FILL needs a time series or an array of time series.",
    "FILL(m1, METRICS())": (
        "The second argument of FILL must be a value, a time series, REPEAT or LINEAR, "
        "not an array."
    ),
    "FILL(m1, 'x')": 'A string ("x") is only accepted by METRICS.',
    "m1 + REPEAT": "REPEAT is only accepted as the second argument of FILL.",
    "METRICS(m1)": "The argument of METRICS must be a string in double quotes.",
    "SUM(m1, 5)": "The function SUM takes time series here, not a single value.",
    "[m1, 5]": "The function [...] takes time series here, not a single value.",
    "IF(METRICS(), 1)": "The function IF does not take arrays of time series.",
    "[m1] + [m1, m2]": "The operator + needs arrays of the same size, not 1 and 2.",
    "PERIOD(5)": "The argument of PERIOD must be the Id of a metric query.",
    "PERIOD(e1)": "The argument of PERIOD must be the Id of a metric query.",
    "DATAPOINT_COUNT(METRICS())": "The function DATAPOINT_COUNT needs a time series.",
    "METRIC_COUNT(m1)": "The function METRIC_COUNT needs an array of time series.",
    "TIME_SERIES(m1)": "The function TIME_SERIES needs a single value.",
    "m1 + nothing": "Unrecognized identifier nothing.",
}


@pytest.mark.parametrize(("expression", "message"), KIND_ERRORS.items(), ids=KIND_ERRORS.keys())
def test_kind_errors(expression: str, message: str) -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        run(expression, {**SERIES, "e1": {}}, metric_ids_in_order=METRIC_IDS)
    assert caught.value.message == message


@pytest.mark.parametrize("expression", KIND_ERRORS.keys())
def test_kind_errors_do_not_depend_on_data(expression: str) -> None:
    empty = {"m1": {}, "m2": {}, "e1": {}}
    with pytest.raises(ConstraintViolationError):
        run(expression, empty, metric_ids_in_order=METRIC_IDS, grid=[])
