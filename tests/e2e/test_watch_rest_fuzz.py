"""The watch REST API against the running system (honcho on the real Procfile).

- schemathesis generates requests from the published OpenAPI document, for every operation,
  with the e2e tenant's token and id, and checks that no response is a server error and that
  every response matches the document (status, content type, body schema).
- boto3's CloudWatch client and the REST API see each other's alarms and datapoints, and
  their statistics agree on the same data.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from models.watch.alarms import INITIAL_REASON
from tests.e2e.conftest import LiveSystem
from tests.support import wait_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the document forbids is refused with a 4xx
    ignored_auth,  # the same request without the token is refused
]
# Listed, not discovered, so that each gets its own test id at collection (before the system
# is up); test_every_documented_operation_is_fuzzed keeps the list honest.
OPERATIONS = [
    "GET /{tenant_id}/alarms",
    "POST /{tenant_id}/alarms",
    "GET /{tenant_id}/alarms/{name}",
    "PUT /{tenant_id}/alarms/{name}",
    "PATCH /{tenant_id}/alarms/{name}",
    "DELETE /{tenant_id}/alarms/{name}",
    "GET /{tenant_id}/alarms/{name}/state",
    "PUT /{tenant_id}/alarms/{name}/state",
    "GET /{tenant_id}/alarms/{name}/history",
    "GET /{tenant_id}/alarms/{name}/graph.png",
    "GET /{tenant_id}/metrics",
    "GET /{tenant_id}/metrics/statistics",
    "GET /{tenant_id}/metrics/graph.png",
    "POST /{tenant_id}/metrics/data",
    "GET /{tenant_id}/dashboards",
    "GET /{tenant_id}/dashboards/{name}",
    "PUT /{tenant_id}/dashboards/{name}",
    "DELETE /{tenant_id}/dashboards/{name}",
]
EXISTING = "fuzz-target"  # an alarm and a dashboard the "existing" runs aim at
MAX_EXAMPLES = 15


@pytest.fixture(scope="session")
def watch_rest_schema(  # type: ignore[no-untyped-def]
    live_system: LiveSystem, tmp_path_factory: pytest.TempPathFactory
):
    # Hypothesis caches what it learns under .hypothesis/; keep that out of the project.
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    # schemathesis.pytest.from_fixture would parametrize lazily, but its loader reads a pytest
    # internal (Node._nodeid) that pytest 9 no longer has; the operations are listed instead.
    return schemathesis.openapi.from_url(f"{live_system.watch_url}/openapi.json", timeout=30)


def test_every_documented_operation_is_fuzzed(watch_rest_schema: Any) -> None:
    labels = [result.ok().label for result in watch_rest_schema.get_all_operations()]
    assert sorted(labels) == sorted(OPERATIONS)


def _ensure_targets(live_system: LiveSystem) -> None:
    rest = Rest(live_system)
    rest("PUT", f"/dashboards/{EXISTING}", json={"body": {"widgets": []}})
    if rest("GET", f"/alarms/{EXISTING}").status_code == 404:
        rule = {"namespace": "E2E/fuzz", "metric_name": "CPU", "statistic": "Average",
                "period": 60, "evaluation_periods": 1, "threshold": 1.0,
                "comparison_operator": "gt"}  # fmt: skip
        rest("POST", "/alarms", json={"name": EXISTING, "rule": rule})


@pytest.mark.parametrize(
    ("label", "target"),
    [(label, "generated") for label in OPERATIONS]
    + [(label, "existing") for label in OPERATIONS if "{name}" in label],
)
def test_no_server_error_and_responses_match_the_document(
    label: str, target: str, watch_rest_schema: Any, live_system: LiveSystem
) -> None:
    """Positive and negative cases of one operation, with the e2e tenant's id and token.

    `generated` leaves the alarm or dashboard name to the fuzzer (mostly 404s); `existing`
    aims the same cases at resources that exist, so their bodies reach the services."""
    operation = watch_rest_schema.find_operation_by_label(label)
    tenant = live_system.tenant
    token = {"X-Auth-Token": tenant.auth_token}
    path_parameters = {"tenant_id": tenant.tenant_id}
    if target == "existing":
        path_parameters["name"] = EXISTING
    modes = [GenerationMode.POSITIVE]
    if operation.body or any(p.location == "query" for p in operation.iter_parameters()):
        modes.append(GenerationMode.NEGATIVE)  # path parameters alone have nothing to negate
    for mode in modes:
        strategy = operation.as_strategy(
            generation_mode=mode,
            path_parameters=path_parameters,
            headers=token,  # given, not generated, so a negative case never drops it
        )

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,  # each run starts afresh: no example database to replay
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def fuzz(case: Any) -> None:
            case.path_parameters.update(path_parameters)
            if target == "existing":
                _ensure_targets(live_system)  # a DELETE case may have removed them
            transport = {"base_url": f"{live_system.watch_url}/v1", "headers": token, "timeout": 30}
            response = case.call(**transport)
            # An HTTP server may refuse an over-long request line itself (414) before the
            # app sees it: not a response of this API, so not a case for its document.
            assume(response.status_code != 414)
            if response.status_code == 200 and label.endswith(".png"):
                # schemathesis reads no image body: check that this one is a PNG.
                assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
            case.validate_response(
                response, checks=CHECKS, headers=token, transport_kwargs=transport
            )

        fuzz()


# --- The two APIs side by side ------------------------------------------------------------------


class Rest:
    def __init__(self, live_system: LiveSystem) -> None:
        tenant = live_system.tenant
        self.base = f"{live_system.watch_url}/v1/{tenant.tenant_id}"
        self.headers = {"X-Auth-Token": tenant.auth_token}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.base + path, headers=self.headers, timeout=30, **kwargs
        )


def _minute_ago() -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_alarms_made_by_either_api_are_seen_by_the_other(
    cw: Any, live_system: LiveSystem, protocol: str
) -> None:
    rest = Rest(live_system)
    name = f"rest-{protocol}-{uuid.uuid4().hex[:6]}"
    created = rest(
        "POST",
        "/alarms",
        json={
            "name": name,
            "description": "made over REST",
            "ok_actions": ["http://127.0.0.1:9/ok"],
            "rule": {
                "namespace": "E2E/rest",
                "metric_name": "CPU",
                "dimensions": [{"name": "Host", "value": "a"}],
                "statistic": "p90",
                "period": 60,
                "evaluation_periods": 3,
                "datapoints_to_alarm": 2,
                "threshold": 75.0,
                "comparison_operator": "ge",
                "treat_missing_data": "notBreaching",
            },
        },
    )
    assert created.status_code == 201, created.text
    (seen,) = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert seen["AlarmArn"] == created.json()["alarm_id"]
    assert seen["AlarmDescription"] == "made over REST"
    assert seen["ExtendedStatistic"] == "p90"
    assert seen["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert seen["DatapointsToAlarm"] == 2
    assert seen["TreatMissingData"] == "notBreaching"
    assert seen["OKActions"] == ["http://127.0.0.1:9/ok"]
    assert seen["Dimensions"] == [{"Name": "Host", "Value": "a"}]

    other = f"cw-{protocol}-{uuid.uuid4().hex[:6]}"
    cw.put_metric_alarm(
        AlarmName=other,
        Namespace="E2E/rest",
        MetricName="CPU",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10.0,
        ComparisonOperator="LessThanThreshold",
        ActionsEnabled=False,
    )
    shown = rest("GET", f"/alarms/{other}")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["type"] == "threshold"
    assert body["enabled"] is False
    assert body["rule"]["statistic"] == "Maximum"
    assert body["rule"]["comparison_operator"] == "lt"
    listed = rest("GET", "/alarms", params={"name_prefix": f"cw-{protocol}-"}).json()
    assert other in [alarm["name"] for alarm in listed["alarms"]]

    # A state set over REST is the state DescribeAlarms reports, and the reverse. A manual
    # state holds until the next evaluation: let the one after creation pass first.
    wait_for(
        lambda: rest("GET", f"/alarms/{other}/state").json()["reason"] != INITIAL_REASON,
        timeout=30,
        what="the evaluation right after creation",
    )
    assert rest("PUT", f"/alarms/{other}/state", json={"state": "alarm", "reason": "x"}).ok
    assert cw.describe_alarms(AlarmNames=[other])["MetricAlarms"][0]["StateValue"] == "ALARM"
    cw.set_alarm_state(AlarmName=other, StateValue="OK", StateReason="back")
    assert rest("GET", f"/alarms/{other}/state").json()["state"] == "ok"

    assert rest("DELETE", f"/alarms/{name}").status_code == 204
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=[other])
    assert rest("GET", f"/alarms/{other}").status_code == 404


def test_statistics_agree_between_the_two_apis_on_the_same_data(
    cw: Any, live_system: LiveSystem, protocol: str
) -> None:
    rest = Rest(live_system)
    namespace = f"E2E/rest/{protocol}/{uuid.uuid4().hex[:6]}"
    at = _minute_ago() + timedelta(seconds=5)
    # Half the data through each API, into the same metric.
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Latency", "Timestamp": at, "Values": [1.0, 2.0, 3.0],
             "Counts": [1.0, 1.0, 2.0], "Unit": "Seconds"},
        ],
    )  # fmt: skip
    posted = rest(
        "POST",
        "/metrics/data",
        json={
            "namespace": namespace,
            "metric_data": [
                {"metric_name": "Latency", "timestamp": _iso(at), "value": 10.0, "unit": "Seconds"},
                {"metric_name": "Latency", "timestamp": _iso(at + timedelta(minutes=1)),
                 "values": [4.0, 8.0], "unit": "Seconds"},
            ],
        },
    )  # fmt: skip
    assert posted.status_code == 202, posted.text

    start, end = at - timedelta(minutes=5), at + timedelta(minutes=5)
    stats = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"]

    def rest_points() -> list[dict]:
        response = rest(
            "GET",
            "/metrics/statistics",
            params={"namespace": namespace, "name": "Latency", "period": 60,
                    "start": _iso(start), "end": _iso(end), "statistics": stats},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        points = response.json()["datapoints"]
        return points if sum(p["sample_count"] for p in points) == 7 else []

    points = wait_for(rest_points, timeout=30, what="both batches to be stored")
    aws = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", StartTime=start, EndTime=end, Period=60,
        Statistics=stats,
    )["Datapoints"]  # fmt: skip
    aws = sorted(aws, key=lambda p: p["Timestamp"])
    assert len(points) == len(aws) == 2
    for mine, theirs in zip(points, aws, strict=True):
        assert mine["timestamp"] == _iso(theirs["Timestamp"])
        assert mine["unit"] == theirs["Unit"] == "Seconds"
        for stat, key in zip(stats, ("sample_count", "sum", "average", "minimum", "maximum"),
                             strict=True):  # fmt: skip
            assert mine[key] == pytest.approx(theirs[stat]), stat

    percentiles = rest(
        "GET",
        "/metrics/statistics",
        params={"namespace": namespace, "name": "Latency", "period": 300, "start": _iso(start),
                "end": _iso(end), "percentiles": ["p50", "p90"]},
    ).json()["datapoints"]  # fmt: skip
    extended = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", StartTime=start, EndTime=end, Period=300,
        ExtendedStatistics=["p50", "p90"],
    )["Datapoints"]  # fmt: skip
    assert [p["percentiles"] for p in percentiles] == [
        p["ExtendedStatistics"] for p in sorted(extended, key=lambda p: p["Timestamp"])
    ]
    listed = rest("GET", "/metrics", params={"namespace": namespace}).json()["metrics"]
    assert listed == [{"namespace": namespace, "metric_name": "Latency", "dimensions": []}]
    assert cw.list_metrics(Namespace=namespace)["Metrics"] == [
        {"Namespace": namespace, "MetricName": "Latency", "Dimensions": []}
    ]
