"""Metric math building blocks (cloudwatch-api.md §4.4): values, operators and functions.

`metric_math` walks the tree and calls these; the semantics it documents live here. Inside
this module series are keyed by epoch seconds (floats) and kept in ascending order.
"""

from __future__ import annotations

import itertools
import math
import statistics as pystats
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.errors import ConstraintViolationError

Series = dict[Any, float]


@dataclass(frozen=True)
class SeriesArray:
    """TS[]: each member keeps the Id it came from (None for a computed member), for labels."""

    members: tuple[tuple[str | None, Series], ...]


Value = float | Series | SeriesArray


def finite(value: float | None) -> float | None:
    if value is None or isinstance(value, complex) or not math.isfinite(value):
        return None
    return float(value)


def is_series(value: Any) -> bool:
    return isinstance(value, dict)


# --- Point-wise operators ------------------------------------------------------------------------


def _arith(op: str) -> Callable[[float, float], float | None]:
    def apply(a: float, b: float) -> float | None:
        if math.isnan(a) or math.isnan(b):
            return None
        try:
            return finite(_OPERATORS[op](a, b))
        except (ZeroDivisionError, OverflowError, ValueError):
            return None

    return apply


_OPERATORS: dict[str, Callable[[float, float], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b),
    "AND": lambda a, b: float(a != 0 and b != 0),
    "OR": lambda a, b: float(a != 0 or b != 0),
}


def combine(op: str, left: Value, right: Value) -> Value:
    apply = _arith(op)
    if isinstance(left, SeriesArray) and isinstance(right, SeriesArray):
        if len(left.members) != len(right.members):
            raise error(
                f"The operator {op} needs arrays of the same size, "
                f"not {len(left.members)} and {len(right.members)}."
            )
        pairs = zip(left.members, right.members, strict=True)
        return SeriesArray(tuple((i, combine(op, a, b)) for (i, a), (_, b) in pairs))
    if isinstance(left, SeriesArray):
        return SeriesArray(tuple((i, combine(op, s, right)) for i, s in left.members))
    if isinstance(right, SeriesArray):
        return SeriesArray(tuple((i, combine(op, left, s)) for i, s in right.members))
    if is_series(left) or is_series(right):
        if not is_series(left):
            return points({t: apply(left, v) for t, v in right.items()})
        if not is_series(right):
            return points({t: apply(v, right) for t, v in left.items()})
        stamps = left.keys() | right.keys()
        return points({t: apply(left.get(t, 0.0), right.get(t, 0.0)) for t in stamps})
    result = apply(left, right)
    return math.nan if result is None else result


def points(values: dict[float, float | None]) -> dict[float, float]:
    return {t: v for t, v in sorted(values.items()) if v is not None}


def map_points(value: Value, name: str, fn: Callable[[float], float | None]) -> Value:
    """Apply a point-wise function to a scalar, a series or each member of an array."""

    def safe(v: float) -> float | None:
        try:
            return finite(fn(v))
        except (ValueError, OverflowError):
            return None

    if isinstance(value, SeriesArray):
        return SeriesArray(tuple((i, map_points(s, name, fn)) for i, s in value.members))
    if is_series(value):
        return points({t: safe(v) for t, v in value.items()})
    if math.isnan(value):
        return math.nan
    result = safe(value)
    return math.nan if result is None else result


def per_series(value: Value, name: str, fn: Callable[[dict[float, float]], Any]) -> Value:
    """Apply a whole-series function to a series or to each member of an array."""
    if isinstance(value, SeriesArray):
        return SeriesArray(tuple((i, fn(s)) for i, s in value.members))
    if is_series(value):
        return fn(value)
    raise error(f"The function {name} needs a time series or an array of time series.")


def _steps(
    series: dict[float, float], fn: Callable[[float, float, float, float], float | None]
) -> dict[float, float]:
    """(t_prev, v_prev, t, v) -> value, for every point but the first."""
    items = sorted(series.items())
    pairs = itertools.pairwise(items)
    return points({t: finite(fn(t0, v0, t, v)) for (t0, v0), (t, v) in pairs})


