"""GetMetricWidgetImage through the watch app: a real boto3 client in each protocol, its
requests handed to the Flask test client (SigV4, codecs, handler, a migrated watch DB)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from flask import Flask
from PIL import Image

from config.settings import Settings
from models.identity.tenants import NewCredentials
from models.sessions import Database, session_scope
from models.watch import metrics, widgets
from models.watch.datums import Datum, canonical_dimensions
from tests.e2e.cloudwatch_clients import PROTOCOLS, cloudwatch_client
from tests.support import create_tenant
from web.aws.widget_images import draw
from web.watch_app import create_watch_app

ENDPOINT = "http://watch.test:8003"
END = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
START = END - timedelta(hours=1)
MAGENTA = (255, 0, 255)


class _Raw(io.BytesIO):
    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.getvalue()


def _through(app: Flask) -> Callable[..., AWSResponse]:
    """botocore's before-send hook: the signed request goes to the app, not the network."""
    client = app.test_client()

    def send(request: AWSPreparedRequest, **_: object) -> AWSResponse:
        url = urlsplit(request.url)
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        response = client.open(
            url.path or "/",
            method=request.method,
            query_string=url.query,
            base_url=f"{url.scheme}://{url.netloc}",
            headers=headers,
            data=request.body or b"",
        )
        return AWSResponse(request.url, response.status_code, dict(response.headers),
                           _Raw(response.get_data()))  # fmt: skip

    return send


@pytest.fixture
def app(migrated_settings: Settings, make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(create_watch_app, migrated_settings)


@pytest.fixture
def tenant(migrated_settings: Settings) -> NewCredentials:
    return create_tenant(migrated_settings, f"widgets-{uuid.uuid4().hex[:6]}")


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cw(app: Flask, tenant: NewCredentials, protocol: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return _client(app, tenant, protocol, tmp_path)


def _client(app: Flask, tenant: NewCredentials, protocol: str, models: Path):  # type: ignore[no-untyped-def]
    client = cloudwatch_client(
        ENDPOINT, tenant.access_key_id, tenant.secret_access_key, protocol=protocol,
        data_root=models,
    )  # fmt: skip
    client.meta.events.register("before-send.cloudwatch", _through(app))
    return client


def _store(settings: Settings, tenant_id: str, name: str, values: list[float]) -> None:
    database = Database(settings.watch_database_url, "watch")
    try:
        with session_scope(database) as session:
            metrics.record_batch(session, tenant_id, uuid.uuid4().hex, [
                Datum(
                    namespace="App", metric_name=name,
                    dimensions=canonical_dimensions([("Host", "a")]),
                    timestamp=START + timedelta(minutes=5 * i, seconds=7), unit="Percent",
                    storage_resolution=60, sample_count=1.0, sum=v, minimum=v, maximum=v,
                    distribution=((v, 1.0),),
                )
                for i, v in enumerate(values)
            ])  # fmt: skip
    finally:
        database.dispose()


def _widget(**extra: Any) -> str:
    widget = {
        "metrics": [["App", "CPU", "Host", "a", {"color": "#ff00ff", "period": 300}]],
        "start": START.isoformat(),
        "end": END.isoformat(),
        "width": 500,
        "height": 300,
        "title": "CPU",
        "legend": {"position": "hidden"},
        **extra,
    }
    return json.dumps(widget)


def _no_data(text: str) -> bytes:
    plan = widgets.plan_widget(text, datetime.now(UTC))
    empty = {"MetricDataResults": [
        {"Id": i, "Label": plan.queries.labels[i], "Timestamps": [], "Values": []}
        for i in plan.queries.returned
    ]}  # fmt: skip
    return draw(plan, empty)


def _pixels(png: bytes) -> set[tuple[int, int, int]]:
    return set(Image.open(io.BytesIO(png)).convert("RGB").getdata())


def test_a_graph_of_stored_data_in_every_protocol(cw, tenant, migrated_settings) -> None:  # type: ignore[no-untyped-def]
    _store(migrated_settings, tenant.tenant_id, "CPU", [10.0, 50.0, 30.0, 70.0, 20.0, 60.0])
    text = _widget(annotations={"horizontal": [{"value": 65, "label": "max", "color": "#00ff00"}]})

    png = cw.get_metric_widget_image(MetricWidget=text)["MetricWidgetImage"]

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(png)).size == (500, 300)
    assert png != _no_data(text)
    assert MAGENTA in _pixels(png)
    # Same widget, same data (absolute times): the same bytes.
    assert (
        cw.get_metric_widget_image(MetricWidget=text, OutputFormat="png")["MetricWidgetImage"]
        == png
    )


def test_metric_math_is_drawn(cw, tenant, migrated_settings) -> None:  # type: ignore[no-untyped-def]
    _store(migrated_settings, tenant.tenant_id, "CPU", [10.0, 20.0, 30.0])
    text = _widget(metrics=[
        ["App", "CPU", "Host", "a", {"id": "c", "visible": False}],
        [{"expression": "c * 2", "label": "double", "color": "#ff00ff"}],
    ])  # fmt: skip
    png = cw.get_metric_widget_image(MetricWidget=text)["MetricWidgetImage"]
    assert MAGENTA in _pixels(png)


def test_another_tenants_data_is_not_drawn(app, tenant, migrated_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _store(migrated_settings, tenant.tenant_id, "CPU", [10.0, 50.0, 30.0])
    other = create_tenant(migrated_settings, f"other-{uuid.uuid4().hex[:6]}")
    text = _widget()
    png = _client(app, other, "json", tmp_path).get_metric_widget_image(MetricWidget=text)
    assert png["MetricWidgetImage"] == _no_data(text)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"MetricWidget": "{"}, "The MetricWidget is not valid JSON"),
        ({"MetricWidget": _widget(metrics=[["...", "x"]])}, 'at /metrics/0/0: "..." repeats'),
        ({"MetricWidget": _widget(), "OutputFormat": "image/png"}, "The OutputFormat image/png"),
        ({"MetricWidget": _widget(), "OutputFormat": "jpeg"}, "The value jpeg for parameter"),
    ],
)
def test_refusals_are_invalid_parameter_value(cw, params: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as error:
        cw.get_metric_widget_image(**params)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in error.value.response["Error"]["Message"]
