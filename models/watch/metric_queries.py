"""Reading statistics out of the metric store: shared by GetMetricStatistics, GetMetricData
and the alarm evaluator (math alarms), so they agree on every number."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.watch import metric_data, metrics, statistics
from models.watch.metric_data import MetricFetch, Plan


def datapoints(
    session: Session,
    tenant_id: str,
    namespace: str,
    metric_name: str,
    dimensions: tuple[tuple[str, str], ...],
    start: datetime,
    end: datetime,
    period: int,
    wanted: list[str] | None,
    extended: list[str] | None,
    unit: str | None,
) -> list[dict[str, Any]]:
    """Aggregated buckets of one metric over [start, end), GetMetricStatistics' shape."""
    metric_ids = metrics.find_metric_ids(session, tenant_id, namespace, metric_name, dimensions)
    # Whole-minute periods without percentiles read the per-minute rollups, not raw rows.
    if period % 60 == 0 and not extended:
        rows = metrics.fetch_rollups(session, metric_ids, start, end, unit)
    else:
        rows = metrics.fetch_datapoints(session, metric_ids, start, end, unit)
    return statistics.aggregate(rows, start, end, period, wanted, extended, unit)


def run_plan(session: Session, tenant_id: str, plan: Plan) -> dict[str, Any]:
    """GetMetricData's output for a validated plan.

    Queries that read the same metric over the same buckets (say Average, Sum, Minimum and
    Maximum of one metric) share one read: the rows are aggregated once for all their
    statistics. Percentile queries read raw datapoints, so they form their own group.
    """
    groups: dict[tuple[Any, ...], list[MetricFetch]] = defaultdict(list)
    for fetch in plan.fetches:
        percentile = fetch.statistics_args[1] is not None
        key = (fetch.namespace, fetch.metric_name, fetch.dimensions, fetch.start, fetch.end,
               fetch.period, fetch.unit, percentile)  # fmt: skip
        groups[key].append(fetch)
    fetched, messages = {}, {}
    for key, members in groups.items():
        namespace, metric_name, dimensions, start, end, period, unit, _ = key
        wanted = sorted({s for f in members for s in f.statistics_args[0] or []})
        extended = sorted({s for f in members for s in f.statistics_args[1] or []})
        points = datapoints(
            session, tenant_id, namespace, metric_name, dimensions, start, end, period,
            wanted or None, extended or None, unit,
        )  # fmt: skip
        for fetch in members:
            fetched[fetch.id], messages[fetch.id] = metric_data.series_from_datapoints(
                points, fetch.stat
            )
    return metric_data.assemble_results(plan, fetched, messages=messages)
