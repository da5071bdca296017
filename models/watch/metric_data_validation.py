"""GetMetricData request validation (cloudwatch-api.md §3.3, §4.4), pure.

`metric_data.plan_queries` calls these; the reporting rules are described there.
"""

from __future__ import annotations

import re
from typing import Any

from models.errors import (
    ConstraintViolationError,
    DomainError,
    InvalidParameterError,
    MissingParameterError,
)
from models.watch import metric_math
from models.watch.constraints import enum_line, length_line, raise_violations
from models.watch.metric_math import Node
from models.watch.metric_math_parser import ID_PATTERN
from models.watch.metric_validation import (
    DIMENSION_NAME_MAX,
    DIMENSION_VALUE_MAX,
    MAX_DIMENSIONS,
    METRIC_NAME_MAX,
    NAMESPACE_MAX,
    STANDARD_UNITS,
)
from models.watch.statistics import SUB_MINUTE_PERIODS, parse_statistic

MAX_QUERIES = 500
ID_MAX = 255
EXPRESSION_MAX = 2048
SCAN_BY = ("TimestampDescending", "TimestampAscending")
ID_PATTERN_TEXT = "^[a-z][a-zA-Z0-9_]*$"

Problem = tuple[type[DomainError], str]


def query_problems(queries: list[dict[str, Any]]) -> tuple[list[Problem], dict[str, Node]]:
    """Every problem of the queries, in request order, and the parsed expressions by Id."""
    problems: list[Problem] = []
    if not queries:
        problems.append((MissingParameterError, required("MetricDataQueries")))
    elif len(queries) > MAX_QUERIES:
        problems.append(
            (
                ConstraintViolationError,
                f"The collection MetricDataQueries must not have a size greater than "
                f"{MAX_QUERIES}.",
            )
        )
    parsed: dict[str, Node] = {}
    ids: list[str] = []
    for i, query in enumerate(queries, start=1):
        problems += _query_problems(i, query, parsed, ids)
    if not problems:
        problems += _reference_problems(queries, parsed)
    return problems, parsed


# --- Model constraints (Coral) -------------------------------------------------------------------


def raise_constraint_violations(queries: list[dict[str, Any]], scan_by: str) -> None:
    lines: list[str | None] = []
    for i, query in enumerate(queries, start=1):
        coral = f"metricDataQueries.{i}.member"
        stat = query.get("MetricStat") or {}
        metric = stat.get("Metric") or {}
        at = f"{coral}.metricStat.metric"
        lines += [
            length_line(query.get("Id"), f"{coral}.id", ID_MAX),
            length_line(query.get("Expression"), f"{coral}.expression", EXPRESSION_MAX),
            length_line(metric.get("Namespace"), f"{at}.namespace", NAMESPACE_MAX),
            length_line(metric.get("MetricName"), f"{at}.metricName", METRIC_NAME_MAX),
            # An empty Unit is left out, as a missing one.
            enum_line(stat.get("Unit") or None, f"{coral}.metricStat.unit", STANDARD_UNITS),
        ]
    lines.append(enum_line(scan_by, "scanBy", SCAN_BY))
    raise_violations(lines)


# LabelOptions.Timezone: +HHMM or -HHMM (§3.3). We accept and check it; dynamic labels,
# the only thing it changes, are not rendered here, so it has no other effect.
_TIMEZONE = re.compile(r"[+-](?:[01]\d|2[0-3])[0-5]\d")


def label_options_problems(options: dict[str, Any] | None) -> list[Problem]:
    timezone = (options or {}).get("Timezone")
    if timezone is None or _TIMEZONE.fullmatch(timezone):
        return []
    return [
        (
            InvalidParameterError,
            f"The value {timezone} for parameter LabelOptions.Timezone is invalid: use the "
            "format +HHMM or -HHMM (for example -0500).",
        )
    ]


# --- One query -----------------------------------------------------------------------------------


def _query_problems(
    i: int, query: dict[str, Any], parsed: dict[str, Node], ids: list[str]
) -> list[Problem]:
    path = f"MetricDataQueries.member.{i}"
    problems: list[Problem] = []
    query_id = query.get("Id")
    if not query_id:
        problems.append((MissingParameterError, required(f"{path}.Id")))
    elif not ID_PATTERN.fullmatch(query_id):
        problems.append(
            (
                ConstraintViolationError,
                f"The value {query_id} for parameter {path}.Id is not matching the expected "
                f"pattern {ID_PATTERN_TEXT}.",
            )
        )
    elif query_id in ids:
        problems.append(
            (
                ConstraintViolationError,
                f"The value {query_id} for parameter {path}.Id is not unique.",
            )
        )
    ids.append(query_id or "")

    stat, expression = query.get("MetricStat"), query.get("Expression")
    if bool(stat) == bool(expression):
        problems.append(
            (
                ConstraintViolationError,
                f"Exactly one of the parameters {path}.MetricStat and {path}.Expression "
                "must be specified.",
            )
        )
    elif stat:
        problems += _metric_stat_problems(f"{path}.MetricStat", stat)
    else:
        try:
            node = metric_math.parse(expression)
        except ConstraintViolationError as exc:
            problems.append((ConstraintViolationError, _in_expression(query_id or path, exc)))
        else:
            if query_id:
                parsed[query_id] = node
        if query.get("Period") is not None:
            problems += _period_problems(f"{path}.Period", query["Period"])
    return problems


