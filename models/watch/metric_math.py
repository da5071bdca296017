"""Metric math evaluation (cloudwatch-api.md §4.4), pure: parsed expression + series -> value.

A value is a scalar (float), a time series (`Series`: timestamp -> float, ascending) or an
array of series (`SeriesArray`, for METRICS() and `[a, b]`). Timestamps may be datetimes or
epoch seconds; the result uses datetimes when any input did.

Decisions, following §4.4 where it speaks and stated here where it does not:
- Operators work point-wise on the union of timestamps; a point missing in one operand
  counts as 0 (§4.4). A point whose value is undefined (division by zero, 0 ^ -1, a complex
  power, overflow, LOG of a value <= 0) is dropped, never an error.
- Comparisons and AND/OR give 1 or 0; any value other than 0 is true.
- A scalar with no value (SUM of an empty series, 1/0) is NaN; every point it touches is
  dropped, and it counts as false in IF.
- Operands of kinds the function does not take (RATE(5), FILL(5, 0), a string outside
  METRICS) raise ConstraintViolationError. These errors do not depend on the data, so an
  evaluation on empty series finds them all.
- SUM/AVG/MIN/MAX/STDDEV of one series give a scalar over its points; of an array (or of
  several arguments) a series over the union of timestamps. SUM and AVG count missing
  points as 0 (AVG divides by the number of series, §4.4); MIN, MAX and STDDEV (population)
  use the points present.
- Two arrays combine member by member and must have the same length.
- FILL works on the request's period grid (`grid`); without one, on the grid from the
  earliest to the latest input timestamp in steps of `period`. REPEAT leaves the gap before
  the first real value empty; LINEAR fills only between two real values.
- RATE, DIFF and DIFF_TIME have no value at the first point (§4.4).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from models.watch import metric_math_parser as ast
from models.watch.metric_math_functions import (
    POINTWISE,
    SERIES_FUNCTIONS,
    Series,
    SeriesArray,
    Value,
    array_function,
    combine,
    error,
    fill_series,
    finite,
    flatten,
    is_series,
    map_points,
    per_series,
    points,
    reduce_values,
    truthy,
)
from models.watch.metric_math_parser import Node, function_names, parse, references

__all__ = [
    "Node",
    "Series",
    "SeriesArray",
    "Value",
    "evaluate",
    "function_names",
    "parse",
    "references",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def evaluate(
    node: Node,
    series_by_id: Mapping[str, Value],
    *,
    period: int,
    metric_ids_in_order: Sequence[str],
    periods_by_id: Mapping[str, int] | None = None,
    grid: Iterable[datetime | float] | None = None,
) -> Value:
    """Evaluate `node`. `series_by_id` holds every MetricStat series and each expression
    evaluated so far; `metric_ids_in_order` are the MetricStat Ids (for METRICS()), and
    `periods_by_id` their periods (for PERIOD(m); `period` otherwise)."""
    context = _Context(series_by_id, period, list(metric_ids_in_order), periods_by_id or {})
    if grid is not None:
        context.grid = sorted(context.seconds(t) for t in grid)
    result = context.eval(node)
    return _export(result, context.datetimes)


# --- Conversions ---------------------------------------------------------------------------------


def _export(value: Value, datetimes: bool) -> Value:
    if isinstance(value, SeriesArray):
        return SeriesArray(tuple((i, _export_series(s, datetimes)) for i, s in value.members))
    if isinstance(value, dict):
        return _export_series(value, datetimes)
    return value


def _export_series(series: dict[float, float], datetimes: bool) -> Series:
    ordered = sorted(series.items())
    if datetimes:
        return {_EPOCH + timedelta(seconds=t): v for t, v in ordered}
    return dict(ordered)


# --- The evaluator -------------------------------------------------------------------------------


class _Context:
    def __init__(
        self,
        series_by_id: Mapping[str, Value],
        period: int,
        metric_ids: list[str],
        periods_by_id: Mapping[str, int],
    ) -> None:
        self.series_by_id = series_by_id
        self.period = period
        self.metric_ids = metric_ids
        self.periods_by_id = periods_by_id
        self.grid: list[float] | None = None
        self.datetimes = False
        self.cache: dict[str, Value] = {}

    def seconds(self, moment: datetime | float) -> float:
        if isinstance(moment, datetime):
            self.datetimes = True
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return (moment - _EPOCH).total_seconds()
        return float(moment)

    def load(self, ident: str) -> Value:
        if ident not in self.cache:
            if ident not in self.series_by_id:
                if ident not in self.metric_ids:
                    raise error(f"Unrecognized identifier {ident}.")
                self.cache[ident] = {}  # a metric with no data
            else:
                self.cache[ident] = self.import_value(self.series_by_id[ident])
        return self.cache[ident]

    def import_value(self, value: Value) -> Value:
        if isinstance(value, SeriesArray):
            return SeriesArray(tuple((i, self.import_value(s)) for i, s in value.members))
        if isinstance(value, dict):
            return {self.seconds(t): float(v) for t, v in value.items()}
        return float(value)

    def eval(self, node: Node) -> Value:
        if isinstance(node, ast.Number):
            return node.value
        if isinstance(node, ast.Ref):
            return self.load(node.id)
        if isinstance(node, ast.Unary):
            operand = self.eval(node.operand)
            return map_points(operand, node.op, (lambda v: -v) if node.op == "-" else (lambda v: v))
        if isinstance(node, ast.Binary):
            # Down the left spine without recursion: `m1 + 1 + 1 + …` is as deep as it is long.
            spine = []
            while isinstance(node, ast.Binary):
                spine.append(node)
                node = node.left
            value = self.eval(node)
            for binary in reversed(spine):
                value = combine(binary.op, value, self.eval(binary.right))
            return value
        if isinstance(node, ast.Array):
            return SeriesArray(tuple(flatten("[...]", [self.array_item(i) for i in node.items])))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.String):
            raise error(f'A string ("{node.value}") is only accepted by METRICS.')
        raise error(f"{node.name} is only accepted as the second argument of FILL.")  # Keyword

    def array_item(self, item: Node) -> Value:
        """An Id in an array keeps its name, so the member can carry its query's label."""
        value = self.eval(item)
        if isinstance(item, ast.Ref) and is_series(value):
            return SeriesArray(((item.id, value),))
        return value

    def call(self, node: ast.Call) -> Value:
        name = node.name
        if name == "METRICS":
            wanted = ast.metrics_filter(node)
            return SeriesArray(tuple((i, self.load(i)) for i in self.metric_ids if wanted in i))
        if name == "PERIOD":
            target = node.args[0]
            if not isinstance(target, ast.Ref) or target.id not in self.metric_ids:
                raise error("The argument of PERIOD must be the Id of a metric query.")
            return float(self.periods_by_id.get(target.id, self.period))
        if name == "FILL":
            return self.fill(node)
        if name == "IF":
            return self.if_(node)
        args = [self.eval(arg) for arg in node.args]
        if name in ("SUM", "AVG", "MIN", "MAX", "STDDEV"):
            return reduce_values(name, args)
        (value,) = args
        if name in POINTWISE:
            return map_points(value, name, POINTWISE[name])
        if name in SERIES_FUNCTIONS:
            return per_series(value, name, SERIES_FUNCTIONS[name])
        if name == "DATAPOINT_COUNT":
            if not is_series(value):
                raise error("The function DATAPOINT_COUNT needs a time series.")
            return float(len(value))
        if name in ("METRIC_COUNT", "FIRST", "LAST", "REMOVE_EMPTY"):
            return array_function(name, value)
        # TIME_SERIES
        if is_series(value) or isinstance(value, SeriesArray):
            raise error("The function TIME_SERIES needs a single value.")
        if math.isnan(value):
            return {}
        return {t: value for t in self.fill_grid()}

    def fill_grid(self) -> list[float]:
        if self.grid is not None:
            return self.grid
        stamps = [t for s in self.all_series() for t in s]
        if not stamps:
            return []
        first, last = min(stamps), max(stamps)
        return [first + k * self.period for k in range(int((last - first) // self.period) + 1)]

    def all_series(self) -> Iterable[dict[float, float]]:
        for ident in self.series_by_id:
            value = self.load(ident)
            if isinstance(value, SeriesArray):
                yield from (s for _, s in value.members)
            elif is_series(value):
                yield value

    def fill(self, node: ast.Call) -> Value:
        target, how = node.args
        value = self.eval(target)
        if isinstance(how, ast.Keyword):
            filler: Value | str = how.name
        else:
            filler = self.eval(how)
            if isinstance(filler, SeriesArray):
                raise error(
                    "The second argument of FILL must be a value, a time series, "
                    "REPEAT or LINEAR, not an array."
                )
        grid = self.fill_grid()
        return per_series(value, "FILL", lambda s: fill_series(s, filler, grid))

    def if_(self, node: ast.Call) -> Value:
        values = [self.eval(arg) for arg in node.args]
        if any(isinstance(v, SeriesArray) for v in values):
            raise error("The function IF does not take arrays of time series.")
        condition, when_true = values[0], values[1]
        when_false = values[2] if len(values) > 2 else None
        if not is_series(condition):
            if truthy(condition):
                return when_true
            if when_false is None:
                return {} if is_series(when_true) else math.nan
            return when_false
        result: dict[float, float | None] = {}
        for t, c in condition.items():
            if c != 0:
                # true: the other series' point, or 0 when it has none (§4.4)
                result[t] = when_true.get(t, 0.0) if is_series(when_true) else when_true
            elif when_false is None:
                result[t] = None
            else:
                # false: the other series' point, dropped when it has none (§4.4)
                result[t] = when_false.get(t) if is_series(when_false) else when_false
        return points({t: finite(v) for t, v in result.items()})
