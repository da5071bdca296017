"""GetMetricWidgetImage against the running system, through boto3 in every protocol."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from models.watch import widgets
from tests.support import wait_for
from web.aws.widget_images import draw

MAGENTA = (255, 0, 255)


def _no_data(text: str) -> bytes:
    """What the server draws for this widget when it finds no datapoints."""
    plan = widgets.plan_widget(text, datetime.now(UTC))
    empty = {"MetricDataResults": [
        {"Id": i, "Label": plan.queries.labels[i], "Timestamps": [], "Values": []}
        for i in plan.queries.returned
    ]}  # fmt: skip
    return draw(plan, empty)


def test_a_graph_of_put_data_in_every_protocol(cw, protocol: str) -> None:  # type: ignore[no-untyped-def]
    namespace = f"E2E/widget/{protocol}/{uuid.uuid4().hex[:8]}"
    end = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=30)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": "web-1"}],
             "Timestamp": start + timedelta(minutes=2 * i, seconds=5), "Value": float(v)}
            for i, v in enumerate([10, 40, 25, 60, 35, 80, 50])
        ],
    )  # fmt: skip
    text = json.dumps(
        {
            "metrics": [
                [namespace, "Load", "Host", "web-1", {"color": "#ff00ff", "stat": "Maximum"}]
            ],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "period": 60,
            "width": 640,
            "height": 320,
            "title": "Load",
            "legend": {"position": "hidden"},
            "annotations": {"horizontal": [{"value": 70, "label": "limit", "color": "#ff0000"}]},
        }
    )
    empty = _no_data(text)

    def graph() -> bytes | None:
        png = cw.get_metric_widget_image(MetricWidget=text)["MetricWidgetImage"]
        return png if png != empty else None

    png = wait_for(graph, timeout=30, what="a graph with the datapoints")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    picture = Image.open(io.BytesIO(png))
    assert picture.size == (640, 320)
    assert MAGENTA in set(picture.convert("RGB").getdata())


def test_invalid_widgets_are_invalid_parameter_value(cw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as error:
        cw.get_metric_widget_image(MetricWidget='{"metrics": [["OnlyNamespace"]]}')
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert (
        "a metric needs a namespace and a metric name" in error.value.response["Error"]["Message"]
    )
