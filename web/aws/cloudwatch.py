"""One handler per CloudWatch operation: AWS parameters in, a result dict (output members) out.

Handlers hold no rules of their own: they call the domain's validation and services, and
hand writes that can wait to the metrics queue. They receive the verified Principal and the
params the protocol layer parsed (model member names, typed values). A handler that must
add a response header (PutMetricData's X-Amzn-Failure-Message) puts it in
`g.aws_response_headers`; the endpoint adds it to a successful response in any protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import g

from models.errors import MissingParameterError
from models.identity.tenants import Principal
from models.watch import metric_data, metric_queries, metrics, statistics
from models.watch.datums import canonical_dimensions
from models.watch.metric_validation import accept_put_metric_data, validate_metric_reference
from web.metric_ingest import enqueue_batch
from web.sessions import db_session

Handler = Callable[[Principal, dict[str, Any]], dict[str, Any] | None]

# AWS's spelling; clients read header names case-insensitively.
FAILURE_MESSAGE_HEADER = "X-Amzn-Failure-Message"


def _now() -> datetime:
    return datetime.now(UTC)


def _dimensions(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d.get("Name", ""), d.get("Value", "")) for d in params.get("Dimensions") or []]


def _required(params: dict[str, Any], name: str) -> Any:
    if params.get(name) is None:
        raise MissingParameterError(f"The parameter {name} is required.")
    return params[name]


def put_metric_data(principal: Principal, params: dict[str, Any]) -> None:
    accepted = accept_put_metric_data(
        params.get("Namespace"),
        params.get("MetricData"),
        _now(),
        entity_metric_data=params.get("EntityMetricData"),
        strict_entity_validation=params.get("StrictEntityValidation"),
    )
    datums = accepted.datums
    if accepted.entity_failure is not None:
        # StrictEntityValidation=false: the data is stored without its entities, and the
        # 200 says why in a header (§3.1), which every protocol's response carries.
        g.aws_response_headers = [(FAILURE_MESSAGE_HEADER, accepted.entity_failure)]
    # Who sent it is recorded with the batch: an instance key names its stack and resource.
    source = None
    if principal.kind != "tenant":
        source = f"{principal.kind}:{principal.stack_id}:{principal.resource_name}"
    enqueue_batch(principal.tenant_id, g.request_id, datums, source)
    return None


def get_metric_statistics(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _required(params, "Namespace")
    metric_name = _required(params, "MetricName")
    start = _required(params, "StartTime")
    end = _required(params, "EndTime")
    period = _required(params, "Period")
    validate_metric_reference(namespace, metric_name, params.get("Dimensions") or [])
    dimensions = _dimensions(params)
    now = _now()
    wanted = params.get("Statistics")
    extended = params.get("ExtendedStatistics")
    statistics.validate_statistics_request(
        start, end, period, wanted, extended, now, len(dimensions), unit=params.get("Unit")
    )
    aligned_start, aligned_end = statistics.aligned_range(start, end, period, now)
    datapoints = metric_queries.datapoints(
        db_session("watch"), principal.tenant_id, namespace, metric_name,
        canonical_dimensions(dimensions), aligned_start, aligned_end, period, wanted, extended,
        params.get("Unit"),
    )  # fmt: skip
    return {"Label": metric_name, "Datapoints": datapoints}


def get_metric_data(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    plan = metric_data.plan_queries(
        params.get("MetricDataQueries"),
        params.get("StartTime"),
        params.get("EndTime"),
        _now(),
        max_datapoints=params.get("MaxDatapoints"),
        scan_by=params.get("ScanBy"),
        next_token=params.get("NextToken"),
        require_returned=True,
        label_options=params.get("LabelOptions"),
    )
    return metric_queries.run_plan(db_session("watch"), principal.tenant_id, plan)


def list_metrics(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    recently_active = params.get("RecentlyActive")
    filters = params.get("Dimensions") or []
    metrics.validate_list_request(recently_active, len(filters))
    validate_metric_reference(
        params.get("Namespace"), params.get("MetricName"), filters,
        dimension_values_required=False,
    )  # fmt: skip
    found, next_token = metrics.list_metrics(
        db_session("watch"),
        principal.tenant_id,
        namespace=params.get("Namespace"),
        metric_name=params.get("MetricName"),
        dimension_filters=[(f.get("Name", ""), f.get("Value")) for f in filters],
        recently_active=recently_active == "PT3H",
        now=_now(),
        page_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {"Metrics": found}
    if next_token:
        result["NextToken"] = next_token
    return result


HANDLERS: dict[str, Handler] = {
    "PutMetricData": put_metric_data,
    "GetMetricStatistics": get_metric_statistics,
    "GetMetricData": get_metric_data,
    "ListMetrics": list_metrics,
}
