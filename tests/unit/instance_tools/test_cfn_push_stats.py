"""cfn-push-stats: botocore's real CloudWatch client against a local server.

botocore 1.44.8 sends PutMetricData as awsJson1_0 (`POST /`, `X-Amz-Target:
GraniteServiceVersion20100801.PutMetricData`, `x-amzn-query-mode: true`): its client picks
`json` first from the model's protocols list. The fake server answers the way that
protocol says: 200 with `{}` as `application/x-amz-json-1.0`, errors as a JSON `__type`.
"""

from __future__ import annotations

import json
import math
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from instance_fakes import (
    ACCESS_KEY,
    RESOURCE,
    STACK_NAME,
    Instance,
    Recorded,
    Reply,
    assert_sigv4,
)

from instance_tools import _instance, cfn_push_stats

JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.0"}
ACCEPTED = Reply(200, b"{}", JSON_HEADERS)
PUT_METRIC_DATA_PATH = "/"


def json_error(status: int, code: str, message: str) -> Reply:
    body = json.dumps({"__type": f"com.amazonaws.cloudwatch#{code}", "message": message})
    return Reply(status, body.encode(), {**JSON_HEADERS, "x-amzn-query-error": f"{code};Sender"})


def pushed(request: Recorded) -> dict[str, Any]:
    assert request.headers["x-amz-target"] == "GraniteServiceVersion20100801.PutMetricData"
    assert request.headers["content-type"] == "application/x-amz-json-1.0"
    return request.json()


def by_name(call: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {datum["MetricName"]: datum for datum in call["MetricData"]}


def test_system_metrics_are_sane_and_signed(instance: Instance, capsys):
    instance.server.route("POST", PUT_METRIC_DATA_PATH, ACCEPTED)
    flags = [
        "--cpu-util",
        "--mem-util",
        "--mem-used",
        "--mem-avail",
        "--swap-util",
        "--swap-used",
        "--disk-space-util",
        "--disk-space-used",
        "--disk-space-avail",
        "--heartbeat",
        "--service-failure",
    ]
    before = datetime.now(UTC)

    assert cfn_push_stats.main(flags) == 0

    assert capsys.readouterr() == ("", "")  # safe from cron
    [request] = instance.server.requests
    assert_sigv4(request, "monitoring")
    call = pushed(request)
    assert call["Namespace"] == "system/linux"
    data = by_name(call)
    units = {name: datum["Unit"] for name, datum in data.items()}
    assert units == {
        "CPUUtilization": "Percent",
        "MemoryUtilization": "Percent",
        "MemoryUsed": "Megabytes",
        "MemoryAvailable": "Megabytes",
        "SwapUtilization": "Percent",
        "SwapUsed": "Megabytes",
        "DiskSpaceUtilization": "Percent",
        "DiskSpaceUsed": "Megabytes",
        "DiskSpaceAvailable": "Megabytes",
        "Heartbeat": "Count",
        "ServiceFailure": "Count",
    }
    values = {name: datum["Value"] for name, datum in data.items()}
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in values.values())
    for name in units:
        if units[name] == "Percent":
            assert 0 <= values[name] <= 100, name
    assert values["MemoryUsed"] > 0
    assert values["MemoryAvailable"] > 0
    assert values["SwapUsed"] >= 0
    assert values["DiskSpaceUsed"] > 0
    assert values["DiskSpaceAvailable"] >= 0
    assert values["Heartbeat"] == values["ServiceFailure"] == 1
    for datum in data.values():
        assert datum["Dimensions"] == [
            {"Name": "InstanceId", "Value": RESOURCE},
            {"Name": "StackName", "Value": STACK_NAME},
        ]
        timestamp = datetime.fromtimestamp(datum["Timestamp"], UTC)
        assert before - timedelta(seconds=1) <= timestamp <= datetime.now(UTC)
        assert "StorageResolution" not in datum


def test_custom_metrics_dimensions_watch_and_high_resolution(instance: Instance, capsys):
    instance.server.route("POST", PUT_METRIC_DATA_PATH, ACCEPTED)
    argv = [
        "--metric",
        "QueueDepth=42",
        "--metric",
        "Latency=12.5:milliseconds",
        "--metric",
        "Rate=3:Count/Second",
        "--watch",
        "HighQueue",
        "--dimension",
        "Role=worker",
        "--dimension",
        "StackName=override",
        "--namespace",
        "App/Queue",
        "--high-resolution",
        "--memory-units",
        "gigabytes",
        "--mem-used",
        "-v",
    ]

    assert cfn_push_stats.main(argv) == 0

    call = pushed(instance.server.requests[0])
    assert call["Namespace"] == "App/Queue"
    data = by_name(call)
    assert (data["QueueDepth"]["Value"], data["QueueDepth"]["Unit"]) == (42.0, "None")
    assert (data["Latency"]["Value"], data["Latency"]["Unit"]) == (12.5, "Milliseconds")
    assert data["Rate"]["Unit"] == "Count/Second"
    assert data["MemoryUsed"]["Unit"] == "Gigabytes"
    assert 0 < data["MemoryUsed"]["Value"] < 1024 * 1024  # gigabytes, not bytes
    for datum in data.values():
        assert datum["StorageResolution"] == 1
        assert datum["Dimensions"] == [
            {"Name": "InstanceId", "Value": RESOURCE},
            {"Name": "StackName", "Value": "override"},
            {"Name": "AlarmName", "Value": "HighQueue"},
            {"Name": "Role", "Value": "worker"},
        ]
    err = capsys.readouterr().err
    assert "pushed QueueDepth = 42.0 None" in err  # -v reports