def _metric_stat_problems(path: str, stat: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    metric = stat.get("Metric")
    if not metric:
        problems.append((MissingParameterError, required(f"{path}.Metric")))
    else:
        for member in ("Namespace", "MetricName"):
            if not metric.get(member):
                problems.append((MissingParameterError, required(f"{path}.Metric.{member}")))
        dimensions = metric.get("Dimensions") or []
        if len(dimensions) > MAX_DIMENSIONS:
            problems.append(
                (
                    InvalidParameterError,
                    f"The collection {path}.Metric.Dimensions must not have a size greater "
                    f"than {MAX_DIMENSIONS}.",
                )
            )
        for k, dimension in enumerate(dimensions, start=1):
            for member, maximum in (("Name", DIMENSION_NAME_MAX), ("Value", DIMENSION_VALUE_MAX)):
                member_path = f"{path}.Metric.Dimensions.member.{k}.{member}"
                text = dimension.get(member)
                if not text:
                    problems.append((MissingParameterError, required(member_path)))
                elif len(text) > maximum:
                    problems.append(
                        (
                            InvalidParameterError,
                            f"The parameter {member_path} must be shorter than "
                            f"{maximum + 1} characters.",
                        )
                    )
    if stat.get("Period") is None:
        problems.append((MissingParameterError, required(f"{path}.Period")))
    else:
        problems += _period_problems(f"{path}.Period", stat["Period"])
    try:
        parse_statistic(str(stat.get("Stat")), f"{path}.Stat")
    except ConstraintViolationError as exc:
        problems.append((ConstraintViolationError, exc.message))
    return problems


def _period_problems(path: str, period: int) -> list[Problem]:
    if period < 1:
        return [(InvalidParameterError, f"The parameter {path} must be greater than 0.")]
    if period not in SUB_MINUTE_PERIODS and period % 60:
        return [(InvalidParameterError, f"The parameter {path} must be a multiple of 60.")]
    return []


# --- Between queries -----------------------------------------------------------------------------


def _reference_problems(queries: list[dict[str, Any]], parsed: dict[str, Node]) -> list[Problem]:
    """Unknown Ids, cycles, then (when the graph is sound) a dry run on empty series."""
    metric_ids = [q["Id"] for q in queries if q.get("MetricStat")]
    known = {q["Id"] for q in queries}
    problems: list[Problem] = []
    graph: dict[str, list[str]] = {}
    for query_id, node in parsed.items():
        used = sorted(metric_math.references(node, metric_ids))
        for unknown in (u for u in used if u not in known):
            problems.append(_expression_problem(query_id, f"Unrecognized identifier {unknown}."))
        graph[query_id] = [u for u in used if u in parsed]
    if problems:
        return problems
    order, cycles = evaluation_order(graph)
    for cycle in cycles:
        problems.append(_expression_problem(cycle[0], f"Circular reference: {' -> '.join(cycle)}."))
    if problems:
        return problems

    returned = {q["Id"] for q in queries if q.get("ReturnData", True) is not False}
    periods = {q["Id"]: q["MetricStat"]["Period"] for q in queries if q.get("MetricStat")}
    values: dict[str, metric_math.Value] = {i: {} for i in metric_ids}
    for query_id in order:
        try:
            values[query_id] = metric_math.evaluate(
                parsed[query_id],
                values,
                period=60,
                metric_ids_in_order=metric_ids,
                periods_by_id=periods,
                grid=[],
            )
        except ConstraintViolationError as exc:
            problems.append((ConstraintViolationError, _in_expression(query_id, exc)))
            return problems
        if query_id in returned and isinstance(values[query_id], float):
            problems.append(_expression_problem(query_id, _SCALAR_RESULT))
    return problems


_SCALAR_RESULT = (
    "The expression must return a time series or an array of time series, not a single value."
)


def evaluation_order(graph: dict[str, list[str]]) -> tuple[list[str], list[list[str]]]:
    """Expressions after the expressions they read (request order otherwise), and the cycles.
    Iterative, since 500 queries may form one long chain."""
    order: list[str] = []
    cycles: list[list[str]] = []
    state: dict[str, str] = {}  # "active" while on the path, then "done"
    for root in graph:
        if root in state:
            continue
        state[root] = "active"
        path, pending = [root], [iter(graph[root])]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                pending.pop()
                finished = path.pop()
                state[finished] = "done"
                order.append(finished)
            elif state.get(nxt) == "active":
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                state[nxt] = "active"
                path.append(nxt)
                pending.append(iter(graph[nxt]))
    return order, cycles


def _in_expression(query_id: str, exc: ConstraintViolationError) -> str:
    return f"Error in expression {query_id}: {exc.message}"


def _expression_problem(query_id: str, message: str) -> Problem:
    return ConstraintViolationError, f"Error in expression {query_id}: {message}"


def required(path: str) -> str:
    return f"The parameter {path} is required."
