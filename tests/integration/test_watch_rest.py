"""The watch REST API (/v1/<tenant_id>/...) on the watch app, against a real Redis broker.

Each test gets its own Redis database, so what a request queued (an alarm evaluation, a batch
of datapoints) can be read back off the queue. The "same service" tests drive the CloudWatch
handlers in web/aws/ in the same app and database and compare what both frontends say.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from flask import Flask, g
from flask.testing import FlaskClient

from config.settings import Settings
from models.identity.tenants import NewCredentials, Principal
from models.sessions import Database, session_scope
from models.watch import alarms, metrics
from models.watch.datums import Datum
from tests.support import create_tenant
from web.aws import alarms as cloudwatch_alarms
from web.aws import cloudwatch


@pytest.fixture
def tenant(watch_settings: Settings) -> NewCredentials:
    return create_tenant(watch_settings, "rest")


@dataclass
class Rest:
    client: FlaskClient
    tenant: NewCredentials

    def url(self, path: str) -> str:
        return f"/v1/{self.tenant.tenant_id}{path}"

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"X-Auth-Token": self.tenant.auth_token, **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.open(self.url(path), method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def rest(app: Flask, tenant: NewCredentials) -> Rest:
    return Rest(app.test_client(), tenant)


def queued(settings: Settings, queue: str) -> list[tuple[str, list[Any]]]:
    """(task name, args) of the messages waiting on a queue, oldest first."""
    with redis.Redis.from_url(settings.broker_url) as client:
        raw = client.lrange(queue, 0, -1)
    found = []
    for item in reversed(raw):  # kombu LPUSHes and its consumers pop from the other end
        message = json.loads(item)
        body = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], body[0]))
    return found


def threshold_alarm(name: str = "cpu-high", **rule: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "CPU over 80",
        "alarm_actions": ["http://127.0.0.1:9/alarm"],
        "rule": {
            "namespace": "App",
            "metric_name": "CPU",
            "dimensions": [{"name": "Host", "value": "web-1"}],
            "statistic": "Average",
            "period": 60,
            "evaluation_periods": 2,
            "threshold": 80.0,
            "comparison_operator": "gt",
            **rule,
        },
    }


def principal_of(tenant: NewCredentials) -> Principal:
    return Principal(tenant_id=tenant.tenant_id, tenant_name=tenant.tenant_name, kind="tenant")


def cloudwatch_call(app: Flask, handler: Any, tenant: NewCredentials, params: dict) -> Any:
    """A CloudWatch handler of web/aws/, as the endpoint calls it after parsing a request."""
    with app.test_request_context("/"):
        g.request_id = "req-cloudwatch"
        return handler(principal_of(tenant), params)


def assert_error(response: Any, status: int, error_type: str | None = None) -> dict:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == status
    assert body["request_id"].startswith("req-")
    assert body["explanation"] == body["error"]["message"]
    if error_type:
        assert body["error"]["type"] == error_type
    return body


# --- The document and the neighbours ----------------------------------------------------------


def test_openapi_document_describes_every_route_and_swagger_ui_loads(app: Flask) -> None:
    client = app.test_client()
    document = client.get("/openapi.json").get_json()
    assert document["swagger"] == "2.0"
    assert document["basePath"] == "/v1"
    assert set(document["paths"]) == {
        "/{tenant_id}/alarms",
        "/{tenant_id}/alarms/{name}",
        "/{tenant_id}/alarms/{name}/state",
        "/{tenant_id}/alarms/{name}/history",
        "/{tenant_id}/alarms/{name}/graph.png",
        "/{tenant_id}/metrics",
        "/{tenant_id}/metrics/statistics",
        "/{tenant_id}/metrics/graph.png",
        "/{tenant_id}/metrics/data",
        "/{tenant_id}/dashboards",
        "/{tenant_id}/dashboards/{name}",
    }
    assert set(document["paths"]["/{tenant_id}/alarms/{name}"]) >= {"get", "put", "patch", "delete"}
    assert document["securityDefinitions"]["token"]["name"] == "X-Auth-Token"
    assert document["definitions"]["AlarmCreate"]["additionalProperties"] is False
    assert client.get("/v1/swagger.json").get_json() == document
    ui = client.get("/docs")
    assert ui.status_code == 200
    assert b"swagger-ui" in ui.data
    assert b"/openapi.json" in ui.data


def test_the_cloudwatch_endpoint_keeps_v1_slash(app: Flask) -> None:
    response = app.test_client().get("/v1/?Action=ListMetrics")
    assert response.status_code == 403  # CloudWatch's MissingAuthenticationToken, in XML
    assert b"MissingAuthenticationToken" in response.data


# --- Authentication -----------------------------------------------------------------------------


def test_a_token_is_required_and_must_be_the_paths_tenant(
    rest: Rest, watch_settings: Settings
) -> None:
    assert_error(rest.client.get(rest.url("/alarms")), 401)
    assert_error(rest.client.get(rest.url("/alarms"), headers={"X-Auth-Token": "nope"}), 401)
    other = create_tenant(watch_settings, "other")
    response = rest.client.get(rest.url("/alarms"), headers={"X-Auth-Token": other.auth_token})
    assert_error(response, 403)
    # Authentication comes before anything else, a bad body included.
    assert_error(rest.client.post(rest.url("/alarms"), json={"bad": 1}), 401)


# --- Alarms -------------------------------------------------------------------------------------


def test_create_show_and_the_cloudwatch_handlers_see_the_same_alarm(
    rest: Rest, app: Flask, watch_settings: Settings
) -> None:
    response = rest.post(
        "/alarms", {**threshold_alarm(), "tags": [{"key": "team", "value": "ops"}]}
    )
    created = response.get_json()
    assert response.status_code == 201, created
    assert response.headers["Location"].endswith(rest.url("/alarms/cpu-high"))
    arn = f"arn:aws:cloudwatch:us-east-1:{rest.tenant.tenant_id}:alarm:cpu-high"
    assert created["alarm_id"] == arn
    assert created["type"] == "threshold"
    assert created["state"] == "insufficient data"
    assert created["state_reason"] == alarms.INITIAL_REASON
    assert created["enabled"] is True
    assert created["rule"]["comparison_operator"] == "gt"
    assert created["rule"]["dimensions"] == [{"name": "Host", "value": "web-1"}]
    assert created["timestamp"].endswith("Z")
    assert rest.get("/alarms/cpu-high").get_json() == created

    # The immediate evaluation a PutMetricAlarm asks for was queued after the commit.
    assert ("watch.evaluate_changed", []) in queued(watch_settings, "watch")

    # DescribeAlarms, through the CloudWatch endpoint's own handler, on the same database.
    described = cloudwatch_call(
        app, cloudwatch_alarms.describe_alarms, rest.tenant, {"AlarmNames": ["cpu-high"]}
    )
    (metric_alarm,) = described["MetricAlarms"]
    assert metric_alarm["AlarmArn"] == arn
    assert metric_alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert metric_alarm["Statistic"] == "Average"
    assert metric_alarm["Dimensions"] == [{"Name": "Host", "Value": "web-1"}]
    assert metric_alarm["AlarmActions"] == ["http://127.0.0.1:9/alarm"]
    assert metric_alarm["AlarmDescription"] == "CPU over 80"


def test_an_alarm_put_through_cloudwatch_reads_back_in_aodh_terms(rest: Rest, app: Flask) -> None:
    cloudwatch_call(
        app,
        cloudwatch_alarms.put_metric_alarm,
        rest.tenant,
        {
            "AlarmName": "latency-p99",
            "Namespace": "App",
            "MetricName": "Latency",
            "ExtendedStatistic": "p99",
            "Period": 300,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Threshold": 0.5,
            "ComparisonOperator": "LessThanOrEqualToThreshold",
            "TreatMissingData": "breaching",
            "Unit": "Seconds",
            "ActionsEnabled": False,
        },
    )
    shown = rest.get("/alarms/latency-p99").get_json()
    assert shown["enabled"] is False
    assert shown["description"] is None
    assert shown["rule"] == {
        "namespace": "App",
        "metric_name": "Latency",
        "dimensions": [],
        "statistic": "p99",
        "period": 300,
        "evaluation_periods": 3,
        "datapoints_to_alarm": 2,
        "threshold": 0.5,
        "comparison_operator": "le",
        "treat_missing_data": "breaching",
        "unit": "Seconds",
        "evaluate_low_sample_count_percentile": None,
        "metrics": None,
    }


def test_create_refuses_an_existing_name_where_cloudwatch_would_upsert(rest: Rest) -> None:
    assert rest.post("/alarms", threshold_alarm()).status_code == 201
    body = assert_error(rest.post("/alarms", threshold_alarm(threshold=1.0)), 409, "Conflict")
    assert "cpu-high" in body["explanation"]
    assert rest.get("/alarms/cpu-high").get_json()["rule"]["threshold"] == 80.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**threshold_alarm(), "colour": "red"}, "colour"),
        ({**threshold_alarm(), "state": "ok"}, "state"),  # read-only members are not input
        (threshold_alarm(period="60"), "rule"),
        (threshold_alarm(threshold=True), "rule"),
        (threshold_alarm(comparison_operator="GreaterThanThreshold"), "rule"),
        ({k: v for k, v in threshold_alarm().items() if k != "rule"}, "rule"),
        ({k: v for k, v in threshold_alarm().items() if k != "name"}, "name"),
        ({**threshold_alarm(), "alarm_rule": "ALARM(x)"}, "alarm_rule"),
        ({**threshold_alarm(), "name": "a\x00b"}, "name"),
        ({**threshold_alarm(), "enabled": 1}, "enabled"),
        ([threshold_alarm()], "_schema"),
    ],
)
def test_a_body_of_the_wrong_shape_is_422_naming_the_field(
    rest: Rest, body: Any, field: str
) -> None:
    error = assert_error(rest.post("/alarms", body), 422, "ValidationError")
    assert field in error["error"]["fields"]
    assert field in error["explanation"] or field == "_schema"


def test_a_well_shaped_alarm_the_rules_refuse_is_400_with_cloudwatchs_message(rest: Rest) -> None:
    body = assert_error(rest.post("/alarms", threshold_alarm(period=45)), 400, "InvalidParameter")
    assert body["explanation"] == "The parameter Period must be 10, 20, 30 or a multiple of 60."
    body = assert_error(rest.post("/alarms", threshold_alarm(statistic="p1000")), 400)
    assert "ExtendedStatistic" in body["explanation"]
    body = assert_error(rest.post("/alarms", threshold_alarm(metric_name=None)), 400)
    assert body["explanation"] == "The parameter MetricName is required."
    assert rest.get("/alarms").get_json() == {"alarms": []}


def test_body_transport_errors(rest: Rest) -> None:
    assert_error(rest.post("/alarms", data="name=x", headers={"Content-Type": "text/plain"}), 415)
    assert_error(rest.post("/alarms", data="{", content_type="application/json"), 400)
    assert_error(rest.post("/alarms", data="", content_type="application/json"), 400)
    huge = json.dumps({"name": "x" * (2 * 1024 * 1024)})
    assert_error(rest.post("/alarms", data=huge, content_type="application/json"), 413)
    deep = "[" * 100_000 + "]" * 100_000
    assert_error(rest.post("/alarms", data=deep, content_type="application/json"), 400)


def test_put_replaces_the_whole_configuration(rest: Rest) -> None:
    rest.post("/alarms", threshold_alarm())
    body = threshold_alarm(threshold=90.0, comparison_operator="ge")
    del body["name"]
    del body["description"]
    replaced = rest.put("/alarms/cpu-high", body)
    assert replaced.status_code == 200, replaced.get_json()
    shown = replaced.get_json()
    assert shown["rule"]["threshold"] == 90.0
    assert shown["rule"]["comparison_operator"] == "ge"
    assert shown["description"] is None  # left out of a full replace: gone
    assert_error(rest.put("/alarms/nope", body), 404, "NotFound")
    assert_error(rest.put("/alarms/cpu-high", {**body, "name": "other"}), 422)


def test_patch_merges_into_the_stored_configuration_and_validates_the_result(rest: Rest) -> None:
    rest.post("/alarms", threshold_alarm())
    response = rest.patch(
        "/alarms/cpu-high",
        {"description": None, "enabled": False, "rule": {"threshold": 95.5, "unit": "Percent"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    patched = response.get_json()
    assert response.status_code == 200, patched
    assert patched["description"] is None
    assert patched["enabled"] is False
    assert patched["rule"]["threshold"] == 95.5
    assert patched["rule"]["unit"] == "Percent"
    assert patched["rule"]["metric_name"] == "CPU"  # untouched members stay
    assert_error(rest.patch("/alarms/cpu-high", {"rule": {"period": 7}}), 400)
    assert_error(rest.patch("/alarms/cpu-high", {"rule": None}), 422)
    assert_error(rest.patch("/alarms/cpu-high", ["x"]), 422)
    # Unknown members are refused even where a merge would ignore them (null removes nothing).
    assert_error(rest.patch("/alarms/cpu-high", {"colour": None}), 422)
    assert_error(rest.patch("/alarms/cpu-high", {"rule": {"colour": 1}}), 422)
    assert_error(rest.patch("/alarms/nope", {"enabled": True}), 404)
    # A type change is the service's to refuse, as PutCompositeAlarm on a metric alarm's name.
    assert_error(rest.patch("/alarms/cpu-high", {"type": "composite", "rule": None,
                                                 "alarm_rule": "TRUE"}), 400)  # fmt: skip


def test_delete_is_204_then_404_and_history_outlives_the_alarm(rest: Rest) -> None:
    rest.post("/alarms", threshold_alarm())
    assert rest.delete("/alarms/cpu-high").status_code == 204
    assert_error(rest.delete("/alarms/cpu-high"), 404)
    assert_error(rest.get("/alarms/cpu-high"), 404)
    history = rest.get("/alarms/cpu-high/history").get_json()["history"]
    assert [item["detail"]["type"] for item in history] == ["Delete", "Create"]
    assert {item["type"] for item in history} == {"configuration"}


def test_names_with_slashes_and_odd_names(rest: Rest) -> None:
    assert rest.post("/alarms", threshold_alarm("prod/web/cpu")).status_code == 201
    assert rest.get("/alarms/prod/web/cpu").get_json()["name"] == "prod/web/cpu"
    assert rest.get("/alarms/prod%2Fweb%2Fcpu").get_json()["name"] == "prod/web/cpu"
    assert rest.get("/alarms/prod/web/cpu/state").get_json()["state"] == "insufficient data"
    assert_error(rest.get("/alarms/" + "x" * 300), 404)
    assert_error(rest.get("/alarms/a%00b"), 404)
    assert rest.get("/alarms/a%00b/history").get_json() == {"history": []}


def test_composite_alarms(rest: Rest, app: Flask) -> None:
    rest.post("/alarms", threshold_alarm("child"))
    response = rest.post(
        "/alarms",
        {"name": "parent", "type": "composite", "alarm_rule": 'ALARM("child")',
         "ok_actions": ["https://example.com/ok"]},
    )  # fmt: skip
    parent = response.get_json()
    assert response.status_code == 201, parent
    assert parent["type"] == "composite"
    assert parent["alarm_rule"] == 'ALARM("child")'
    assert "rule" not in parent
    body = assert_error(rest.post("/alarms", {"name": "p2", "type": "composite",
                                              "alarm_rule": 'ALARM("ghost")'}), 400)  # fmt: skip
    assert "ghost" in body["explanation"]
    # A child a composite names cannot go: the service's rule, the service's message.
    assert "depending on it" in assert_error(rest.delete("/alarms/child"), 400)["explanation"]
    described = cloudwatch_call(
        app, cloudwatch_alarms.describe_alarms, rest.tenant,
        {"AlarmNames": ["parent"], "AlarmTypes": ["CompositeAlarm"]},
    )  # fmt: skip
    assert described["CompositeAlarms"][0]["AlarmRule"] == 'ALARM("child")'


def test_a_metric_math_alarm_round_trips(rest: Rest, app: Flask) -> None:
    queries = [
        {"id": "errors", "return_data": False,
         "metric_stat": {"metric": {"namespace": "App", "metric_name": "Errors",
                                    "dimensions": [{"name": "Host", "value": "a"}]},
                         "period": 60, "stat": "Sum"}},
        {"id": "rate", "expression": "errors / 60", "label": "per second"},
    ]  # fmt: skip
    rule = {"metrics": queries, "evaluation_periods": 1, "threshold": 1.0,
            "comparison_operator": "gt"}  # fmt: skip
    body = {"name": "error-rate", "rule": rule}
    created = rest.post("/alarms", body)
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()["rule"]
    assert rule["metrics"] == queries
    assert rule["namespace"] is None
    (described,) = cloudwatch_call(
        app, cloudwatch_alarms.describe_alarms, rest.tenant, {"AlarmNames": ["error-rate"]}
    )["MetricAlarms"]
    assert described["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "Errors"
    assert described["Metrics"][1]["Expression"] == "errors / 60"
    # A PATCH that touches only the threshold keeps the queries.
    patched = rest.patch("/alarms/error-rate", {"rule": {"threshold": 2.0}}).get_json()
    assert patched["rule"]["metrics"] == queries


def test_list_filters_and_pages_by_name(rest: Rest) -> None:
    for name in ("b-2", "a-1", "b-1", "c-1"):
        assert rest.post("/alarms", threshold_alarm(name)).status_code == 201
    rest.post("/alarms", {"name": "b-composite", "type": "composite", "alarm_rule": "ALARM(c-1)"})
    rest.put("/alarms/c-1/state", {"state": "alarm", "reason": "test"})

    def names(query: str) -> list[str]:
        response = rest.get(f"/alarms{query}")
        assert response.status_code == 200, response.get_json()
        return [alarm["name"] for alarm in response.get_json()["alarms"]]

    assert names("") == ["a-1", "b-1", "b-2", "b-composite", "c-1"]
    assert names("?name_prefix=b-") == ["b-1", "b-2", "b-composite"]
    assert names("?type=composite") == ["b-composite"]
    assert names("?type=threshold&name_prefix=b") == ["b-1", "b-2"]
    assert names("?type=metric&name_prefix=b") == ["b-1", "b-2"]
    assert names("?state=alarm") == ["c-1"]
    assert names("?state=insufficient%20data&type=threshold") == ["a-1", "b-1", "b-2"]

    first = rest.get("/alarms?limit=2").get_json()
    assert [a["name"] for a in first["alarms"]] == ["a-1", "b-1"]
    assert first["next_marker"] == "b-1"
    second = rest.get("/alarms?limit=2&marker=b-1").get_json()
    assert [a["name"] for a in second["alarms"]] == ["b-2", "b-composite"]
    last = rest.get(f"/alarms?limit=2&marker={second['next_marker']}").get_json()
    assert [a["name"] for a in last["alarms"]] == ["c-1"]
    assert "next_marker" not in last

    for query in ("?limit=0", "?limit=101", "?limit=x", "?state=OK", "?type=log", "?colour=red"):
        assert_error(rest.get(f"/alarms{query}"), 422)


def test_state_can_be_read_and_set_and_is_recorded(
    rest: Rest, app: Flask, watch_settings: Settings
) -> None:
    rest.post("/alarms", threshold_alarm())
    state = rest.get("/alarms/cpu-high/state").get_json()
    assert state["state"] == "insufficient data"
    assert state["reason"] == alarms.INITIAL_REASON
    assert state["reason_data"] is None

    response = rest.put(
        "/alarms/cpu-high/state",
        {"state": "alarm", "reason": "drill", "reason_data": {"by": "ops", "n": 1}},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "alarm"
    assert response.get_json()["reason_data"] == {"by": "ops", "n": 1}
    shown = rest.get("/alarms/cpu-high").get_json()
    assert (shown["state"], shown["state_reason"]) == ("alarm", "drill")
    assert shown["state_reason_data"] == {"by": "ops", "n": 1}
    # The transition's action went to the watch queue, as SetAlarmState sends it.
    assert [t for t, _ in queued(watch_settings, "watch")].count("watch.run_action") == 1

    history = rest.get("/alarms/cpu-high/history?type=state%20transition").get_json()["history"]
    assert [item["summary"] for item in history] == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    ]
    assert history[0]["detail"]["newState"]["stateValue"] == "ALARM"

    # Any JSON is reason data, as StateReasonData is on the CloudWatch side.
    cloudwatch_call(
        app, cloudwatch_alarms.set_alarm_state, rest.tenant,
        {"AlarmName": "cpu-high", "StateValue": "OK", "StateReason": "cw",
         "StateReasonData": "[1]"},
    )  # fmt: skip
    assert rest.get("/alarms/cpu-high/state").get_json()["reason_data"] == [1]
    scalar = rest.put("/alarms/cpu-high/state", {"state": "ok", "reason": "x", "reason_data": 5})
    assert scalar.get_json()["reason_data"] == 5

    assert_error(rest.put("/alarms/cpu-high/state", {"state": "ALARM", "reason": "x"}), 422)
    assert_error(rest.put("/alarms/cpu-high/state", {"state": "ok"}), 422)
    too_long = {"state": "ok", "reason": "x" * 2000}
    assert_error(rest.put("/alarms/cpu-high/state", too_long), 400)
    assert_error(rest.put("/alarms/nope/state", {"state": "ok", "reason": "x"}), 404)
    assert_error(rest.get("/alarms/nope/state"), 404)


def test_history_filters_by_type_and_time_and_pages(rest: Rest) -> None:
    rest.post("/alarms", threshold_alarm())
    for n in range(4):
        rest.put("/alarms/cpu-high/state", {"state": "alarm" if n % 2 else "ok", "reason": str(n)})
    everything = rest.get("/alarms/cpu-high/history").get_json()["history"]
    assert len(everything) == 5
    assert [item["type"] for item in everything][-1] == "configuration"
    assert everything[0]["alarm_id"].endswith(":alarm:cpu-high")

    first = rest.get("/alarms/cpu-high/history?limit=2").get_json()
    assert first["history"] == everything[:2]
    rest_of_it = rest.get(f"/alarms/cpu-high/history?limit=10&marker={first['next_marker']}")
    assert rest_of_it.get_json()["history"] == everything[2:]

    configuration = rest.get("/alarms/cpu-high/history?type=configuration").get_json()
    assert len(configuration["history"]) == 1
    newest = everything[0]["timestamp"]
    recent = rest.get(f"/alarms/cpu-high/history?start={newest}").get_json()["history"]
    assert recent == [everything[0]]
    old = rest.get("/alarms/cpu-high/history?end=2000-01-01T00:00:00Z").get_json()
    assert old == {"history": []}

    assert_error(rest.get("/alarms/cpu-high/history?marker=bogus"), 400)
    assert_error(rest.get("/alarms/cpu-high/history?type=ConfigurationUpdate"), 422)
    assert_error(rest.get("/alarms/cpu-high/history?start=yesterday"), 422)
    assert_error(rest.get("/alarms/cpu-high/history?start=0001-01-01T00:00:00+05:00"), 422)


# --- Metrics ------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _minute_ago() -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)


def _ingest_queued(settings: Settings) -> None:
    """Store what the metrics queue holds, as the metrics.ingest_batch task does."""
    database = Database(settings.watch_database_url, "watch")
    try:
        for task, (tenant_id, batch_id, datums, source) in queued(settings, "metrics"):
            assert task == "metrics.ingest_batch"
            with session_scope(database) as session:
                metrics.record_batch(
                    session, tenant_id, batch_id, [Datum.from_message(d) for d in datums],
                    source=source,
                )  # fmt: skip
    finally:
        database.dispose()


def test_datapoints_go_through_put_metric_datas_queue_and_statistics_agree(
    rest: Rest, app: Flask, watch_settings: Settings
) -> None:
    at = _minute_ago()
    host = [{"name": "Host", "value": "web-1"}]
    response = rest.post(
        "/metrics/data",
        {"namespace": "App", "metric_data": [
            {"metric_name": "Latency", "dimensions": host, "timestamp": at.isoformat(),
             "value": 10.0, "unit": "Milliseconds"},
            {"metric_name": "Latency", "dimensions": host, "timestamp": at.isoformat(),
             "values": [20.0, 30.0], "counts": [1, 2], "unit": "Milliseconds"},
            {"metric_name": "Latency", "dimensions": host, "timestamp": at.isoformat(),
             "unit": "Milliseconds", "statistic_values": {"sample_count": 2, "sum": 10.0,
                                                          "minimum": 4.0, "maximum": 6.0}},
            {"metric_name": "Requests", "value": 1},
            {"metric_name": "Sizes", "values": [1, 2, 3, 4], "timestamp": at.isoformat()},
        ]},
    )  # fmt: skip
    accepted = response.get_json()
    assert response.status_code == 202, accepted
    assert accepted["accepted"] == 5
    ((task, args),) = queued(watch_settings, "metrics")
    assert task == "metrics.ingest_batch"
    assert args[0] == rest.tenant.tenant_id
    assert args[1] == accepted["batch_id"]  # the request id keys the batch
    assert response.headers["X-OpenStack-Request-ID"] == f"req-{accepted['batch_id']}"
    _ingest_queued(watch_settings)

    listed = rest.get("/metrics?namespace=App").get_json()["metrics"]
    assert {m["metric_name"] for m in listed} == {"Latency", "Requests", "Sizes"}
    assert rest.get("/metrics?dimension=Host:web-1").get_json()["metrics"] == [
        {"namespace": "App", "metric_name": "Latency", "dimensions": host}
    ]
    assert len(rest.get("/metrics?dimension=Host").get_json()["metrics"]) == 1
    assert rest.get("/metrics?name=Requests").get_json()["metrics"][0]["dimensions"] == []
    page = rest.get("/metrics?limit=1").get_json()
    assert len(page["metrics"]) == 1
    following = rest.get(f"/metrics?limit=1&marker={page['next_marker']}").get_json()
    assert following["metrics"] != page["metrics"]
    assert_error(rest.get("/metrics?marker=bogus"), 400)
    assert_error(rest.get("/metrics?recently_active=yes"), 422)

    start, end = at - timedelta(minutes=5), at + timedelta(minutes=5)
    query = (
        "/metrics/statistics?namespace=App&name=Latency&dimension=Host:web-1&period=60"
        f"&start={iso(start)}&end={iso(end)}"
    )
    response = rest.get(query + "&statistics=Sum&statistics=Average&statistics=SampleCount")
    rest_stats = response.get_json()
    assert response.status_code == 200, rest_stats
    (point,) = rest_stats["datapoints"]
    assert point == {
        "timestamp": iso(at),
        "unit": "Milliseconds",
        "sum": 100.0,
        "average": pytest.approx(100.0 / 6),
        "sample_count": 6.0,
    }
    # GetMetricStatistics through the CloudWatch handler says the same.
    (aws_point,) = cloudwatch_call(
        app, cloudwatch.get_metric_statistics, rest.tenant,
        {"Namespace": "App", "MetricName": "Latency", "StartTime": start, "EndTime": end,
         "Period": 60, "Dimensions": [{"Name": "Host", "Value": "web-1"}],
         "Statistics": ["Sum", "Average", "SampleCount"]},
    )["Datapoints"]  # fmt: skip
    assert (aws_point["Sum"], aws_point["Average"], aws_point["SampleCount"]) == (
        point["sum"], point["average"], point["sample_count"],
    )  # fmt: skip
    # Percentiles need raw values, which a StatisticValues datum does not give: left out.
    percentiles = rest.get(query + "&percentiles=p50").get_json()["datapoints"]
    assert "percentiles" not in percentiles[0]
    sizes = query.replace("name=Latency&dimension=Host:web-1", "name=Sizes")
    percentiles = rest.get(sizes + "&percentiles=p50&percentiles=p100").get_json()["datapoints"]
    assert percentiles[0]["percentiles"] == {"p50": 2.0, "p100": 4.0}
    defaults = rest.get(query).get_json()["datapoints"][0]
    assert set(defaults) == {"timestamp", "unit", "sample_count", "average", "sum", "minimum",
                             "maximum"}  # fmt: skip
    # The exact dimension set: without it, this is another metric.
    assert rest.get(query.replace("&dimension=Host:web-1", "")).get_json()["datapoints"] == []


def test_statistics_errors(rest: Rest) -> None:
    base = "/metrics/statistics?namespace=App&name=Latency"
    body = assert_error(rest.get(base + "&period=7"), 400, "InvalidParameter")
    assert body["explanation"] == "The parameter Period must be a multiple of 60."
    assert_error(rest.get(base + "&statistics=Median"), 400)
    assert_error(rest.get(base + "&statistics=Sum&percentiles=p99"), 400)
    assert_error(rest.get(base + "&start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z"), 400)
    assert_error(
        rest.get(base + "&period=1&start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z"), 400
    )
    assert_error(rest.get("/metrics/statistics?name=Latency"), 422)
    assert_error(rest.get(base + "&dimension=NoColon"), 422)
    assert_error(rest.get(base + "&unit=Parsecs"), 422)
    assert_error(rest.get(base + "&period=99999999999999999999"), 422)
    assert_error(rest.get(base + "&end=9999-12-31T23:59:59Z"), 422)


def test_datapoints_are_validated_like_put_metric_data(
    rest: Rest, watch_settings: Settings
) -> None:
    body = assert_error(
        rest.post("/metrics/data", {"namespace": "AWS/EC2",
                                    "metric_data": [{"metric_name": "x", "value": 1}]}),
        400,
    )  # fmt: skip
    assert "reserved for AWS" in body["explanation"]
    both = {"namespace": "App", "metric_data": [{"metric_name": "x", "value": 1, "values": [2]}]}
    assert (
        "mutually exclusive" in assert_error(rest.post("/metrics/data", both), 400)["explanation"]
    )
    old = {"namespace": "App", "metric_data": [{"metric_name": "x", "value": 1,
                                                "timestamp": "2001-01-01T00:00:00Z"}]}  # fmt: skip
    assert_error(rest.post("/metrics/data", old), 400)
    assert_error(
        rest.post("/metrics/data", {"namespace": "App", "metric_data": [{"value": 1}]}), 422
    )
    big = {"namespace": "App", "metric_data": [{"metric_name": "x", "value": 10**400}]}
    assert_error(
        rest.post("/metrics/data", data=json.dumps(big), content_type="application/json"), 422
    )
    assert queued(watch_settings, "metrics") == []


# --- Dashboards ---------------------------------------------------------------------------------

DASHBOARD = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                          "properties": {"markdown": "# hello"}}]}  # fmt: skip


def test_dashboards_put_get_list_delete(rest: Rest) -> None:
    created = rest.put("/dashboards/ops", {"body": DASHBOARD, "tags": [{"key": "k", "value": "v"}]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["body"] == DASHBOARD
    assert created.get_json()["messages"] == []
    with_warning = rest.put("/dashboards/ops", {"body": {**DASHBOARD, "colour": "red"}})
    assert with_warning.status_code == 200
    assert with_warning.get_json()["messages"][0]["data_path"] == "/colour"
    rest.put("/dashboards/other", {"body": {"widgets": []}})

    shown = rest.get("/dashboards/ops").get_json()
    assert shown["dashboard_id"] == f"arn:aws:cloudwatch::{rest.tenant.tenant_id}:dashboard/ops"
    assert shown["body"]["colour"] == "red"
    listed = rest.get("/dashboards").get_json()["dashboards"]
    assert [d["name"] for d in listed] == ["ops", "other"]
    assert [d["name"] for d in rest.get("/dashboards?name_prefix=ot").get_json()["dashboards"]] == [
        "other"
    ]
    assert rest.delete("/dashboards/ops").status_code == 204
    assert_error(rest.get("/dashboards/ops"), 404)
    assert_error(rest.delete("/dashboards/ops"), 404)
    assert_error(rest.get("/dashboards/bad.name"), 404)


def test_dashboard_errors(rest: Rest) -> None:
    refused = assert_error(rest.put("/dashboards/ops", {"body": {"widgets": "no"}}), 400)
    assert refused["error"]["type"] == "InvalidParameterInput"
    assert refused["error"]["messages"] == [{"data_path": "/widgets", "message": "Should be array"}]
    assert_error(rest.put("/dashboards/bad.name", {"body": DASHBOARD}), 400)
    assert_error(rest.put("/dashboards/ops", {"body": "{}"}), 422)
    assert_error(
        rest.put("/dashboards/ops", {"body": DASHBOARD, "tags": [{"key": "", "value": "v"}]}), 400
    )
    assert_error(rest.get("/dashboards?name_prefix=a%20b"), 400)
    assert_error(rest.get("/dashboards?marker=bogus"), 400)


# --- HTTP odds and ends -------------------------------------------------------------------------


def test_an_unsupported_method_is_405_with_allow(rest: Rest) -> None:
    response = rest.call("DELETE", "/alarms")
    assert_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert_error(rest.get("/nothing-here"), 404)
