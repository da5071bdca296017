"""GetMetricWidgetImage (cloudwatch-api.md §3.15): a MetricWidget in, a PNG graph out.

Parse and validate the widget (`models/watch/widgets.py`), read its series the way
GetMetricData does (`metric_queries.run_plan`, which reads each metric through
`metric_queries.datapoints`), draw them (`models/watch/graphs.py`).

OutputFormat: `png` (the default) returns the image in the `MetricWidgetImage` blob member,
which each codec writes its own way (base64 text in XML and JSON, a byte string in CBOR).
`image/png` asks for the PNG itself as the HTTP body with `Content-Type: image/png`. Every
handler's result goes through the request's codec, and the endpoint offers no way around it,
so that mode is refused (InvalidParameterValue) rather than answered in the wrong shape. SDKs
never ask for it: AWS documents it for hand-made HTTP requests only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from models.errors import InvalidParameterError, MissingParameterError
from models.identity.tenants import Principal
from models.watch import graphs, metric_queries, widgets
from web.sessions import db_session

OUTPUT_FORMAT = "png"
RAW_OUTPUT_FORMAT = "image/png"


def get_metric_widget_image(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    text = params.get("MetricWidget")
    if text is None:
        raise MissingParameterError("The parameter MetricWidget is required.")
    output_format = params.get("OutputFormat") or OUTPUT_FORMAT
    if output_format == RAW_OUTPUT_FORMAT:
        raise InvalidParameterError(
            "The OutputFormat image/png (a raw PNG response body) is not supported by this "
            "endpoint; use png, which returns the image in MetricWidgetImage."
        )
    if output_format != OUTPUT_FORMAT:
        raise InvalidParameterError(
            f"The value {output_format} for parameter OutputFormat is not supported; use png."
        )
    plan = widgets.plan_widget(text, datetime.now(UTC))
    output = metric_queries.run_plan(db_session("watch"), principal.tenant_id, plan.queries)
    return {"MetricWidgetImage": draw(plan, output)}


def draw(plan: widgets.WidgetPlan, output: Mapping[str, Any]) -> bytes:
    """The PNG for a planned widget and its GetMetricData output (run_plan's)."""
    return graphs.render(
        widgets.series(plan, output),
        title=plan.title,
        width=plan.width,
        height=plan.height,
        annotations=plan.annotations,
        bands=plan.bands,
        start=plan.start,
        end=plan.end,
        y_axes=plan.y_axes,
        stacked=plan.stacked,
        legend=plan.legend,
        tz=plan.tz,
    )


HANDLERS = {"GetMetricWidgetImage": get_metric_widget_image}
