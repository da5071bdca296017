"""A real boto3 client, unchanged, talking to our codecs in each of the three protocols.

boto3 1.44.8 picks JSON; a copy of botocore's model that lists only one protocol, placed
on AWS_DATA_PATH, makes it speak query or CBOR instead (cloudwatch-api.md §1.1). The HTTP
send is replaced by a `before-send` hook that runs our parse -> handler -> serialize, so
nothing leaves the process.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.loaders import Loader

from web.aws import errors
from web.aws.protocols import PROTOCOLS, ParsedCall, detect_protocol
from web.aws.request import AwsRequest

pytestmark = pytest.mark.unit

BOTOCORE_PROTOCOL = {"query": "query", "json": "json", "cbor": "smithy-rpc-v2-cbor"}
Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


class _Raw(io.BytesIO):
    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.getvalue()


class FakeEndpoint:
    """Our protocol layer behind a stub of the service: one handler per operation."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, request: AWSPreparedRequest, **_: object) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body or b""
        aws_request = AwsRequest(
            method=request.method,
            path=url.path,
            query_string=url.query,
            # After signing some values are bytes; a WSGI server would hand us text.
            headers=tuple(
                (key, value.decode() if isinstance(value, bytes) else value)
                for key, value in request.headers.items()
            ),
            body=body.encode() if isinstance(body, str) else body,
        )
        name = detect_protocol(aws_request)
        codec = PROTOCOLS[name]
        # Until parsing succeeds only the protocol is known; errors still need an envelope.
        call_or_protocol: ParsedCall | str = name
        try:
            call = call_or_protocol = codec.parse(aws_request)
            self.calls.append((call.protocol, call.operation, call.params))
            handler = self.handlers.get(call.operation, lambda params: None)
            response = codec.serialize_result(call, handler(call.params), "req-1")
        except errors.CloudWatchError as error:
            response = codec.serialize_error(call_or_protocol, error, "req-1")
        status, headers, payload = response
        return AWSResponse(request.url, status, dict(headers), _Raw(payload))


@pytest.fixture(params=list(BOTOCORE_PROTOCOL))
def protocol(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def endpoint() -> FakeEndpoint:
    return FakeEndpoint()


@pytest.fixture
def client(protocol: str, endpoint: FakeEndpoint, tmp_path: Path) -> Any:
    data = Loader().load_service_model("cloudwatch", "service-2")
    data["metadata"]["protocol"] = BOTOCORE_PROTOCOL[protocol]
    data["metadata"]["protocols"] = [BOTOCORE_PROTOCOL[protocol]]
    model_dir = tmp_path / "cloudwatch" / data["metadata"]["apiVersion"]
    model_dir.mkdir(parents=True)
    (model_dir / "service-2.json").write_text(json.dumps(data))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    cloudwatch = session.create_client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url="http://localhost:8003",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert cloudwatch.meta.service_model.resolved_protocol == BOTOCORE_PROTOCOL[protocol]
    cloudwatch.meta.events.register("before-send.cloudwatch", endpoint)
    return cloudwatch


def test_put_metric_data(client: Any, endpoint: FakeEndpoint, protocol: str) -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    client.put_metric_data(
        Namespace="Test/NS",
        MetricData=[
            {
                "MetricName": "Lat",
                "Dimensions": [{"Name": "Host", "Value": "a"}],
                "Timestamp": when,
                "Values": [1.0, 2.0],
                "Counts": [3.0, 4.0],
                "Unit": "Milliseconds",
            }
        ],
    )
    assert endpoint.calls == [
        (
            protocol,
            "PutMetricData",
            {
                "Namespace": "Test/NS",
                "MetricData": [
                    {
                        "MetricName": "Lat",
                        "Dimensions": [{"Name": "Host", "Value": "a"}],
                        "Timestamp": when,
                        "Values": [1.0, 2.0],
                        "Counts": [3.0, 4.0],
                        "Unit": "Milliseconds",
                    }
                ],
            },
        )
    ]


def test_describe_alarms_empty(client: Any, endpoint: FakeEndpoint) -> None:
    endpoint.handlers["DescribeAlarms"] = lambda params: {"MetricAlarms": [], "CompositeAlarms": []}
    response = client.describe_alarms(AlarmNames=[])
    assert response["MetricAlarms"] == []
    assert response["CompositeAlarms"] == []
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_get_metric_statistics(client: Any, endpoint: FakeEndpoint) -> None:
    at = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    endpoint.handlers["GetMetricStatistics"] = lambda params: {
        "Label": params["MetricName"],
        "Datapoints": [{"Timestamp": at, "ExtendedStatistics": {"p99": 12.5}, "Unit": "Count"}],
    }
    response = client.get_metric_statistics(
        Namespace="NS",
        MetricName="Lat",
        StartTime=at,
        EndTime=at,
        Period=60,
        ExtendedStatistics=["p99"],
    )
    assert response["Label"] == "Lat"
    assert response["Datapoints"] == [
        {"Timestamp": at, "ExtendedStatistics": {"p99": 12.5}, "Unit": "Count"}
    ]


def test_modelled_exception_class_and_status(client: Any, endpoint: FakeEndpoint) -> None:
    def missing(params: dict[str, Any]) -> None:
        raise errors.ResourceNotFound()

    endpoint.handlers["SetAlarmState"] = missing
    with pytest.raises(client.exceptions.ResourceNotFound) as caught:
        client.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="r")
    # botocore always sends x-amzn-query-mode, so the modelled 404 comes back.
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_invalid_parameter_value_exception(client: Any, endpoint: FakeEndpoint) -> None:
    def reject(params: dict[str, Any]) -> None:
        raise errors.InvalidParameterValue("The parameter Period must be a multiple of 60.")

    endpoint.handlers["GetMetricStatistics"] = reject
    at = datetime(2024, 1, 2, tzinfo=UTC)
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.get_metric_statistics(
            Namespace="NS", MetricName="m", StartTime=at, EndTime=at, Period=7, Statistics=["Sum"]
        )
    assert caught.value.response["Error"]["Message"] == (
        "The parameter Period must be a multiple of 60."
    )


def test_error_members_reach_the_client(client: Any, endpoint: FakeEndpoint) -> None:
    def unknown(params: dict[str, Any]) -> None:
        raise errors.ResourceNotFoundException(ResourceType="alarm", ResourceId="a")

    endpoint.handlers["TagResource"] = unknown
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.tag_resource(ResourceARN="arn:x", Tags=[{"Key": "k", "Value": "v"}])
    assert caught.value.response["ResourceType"] == "alarm"
    assert caught.value.response["ResourceId"] == "a"


def test_metric_widget_image(client: Any, endpoint: FakeEndpoint) -> None:
    png = b"\x89PNG\r\n\x1a\n"
    endpoint.handlers["GetMetricWidgetImage"] = lambda params: {"MetricWidgetImage": png}
    assert client.get_metric_widget_image(MetricWidget="{}")["MetricWidgetImage"] == png