def test_no_default_dimensions_and_explicit_endpoint(instance: Instance):
    instance.server.route("POST", PUT_METRIC_DATA_PATH, ACCEPTED)
    instance.path("/etc/cfn/cfn-endpoints").unlink()  # not needed with these options
    argv = ["--heartbeat", "--no-default-dimensions", "--url", instance.server.url]

    assert cfn_push_stats.main([*argv, "--region", "us-east-1"]) == 0

    [datum] = pushed(instance.server.requests[0])["MetricData"]
    assert datum["Dimensions"] == []


def test_period_loop_reads_rotated_credentials_on_each_push(instance: Instance):
    def accept_then_rotate(request: Recorded) -> Reply:
        _instance.write_credentials(
            _instance.CREDENTIALS_FILE, _instance.Credentials("AKIDROTATED", "new-secret")
        )
        return ACCEPTED

    instance.server.route("POST", PUT_METRIC_DATA_PATH, accept_then_rotate)

    argv = ["--heartbeat", "--period", "0.05", "--count", "2"]
    assert cfn_push_stats.main(argv) == 0

    first, second = instance.server.requests
    assert_sigv4(first, "monitoring", ACCESS_KEY)
    assert_sigv4(second, "monitoring", "AKIDROTATED")


def test_period_loop_survives_a_failed_push(instance: Instance, capsys):
    instance.server.route(
        "POST", PUT_METRIC_DATA_PATH, json_error(400, "InvalidParameterValue", "no"), ACCEPTED
    )

    argv = ["--heartbeat", "--period", "0.01", "--count", "2"]
    assert cfn_push_stats.main(argv) == 1  # one of the pushes failed

    assert len(instance.server.requests) == 2
    assert "trying again" in capsys.readouterr().err


def test_server_error_is_reported_with_its_code(instance: Instance, capsys):
    instance.server.route(
        "POST", PUT_METRIC_DATA_PATH, json_error(403, "InvalidClientTokenId", "unknown key")
    )

    assert cfn_push_stats.main(["--heartbeat", "--retries", "0"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("cfn-push-stats: error: PutMetricData to http://127.0.0.1:")
    assert "InvalidClientTokenId (HTTP 403): unknown key" in err


def test_server_down_is_a_clear_error(instance: Instance, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = ["--heartbeat", "--retries", "0", "--url", f"http://127.0.0.1:{port}"]

    assert cfn_push_stats.main(argv) == 1

    err = capsys.readouterr().err
    assert "cfn-push-stats: error: PutMetricData" in err
    assert "Could not connect" in err
    assert "Traceback" not in err


def test_missing_credentials_file(instance: Instance, capsys):
    instance.path("/etc/cfn/cfn-credentials").unlink()

    assert cfn_push_stats.main(["--heartbeat"]) == 1

    err = capsys.readouterr().err
    assert "credentials file" in err
    assert "cfn-credentials not found" in err
    assert instance.server.requests == []


def test_missing_disk_path_is_a_clear_error(instance: Instance, capsys):
    assert cfn_push_stats.main(["--disk-space-util", "--disk-path", "/no/such/dir"]) == 1

    assert "cannot read system metrics" in capsys.readouterr().err
    assert instance.server.requests == []


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], "nothing to push"),
        (["--metric", "Depth"], "expected NAME=VALUE[:UNIT]"),
        (["--metric", "Depth=many"], "is not a number"),
        (["--metric", "Depth=nan"], "must be finite"),
        (["--metric", "Depth=1:furlongs"], "unknown unit 'furlongs'"),
        (["--heartbeat", "--dimension", "Role"], "expected NAME=VALUE"),
        (["--heartbeat", "--period", "0"], "expected a number > 0"),
        (["--heartbeat", "--count", "2"], "--count goes with --period"),
    ],
)
def test_bad_usage_exits_2(instance: Instance, capsys, argv, words):
    with pytest.raises(SystemExit) as exit_info:
        cfn_push_stats.main(argv)

    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err
