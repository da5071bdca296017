"""The CloudWatch endpoint against the running system, through real clients in every protocol."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import botocore.auth
import botocore.credentials
import cbor2
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from tests.e2e.cloudwatch_clients import cloudwatch_client
from tests.support import VENV_BIN, create_tenant, wait_for


def _minute_ago() -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)


def _stats(cw, namespace: str, name: str, dims: list[dict], start: datetime, **kw) -> list[dict]:  # type: ignore[no-untyped-def]
    response = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=dims,
        StartTime=start - timedelta(minutes=5),
        EndTime=start + timedelta(minutes=5),
        Period=60,
        **kw,
    )
    return sorted(response["Datapoints"], key=lambda d: d["Timestamp"])


def test_put_then_read_statistics_in_every_protocol(cw, protocol: str) -> None:
    namespace = f"E2E/{protocol}/{uuid.uuid4().hex[:8]}"
    dims = [{"Name": "Host", "Value": "web-1"}]
    at = _minute_ago() + timedelta(seconds=5)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Latency", "Dimensions": dims, "Timestamp": at, "Value": 10.0,
             "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": dims, "Timestamp": at,
             "Values": [20.0, 30.0], "Counts": [1.0, 2.0], "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": dims, "Timestamp": at, "Unit": "Milliseconds",
             "StatisticValues": {"SampleCount": 2, "Sum": 10.0, "Minimum": 4.0, "Maximum": 6.0}},
        ],
    )  # fmt: skip

    def visible() -> list[dict]:
        points = _stats(
            cw, namespace, "Latency", dims, at,
            Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        )  # fmt: skip
        return points if points and points[0]["SampleCount"] == 6 else []

    (point,) = wait_for(visible, timeout=30, what="the datapoints to be queryable")
    assert point["Sum"] == 10.0 + 20.0 + 60.0 + 10.0
    assert point["Minimum"] == 4.0
    assert point["Maximum"] == 30.0
    assert point["Average"] == pytest.approx(100.0 / 6)
    assert point["Unit"] == "Milliseconds"
    assert point["Timestamp"] == at.replace(second=0)

    listed = cw.list_metrics(Namespace=namespace)["Metrics"]
    assert listed == [{"Namespace": namespace, "MetricName": "Latency", "Dimensions": dims}]
    # Exact dimension match: the same metric without its dimension is a different metric.
    assert _stats(cw, namespace, "Latency", [], at, Statistics=["Sum"]) == []


def test_validation_errors_reach_boto3_with_aws_codes(cw) -> None:
    with pytest.raises(ClientError) as error:
        cw.put_metric_data(
            Namespace="E2E/bad",
            MetricData=[{"MetricName": "m", "Value": 1.0, "Values": [1.0]}],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "mutually exclusive" in error.value.response["Error"]["Message"]

    now = datetime.now(UTC)
    with pytest.raises(ClientError) as error:
        cw.get_metric_statistics(
            Namespace="E2E/bad", MetricName="m", StartTime=now, EndTime=now - timedelta(hours=1),
            Period=60, Statistics=["Sum"],
        )  # fmt: skip
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_wrong_secret_and_unknown_key_are_refused(live_system, protocol: str, model_root) -> None:  # type: ignore[no-untyped-def]
    tenant = live_system.tenant
    for key_id, secret, code in (
        (tenant.access_key_id, "wrong-secret", "SignatureDoesNotMatch"),
        ("AKIAUNKNOWNKEY000000", "whatever", "InvalidClientTokenId"),
    ):
        client = cloudwatch_client(
            live_system.watch_url, key_id, secret, protocol=protocol, data_root=model_root
        )
        with pytest.raises(ClientError) as error:
            client.list_metrics()
        assert error.value.response["Error"]["Code"] == code
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_tenants_only_see_their_own_metrics(live_system, model_root) -> None:  # type: ignore[no-untyped-def]
    other = create_tenant(live_system.settings, f"other-{uuid.uuid4().hex[:6]}")
    mine = cloudwatch_client(
        live_system.watch_url, live_system.tenant.access_key_id,
        live_system.tenant.secret_access_key,
    )  # fmt: skip
    theirs = cloudwatch_client(live_system.watch_url, other.access_key_id, other.secret_access_key)
    namespace = f"E2E/private/{uuid.uuid4().hex[:8]}"
    mine.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "m", "Value": 1.0}])
    wait_for(
        lambda: mine.list_metrics(Namespace=namespace)["Metrics"], timeout=30, what="my metric"
    )
    assert theirs.list_metrics(Namespace=namespace)["Metrics"] == []


def test_aws_cli_puts_and_reads(live_system) -> None:
    tenant = live_system.tenant
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": tenant.access_key_id,
        "AWS_SECRET_ACCESS_KEY": tenant.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    namespace = f"E2E/cli/{uuid.uuid4().hex[:8]}"
    base = [str(VENV_BIN / "aws"), "cloudwatch", "--endpoint-url", live_system.watch_url]
    subprocess.run(
        [*base, "put-metric-data", "--namespace", namespace, "--metric-name", "Load",
         "--value", "42", "--unit", "Percent"],
        env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip

    def listed() -> list:
        out = subprocess.run(
            [*base, "list-metrics", "--namespace", namespace],
            env=env, check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        return json.loads(out)["Metrics"]

    assert wait_for(listed, timeout=30, what="the CLI's metric")[0]["MetricName"] == "Load"


def test_raw_cbor_request_and_response(live_system) -> None:
    """A hand-built rpcv2Cbor call, as Smithy SDKs send it, signed with SigV4."""
    tenant = live_system.tenant
    body = cbor2.dumps({"Namespace": "E2E/cbor-raw", "MetricName": "m"})
    url = f"{live_system.watch_url}/service/GraniteServiceVersion20100801/operation/ListMetrics"
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Smithy-Protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
        },
    )
    credentials = botocore.credentials.Credentials(tenant.access_key_id, tenant.secret_access_key)
    botocore.auth.SigV4Auth(credentials, "monitoring", "us-east-1").add_auth(request)
    response = requests.post(url, data=body, headers=dict(request.headers.items()), timeout=10)
    assert response.status_code == 200
    assert response.headers["Smithy-Protocol"] == "rpc-v2-cbor"
    assert response.headers["x-amzn-RequestId"]
    assert cbor2.loads(response.content) == {"Metrics": []}


def test_a_full_gzip_compressed_batch_of_1000_datums(cw, protocol: str) -> None:
    """botocore gzips PutMetricData bodies over 10 KiB; SigV4 covers the compressed bytes."""
    encodings: list[bytes] = []
    cw.meta.events.register(
        "before-send.cloudwatch.PutMetricData",
        lambda request, **_: encodings.append(request.headers.get("Content-Encoding")),
    )
    namespace = f"E2E/gzip/{protocol}/{uuid.uuid4().hex[:8]}"
    start = _minute_ago() - timedelta(minutes=40)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Hits", "Timestamp": start + timedelta(seconds=2 * i), "Value": 1.0}
            for i in range(1000)
        ],
    )
    assert encodings in ([b"gzip"], ["gzip"])

    def total() -> float:
        points = cw.get_metric_statistics(
            Namespace=namespace, MetricName="Hits", StartTime=start,
            EndTime=start + timedelta(hours=1), Period=60, Statistics=["SampleCount"],
        )["Datapoints"]  # fmt: skip
        return sum(p["SampleCount"] for p in points)

    wait_for(lambda: total() == 1000, timeout=30, what="all 1000 datums")


def test_get_metric_data_with_math_in_every_protocol(cw, protocol: str) -> None:
    namespace = f"E2E/gmd/{protocol}/{uuid.uuid4().hex[:8]}"
    at = _minute_ago() + timedelta(seconds=1)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Errors", "Timestamp": at, "Value": 5.0},
            {"MetricName": "Requests", "Timestamp": at, "Value": 50.0},
        ],
    )
    stat = {"Period": 60, "Stat": "Sum"}

    def results() -> dict[str, dict]:
        response = cw.get_metric_data(
            StartTime=at - timedelta(minutes=5),
            EndTime=at + timedelta(minutes=5),
            MetricDataQueries=[
                {"Id": "e", "MetricStat": {"Metric": {"Namespace": namespace,
                 "MetricName": "Errors"}, **stat}, "ReturnData": False},
                {"Id": "r", "MetricStat": {"Metric": {"Namespace": namespace,
                 "MetricName": "Requests"}, **stat}},
                {"Id": "rate", "Expression": "100 * e / r", "Label": "ErrorRate"},
            ],
        )  # fmt: skip
        return {r["Id"]: r for r in response["MetricDataResults"]}

    # Both datums commit in one transaction; once one is visible, a fresh query sees both.
    # (A query racing that commit may read `e` before it and `r` after it.)
    wait_for(lambda: results()["r"]["Values"], timeout=30, what="the batch to be stored")
    by_id = results()
    assert set(by_id) == {"r", "rate"}
    assert by_id["r"]["Values"] == [50.0]
    assert by_id["r"]["Label"] == "Requests"
    assert by_id["rate"]["Values"] == [10.0]
    assert by_id["rate"]["Label"] == "ErrorRate"
    assert by_id["rate"]["StatusCode"] == "Complete"

    with pytest.raises(ClientError) as error:
        cw.get_metric_data(
            StartTime=at - timedelta(minutes=5),
            EndTime=at,
            MetricDataQueries=[{"Id": "Bad", "Expression": "SEARCH('x', 'Sum', 60)"}],
        )
    assert error.value.response["Error"]["Code"] == "ValidationError"
