"""/v1/<tenant_id>/metrics: ListMetrics, GetMetricStatistics, PutMetricData, and a graph.

Reads use the metric store's queries (models/watch/metrics.py, metric_queries.py) with
GetMetricStatistics' validation; datapoints go to the same metrics queue as PutMetricData;
the graph is models/watch/metric_graphs.py's, which reads through the same queries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, g
from flask_restx import Namespace, Resource

from models.watch import metric_graphs, metric_queries, metrics, statistics
from models.watch.datums import canonical_dimensions
from models.watch.metric_validation import validate_put_metric_data
from models.watch.statistics import STATISTICS
from web.api.schemas import watches as schemas
from web.api.watch.http import (
    READ_ERRORS,
    WRITE_ERRORS,
    documented,
    dump,
    json_body,
    load,
    now,
    png_response,
    query_args,
)
from web.auth import require_tenant
from web.metric_ingest import enqueue_batch
from web.sessions import db_session

DEFAULT_STATISTICS_PERIOD = 60
DEFAULT_STATISTICS_RANGE = timedelta(hours=1)

ns = Namespace("metrics", path="/<string:tenant_id>/metrics", description="Metrics")


@ns.route("")
class MetricList(Resource):
    @documented(
        ns, ok=(200, "A page of metrics", schemas.MetricPageSchema),
        errors=(400, *READ_ERRORS), query=schemas.MetricListQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """List metrics with data in the last two weeks (or three hours: recently_active)."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.MetricListQuery)
        filters = query.get("dimension", [])
        recently_active = bool(query.get("recently_active"))
        metrics.validate_list_request("PT3H" if recently_active else None, len(filters))
        found, next_token = metrics.list_metrics(
            db_session("watch"),
            principal.tenant_id,
            namespace=query.get("namespace"),
            metric_name=query.get("name"),
            dimension_filters=filters,
            recently_active=recently_active,
            now=now(),
            page_token=query.get("marker"),
            page_size=query.get("limit", metrics.LIST_PAGE_SIZE),
        )
        page: dict[str, Any] = {"metrics": [schemas.metric_view(m) for m in found]}
        if next_token:
            page["next_marker"] = next_token
        return dump(schemas.MetricPageSchema, page)


@ns.route("/statistics")
class MetricStatistics(Resource):
    @documented(
        ns, ok=(200, "Datapoints, oldest first", schemas.StatisticsSchema),
        errors=(400, *READ_ERRORS), query=schemas.StatisticsQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """Statistics of one metric (its exact dimension set), as GetMetricStatistics."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.StatisticsQuery)
        moment = now()
        end = query.get("end") or moment
        start = query.get("start") or end - DEFAULT_STATISTICS_RANGE
        period = query.get("period", DEFAULT_STATISTICS_PERIOD)
        dimensions = query.get("dimension", [])
        wanted, extended = query.get("statistics"), query.get("percentiles")
        if not wanted and not extended:
            wanted = list(STATISTICS)
        statistics.validate_statistics_request(
            start, end, period, wanted, extended, moment, len(dimensions)
        )
        aligned_start, aligned_end = statistics.aligned_range(start, end, period, moment)
        points = metric_queries.datapoints(
            db_session("watch"), principal.tenant_id, query["namespace"], query["name"],
            canonical_dimensions(dimensions), aligned_start, aligned_end, period, wanted,
            extended, query.get("unit"),
        )  # fmt: skip
        view = {"label": query["name"], "datapoints": [schemas.datapoint_view(p) for p in points]}
        return dump(schemas.StatisticsSchema, view)


@ns.route("/graph.png")
class MetricGraph(Resource):
    @documented(
        ns, ok=(200, "The graph, a PNG image", None), png=True,
        errors=(400, *READ_ERRORS), query=schemas.MetricGraphQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Response:
        """A graph of one statistic of one metric (its exact dimension set), as a PNG image."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.MetricGraphQuery)
        end = query.get("end") or now()
        start = query.get("start") or end - metric_graphs.DEFAULT_RANGE
        png = metric_graphs.metric_graph(
            db_session("watch"), principal.tenant_id,
            namespace=query["namespace"], metric_name=query["name"],
            dimensions=query.get("dimension", []),
            statistic=query.get("statistic", metric_graphs.DEFAULT_STATISTIC),
            period=query.get("period", metric_graphs.DEFAULT_PERIOD),
            start=start, end=end,
            width=query.get("width", metric_graphs.DEFAULT_WIDTH),
            height=query.get("height", metric_graphs.DEFAULT_HEIGHT),
            title=query.get("title"),
        )  # fmt: skip
        return png_response(png)


@ns.route("/data")
class MetricData(Resource):
    @documented(
        ns, ok=(202, "Queued for storage", schemas.MetricDataAcceptedSchema),
        errors=WRITE_ERRORS, body=("MetricData", schemas.MetricDataSchema),
    )  # fmt: skip
    def post(self, tenant_id: str) -> Any:
        """Store datapoints: PutMetricData's validation, then the same metrics queue."""
        principal = require_tenant(tenant_id)
        loaded = load(schemas.MetricDataSchema, json_body())
        datums = validate_put_metric_data(loaded.namespace, loaded.metric_data, now())
        enqueue_batch(principal.tenant_id, g.request_id, datums)
        accepted = {"batch_id": g.request_id, "accepted": len(datums)}
        return dump(schemas.MetricDataAcceptedSchema, accepted), 202
