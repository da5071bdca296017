"""Reading statistics out of the metric store: shared by GetMetricStatistics, GetMetricData
and the alarm evaluator (math alarms), so they agree on every number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.watch import metric_data, metrics, statistics
from models.watch.metric_data import Plan


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
    """GetMetricData's output for a validated plan."""
    fetched, messages = {}, {}
    for fetch in plan.fetches:
        wanted, extended = fetch.statistics_args
        points = datapoints(
            session, tenant_id, fetch.namespace, fetch.metric_name, fetch.dimensions,
            fetch.start, fetch.end, fetch.period, wanted, extended, fetch.unit,
        )  # fmt: skip
        fetched[fetch.id], messages[fetch.id] = metric_data.series_from_datapoints(
            points, fetch.stat
        )
    return metric_data.assemble_results(plan, fetched, messages=messages)
