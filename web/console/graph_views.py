"""The console's metric pages and its graph images (PNGs from models/watch/metric_graphs.py)."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for

from models.errors import InvalidInputError
from models.watch import alarms, metric_graphs, metrics, statistics
from models.watch.datums import canonical_dimensions
from web.console import session_auth
from web.console.common import (
    AUTO_RANGE,
    DEFAULT_RANGE,
    GRAPH_HEIGHT,
    GRAPH_WIDTH,
    MAX_GRAPH_SIDE,
    METRIC_PAGE_SIZE,
    PERIOD_CHOICES,
    RANGES,
    STATISTIC_CHOICES,
    MetricQuery,
    blueprint,
    dimensions_text,
    find_alarm,
    int_arg,
    range_arg,
    tenant_id,
    time_range,
    utc_now,
)
from web.sessions import db_session


def _size() -> tuple[int, int]:
    width = int_arg("width", GRAPH_WIDTH) or GRAPH_WIDTH
    height = int_arg("height", GRAPH_HEIGHT) or GRAPH_HEIGHT
    if not (0 < width <= MAX_GRAPH_SIDE and 0 < height <= MAX_GRAPH_SIDE):
        abort(400, f"width and height must be between 1 and {MAX_GRAPH_SIDE}.")
    return width, height


def _png(data: bytes) -> Response:
    return Response(data, mimetype="image/png")


def _alarm_png(name: str) -> Response:
    alarm = find_alarm(name)
    range_name = request.args.get("range") or AUTO_RANGE
    if range_name == AUTO_RANGE:
        start, end = metric_graphs.alarm_graph_range(alarm, utc_now())
    else:
        start, end = time_range(range_arg())
    width, height = _size()
    png = metric_graphs.alarm_graph(
        db_session("watch"),
        tenant_id(),
        alarm,
        start=start,
        end=end,
        width=width,
        height=height,
    )
    return _png(png)


@blueprint.get("/alarms/<path:name>/graph.png")
@session_auth.signed_in(redirect_to_login=False)
def alarm_graph_png(name: str) -> Response:
    return _alarm_png(name)


@blueprint.get("/alarm/graph.png")
@session_auth.signed_in(redirect_to_login=False)
def alarm_graph_png_by_query() -> Response:
    return _alarm_png(request.args.get("name", ""))


@blueprint.get("/metrics")
@session_auth.signed_in()
def metric_list() -> str:
    namespace = request.args.get("namespace") or None
    marker = request.args.get("next") or None
    found, next_token = metrics.list_metrics(
        db_session("watch"),
        tenant_id(),
        namespace=namespace,
        now=utc_now(),
        page_token=marker,
        page_size=METRIC_PAGE_SIZE,
    )
    rows = []
    for metric in found:
        dimensions = canonical_dimensions([(d["Name"], d["Value"]) for d in metric["Dimensions"]])
        query = MetricQuery(
            metric["Namespace"], metric["MetricName"], dimensions, "Average", None, DEFAULT_RANGE
        )
        rows.append(
            {
                "namespace": metric["Namespace"],
                "name": metric["MetricName"],
                "dimensions": dimensions_text(dimensions),
                "graph_url": url_for(".metric_graph_page", **query.args()),
            }
        )
    filters = {"namespace": namespace} if namespace else {}
    return render_template(
        "console/metrics.html",
        metrics=rows,
        namespace=namespace or "",
        next_url=url_for(".metric_list", **filters, next=next_token) if next_token else None,
        first_url=url_for(".metric_list", **filters) if marker else None,
        now=utc_now(),
    )


def _graph_problem(query: MetricQuery) -> str | None:
    """Why the graph service would refuse this graph (the same checks), so the page can say
    so instead of showing a broken image."""
    start, end = time_range(query.range_name)
    try:
        percentile = statistics.parse_statistic(query.statistic, "Statistic").is_percentile_type
        wanted, extended = (None, [query.statistic]) if percentile else ([query.statistic], None)
        statistics.validate_statistics_request(
            start, end, query.effective_period, wanted, extended, utc_now(), len(query.dimensions)
        )
    except InvalidInputError as exc:
        return exc.message
    return None


@blueprint.get("/metrics/graph")
@session_auth.signed_in()
def metric_graph_page() -> tuple[str, int]:
    query = MetricQuery.from_request()
    problem = _graph_problem(query)
    watching = alarms.describe_alarms_for_metric(
        db_session("watch"),
        tenant_id(),
        namespace=query.namespace,
        metric_name=query.metric_name,
        statistic=None,
        extended_statistic=None,
        dimensions=query.dimensions,
        period=None,
        unit=None,
    )
    page = render_template(
        "console/metric_graph.html",
        query=query,
        problem=problem,
        dimensions=dimensions_text(query.dimensions),
        graph_url=url_for(".metric_graph_png", **query.args()),
        ranges=list(RANGES),
        statistics=STATISTIC_CHOICES,
        periods=PERIOD_CHOICES,
        alarms=watching,
        graph_size=(GRAPH_WIDTH, GRAPH_HEIGHT),
        now=utc_now(),
    )
    return page, 400 if problem else 200


@blueprint.get("/metrics/graph.png")
@session_auth.signed_in(redirect_to_login=False)
def metric_graph_png() -> Response:
    query = MetricQuery.from_request()
    start, end = time_range(query.range_name)
    width, height = _size()
    png = metric_graphs.metric_graph(
        db_session("watch"),
        tenant_id(),
        namespace=query.namespace,
        metric_name=query.metric_name,
        dimensions=query.dimensions,
        statistic=query.statistic,
        period=query.effective_period,
        start=start,
        end=end,
        width=width,
        height=height,
        title=f"{query.metric_name} ({query.statistic}, {query.effective_period} s)",
    )
    return _png(png)