def _rate(t0: float, v0: float, t: float, v: float) -> float | None:
    return (v - v0) / (t - t0) if t != t0 else None


def _running_sum(series: dict[float, float]) -> dict[float, float]:
    total, result = 0.0, {}
    for t, v in sorted(series.items()):
        total += v
        result[t] = total
    return result


# --- Reductions ----------------------------------------------------------------------------------


def _reduce_points(name: str, values: list[float], members: int | None = None) -> float | None:
    """SUM/AVG/MIN/MAX/STDDEV of the values present; AVG divides by `members` when given
    (missing points of an array count as 0)."""
    if not values:
        return None
    if name == "SUM":
        return math.fsum(values)
    if name == "AVG":
        return math.fsum(values) / (members or len(values))
    if name == "MIN":
        return min(values)
    if name == "MAX":
        return max(values)
    return pystats.pstdev(values)


def reduce_values(name: str, args: list[Value]) -> Value:
    if len(args) == 1 and not isinstance(args[0], SeriesArray):
        only = args[0]
        if is_series(only):
            result = _reduce_points(name, list(only.values()))
            return math.nan if result is None else result
        return 0.0 if name == "STDDEV" and not math.isnan(only) else only
    members = flatten(name, args)
    stamps = set().union(*(s.keys() for _, s in members)) if members else set()
    return points(
        {
            t: _reduce_points(name, [s[t] for _, s in members if t in s], len(members))
            for t in stamps
        }
    )


def flatten(name: str, args: list[Value]) -> list[tuple[str | None, dict[float, float]]]:
    members: list[tuple[str | None, dict[float, float]]] = []
    for arg in args:
        if isinstance(arg, SeriesArray):
            members.extend(arg.members)
        elif is_series(arg):
            members.append((None, arg))
        else:
            raise error(f"The function {name} takes time series here, not a single value.")
    return members


def truthy(value: float) -> bool:
    return not math.isnan(value) and value != 0


def fill_series(
    series: dict[float, float], filler: Value | str, grid: list[float]
) -> dict[float, float]:
    missing = [t for t in grid if t not in series]
    result = dict(series)
    if filler == "REPEAT":
        real = sorted(series.items())
        k, last = 0, None
        for t in missing:
            while k < len(real) and real[k][0] < t:
                last = real[k][1]
                k += 1
            if last is not None:
                result[t] = last
    elif filler == "LINEAR":
        real = sorted(series.items())
        k = 0
        for t in missing:
            while k < len(real) and real[k][0] < t:
                k += 1
            if 0 < k < len(real):
                (t0, v0), (t1, v1) = real[k - 1], real[k]
                result[t] = v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    elif isinstance(filler, dict):
        result.update({t: filler[t] for t in missing if t in filler})
    elif not math.isnan(filler):
        result.update({t: filler for t in missing})
    return dict(sorted(result.items()))


def array_function(name: str, value: Value) -> Value:
    if not isinstance(value, SeriesArray):
        raise error(f"The function {name} needs an array of time series.")
    members = value.members
    if name == "METRIC_COUNT":
        return float(len(members))
    if name == "REMOVE_EMPTY":
        return SeriesArray(tuple(m for m in members if m[1]))
    if not members:
        return {}
    return members[0][1] if name == "FIRST" else members[-1][1]


POINTWISE: dict[str, Callable[[float], float | None]] = {
    "ABS": abs,
    "CEIL": lambda v: float(math.ceil(v)),
    "FLOOR": lambda v: float(math.floor(v)),
    "LOG": lambda v: math.log(v) if v > 0 else None,
    "LOG10": lambda v: math.log10(v) if v > 0 else None,
}
SERIES_FUNCTIONS: dict[str, Callable[[dict[float, float]], dict[float, float]]] = {
    "RATE": lambda s: _steps(s, _rate),
    "DIFF": lambda s: _steps(s, lambda t0, v0, t, v: v - v0),
    "DIFF_TIME": lambda s: _steps(s, lambda t0, v0, t, v: t - t0),
    "RUNNING_SUM": _running_sum,
}


def error(message: str) -> ConstraintViolationError:
    return ConstraintViolationError(message)
