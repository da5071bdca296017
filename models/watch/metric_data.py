"""GetMetricData request planning (cloudwatch-api.md §3.3, §4.2, §4.4), pure.

The handler calls `plan_queries` with the request members, reads one series per
`plan.fetches` entry (`statistics.aggregate` over [fetch.start, fetch.end), then
`series_from_datapoints`), and hands them to `assemble_results` (in `metric_data_results`,
re-exported here), which evaluates the expressions and builds the response.

How problems are reported (as `metric_validation` does for PutMetricData):
- Model constraints (ScanBy and Unit enums, Id / Expression / name lengths) first and on their
  own, as Coral does: ConstraintViolationError `N validation error(s) detected: …; …`.
- Then every other problem, in request order, joined by "\\n" into one error whose class is
  that of the first problem. Expression kind errors (RATE(5), a returned scalar) are found by
  evaluating each expression once on empty series, so they are reported before any read.
- A NextToken is checked last, once the request itself is valid (InvalidNextToken).

Decisions on points the reference leaves open ([?] there):
- Duplicate Ids, unknown references, cycles, MetricStat + Expression together or neither,
  and (for GetMetricData itself, `require_returned`) no query with ReturnData true:
  ValidationError (ConstraintViolationError). Missing Id / Metric / Namespace / MetricName /
  Period: MissingParameter. Bad Period or MaxDatapoints, StartTime >= EndTime:
  InvalidParameterValue, with the GetMetricStatistics texts.
- Expression errors read `Error in expression <Id>: <what is wrong>`; an unsupported
  function says `The function SEARCH is not supported.`
- Only the MetricStat queries that are returned, or read by an expression that is, are
  fetched. An expression's FILL grid uses its own Period when given, else the period of the
  first metric it reads (directly or through other expressions), else the first metric's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from models.errors import ConstraintViolationError, InvalidParameterError, MissingParameterError
from models.watch import metric_math
from models.watch.datums import canonical_dimensions
from models.watch.metric_data_results import (
    assemble_results,
    decode_token,
    fingerprint,
    series_from_datapoints,
)
from models.watch.metric_data_validation import (
    SCAN_BY,
    evaluation_order,
    label_options_problems,
    query_problems,
    raise_constraint_violations,
    required,
)
from models.watch.metric_math import Node
from models.watch.statistics import aligned_range, parse_statistic

__all__ = [
    "ExpressionStep",
    "MetricFetch",
    "Plan",
    "assemble_results",
    "plan_queries",
    "series_from_datapoints",
]

DEFAULT_MAX_DATAPOINTS = 100_800


@dataclass(frozen=True)
class MetricFetch:
    """One series the storage layer must read: buckets of `period` over [start, end)."""

    id: str
    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]  # canonical (sorted by name)
    period: int
    stat: str
    unit: str | None
    start: datetime  # the first bucket (statistics.aligned_range)
    end: datetime

    @property
    def statistics_args(self) -> tuple[list[str] | None, list[str] | None]:
        """(Statistics, ExtendedStatistics) for `statistics.aggregate`."""
        if parse_statistic(self.stat).is_percentile_type:
            return None, [self.stat]
        return [self.stat], None


@dataclass(frozen=True)
class ExpressionStep:
    id: str
    node: Node
    period: int  # the grid step for FILL / TIME_SERIES


@dataclass(frozen=True)
class Plan:
    fetches: tuple[MetricFetch, ...]
    expressions: tuple[ExpressionStep, ...]  # in evaluation order
    returned: tuple[str, ...]  # Ids with ReturnData true, in request order
    labels: dict[str, str]  # every query: its Label, or the default (§3.3)
    explicit_labels: frozenset[str]  # Ids whose Label the client gave
    metric_ids: tuple[str, ...]  # every MetricStat Id, in request order (METRICS())
    periods: dict[str, int]  # MetricStat Id -> Period (PERIOD(m))
    start: datetime
    end: datetime
    now: datetime
    scan_by: str
    max_datapoints: int
    fingerprint: str
    resume_after: tuple[float, int] | None  # from NextToken: (epoch seconds, result index)


def plan_queries(
    queries: list[dict[str, Any]] | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    max_datapoints: int | None = None,
    scan_by: str | None = None,
    next_token: str | None = None,
    *,
    require_returned: bool = False,
    label_options: dict[str, Any] | None = None,
) -> Plan:
    """Validate a GetMetricData request (§3.3) and say what to read and compute.

    `require_returned` refuses a request in which no query has ReturnData true: a
    GetMetricData call that asks for nothing is a client bug. A graph whose lines are all
    hidden is not, so widgets leave it off."""
    queries = list(queries or [])
    scan_by = scan_by or SCAN_BY[0]
    raise_constraint_violations(queries, scan_by)

    problems, parsed = query_problems(queries)
    problems += label_options_problems(label_options)
    if require_returned and queries and not problems and not _returned_ids(queries):
        problems.append((ConstraintViolationError, NOTHING_RETURNED))
    if start is None:
        problems.append((MissingParameterError, required("StartTime")))
    if end is None:
        problems.append((MissingParameterError, required("EndTime")))
    if start is not None and end is not None and start >= end:
        problems.append((InvalidParameterError, _START_END[start == end]))
    if max_datapoints is not None and max_datapoints < 1:
        problems.append(
            (InvalidParameterError, "The parameter MaxDatapoints must be greater than 0.")
        )
    if problems:
        raise problems[0][0]("\n".join(message for _, message in problems))
    assert start is not None
    assert end is not None

    request = fingerprint(queries, start, end, scan_by)
    resume = decode_token(next_token, request) if next_token is not None else None
    plan = _build(queries, parsed, start, end, now)
    return replace(
        plan,
        scan_by=scan_by,
        max_datapoints=DEFAULT_MAX_DATAPOINTS if max_datapoints is None else max_datapoints,
        fingerprint=request,
        resume_after=resume,
    )


NOTHING_RETURNED = "At least one query must have ReturnData set to true."


def _returned_ids(queries: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(q["Id"] for q in queries if q.get("ReturnData", True) is not False)


_START_END = {
    True: "The parameter StartTime must not equal parameter EndTime.",
    False: "The parameter StartTime must be less than the parameter EndTime.",
}


# --- Building the plan ---------------------------------------------------------------------------


def _build(
    queries: list[dict[str, Any]],
    parsed: dict[str, Node],
    start: datetime,
    end: datetime,
    now: datetime,
) -> Plan:
    """The plan with request-level defaults; `plan_queries` fills in paging."""
    stats = {q["Id"]: q["MetricStat"] for q in queries if q.get("MetricStat")}
    metric_ids = tuple(stats)
    periods = {i: int(s["Period"]) for i, s in stats.items()}
    position = {q["Id"]: k for k, q in enumerate(queries)}
    reads = {  # the Ids each expression reads, in request order
        i: sorted(metric_math.references(n, metric_ids), key=position.__getitem__)
        for i, n in parsed.items()
    }
    order, _ = evaluation_order({i: [u for u in used if u in parsed] for i, used in reads.items()})
    returned = _returned_ids(queries)

    needed: set[str] = set()
    pending = list(returned)
    while pending:
        query_id = pending.pop()
        if query_id not in needed:
            needed.add(query_id)
            pending += reads.get(query_id, [])

    fetches = []
    for query_id, stat in stats.items():
        if query_id not in needed:
            continue
        metric = stat["Metric"]
        period = periods[query_id]
        first, stop = aligned_range(start, end, period, now)
        dimensions = [(d["Name"], d["Value"]) for d in metric.get("Dimensions") or []]
        fetches.append(
            MetricFetch(
                id=query_id,
                namespace=metric["Namespace"],
                metric_name=metric["MetricName"],
                dimensions=tuple(canonical_dimensions(dimensions)),
                period=period,
                stat=stat["Stat"],
                unit=stat.get("Unit") or None,
                start=first,
                end=stop,
            )
        )

    def grid_period(query_id: str) -> int | None:
        """The period of the nearest metric the expression reads, directly or not."""
        seen, queue = {query_id}, [query_id]
        for current in queue:
            for used in reads.get(current, []):
                if used in periods:
                    return periods[used]
                if used not in seen:
                    seen.add(used)
                    queue.append(used)
        return None

    fallback = next(iter(periods.values()), 60)
    by_id = {q["Id"]: q for q in queries}
    expressions = tuple(
        ExpressionStep(
            query_id,
            parsed[query_id],
            int(by_id[query_id].get("Period") or grid_period(query_id) or fallback),
        )
        for query_id in order
        if query_id in needed
    )
    labels = {q["Id"]: q.get("Label") or "" for q in queries}
    labels.update({i: labels[i] or i for i in parsed})
    labels.update(_default_metric_labels({i: s for i, s in stats.items() if not labels[i]}))
    return Plan(
        fetches=tuple(fetches),
        expressions=expressions,
        returned=returned,
        labels=labels,
        explicit_labels=frozenset(q["Id"] for q in queries if q.get("Label")),
        metric_ids=metric_ids,
        periods=periods,
        start=start,
        end=end,
        now=now,
        scan_by=SCAN_BY[0],
        max_datapoints=DEFAULT_MAX_DATAPOINTS,
        fingerprint="",
        resume_after=None,
    )


def _default_metric_labels(stats: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The metric name; among queries of the same metric name, plus the Stat and/or Period
    when those differ (`metric1 Sum 60`, `metric1 Sum`, `metric1 60`; §3.3 [aws-rec])."""
    groups: dict[str, list[str]] = {}
    for query_id, stat in stats.items():
        groups.setdefault(stat["Metric"]["MetricName"], []).append(query_id)
    labels = {}
    for name, members in groups.items():
        stat_differs = len({stats[i]["Stat"] for i in members}) > 1
        period_differs = len({int(stats[i]["Period"]) for i in members}) > 1
        for query_id in members:
            parts = [name]
            if stat_differs:
                parts.append(stats[query_id]["Stat"])
            if period_differs:
                parts.append(str(stats[query_id]["Period"]))
            labels[query_id] = " ".join(parts)
    return labels
