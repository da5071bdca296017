"""Alarms against the running system through boto3: state changes from real datapoints,
history, composite alarms, and actions reaching a real local HTTP receiver exactly once."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.support import wait_for
from tests.webhooks import WebhookReceiver

# e2e runs beat with a 1 s tick; a 10 s alarm is judged within one window plus a tick.
STATE_WAIT = 45.0


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _alarm(cw, name: str) -> dict:  # type: ignore[no-untyped-def]
    found = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    return (found["MetricAlarms"] + found["CompositeAlarms"])[0]


def _wait_state(cw, name: str, state: str, timeout: float = STATE_WAIT) -> dict:  # type: ignore[no-untyped-def]
    def reached() -> dict | None:
        alarm = _alarm(cw, name)
        return alarm if alarm["StateValue"] == state else None

    return wait_for(reached, timeout=timeout, what=f"{name} to reach {state}")


def _put(cw, namespace: str, value: float, at: datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Load",
                "Dimensions": [{"Name": "Host", "Value": "web-1"}],
                "Value": value,
                "Timestamp": at or datetime.now(UTC),
                "StorageResolution": 1,
            }
        ],
    )


@pytest.mark.parametrize("protocol", ["json"], indirect=True)
def test_a_high_resolution_alarm_goes_to_alarm_and_back_with_one_post_per_transition(
    cw, protocol: str
) -> None:
    namespace, name = _unique("E2E/Alarm"), _unique("load-high")
    with WebhookReceiver() as receiver:
        cw.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName="Load",
            Dimensions=[{"Name": "Host", "Value": "web-1"}],
            Statistic="Maximum",
            Period=10,
            EvaluationPeriods=1,
            Threshold=5.0,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[f"{receiver.url}/alarm"],
            OKActions=[f"{receiver.url}/ok"],
        )
        created = _alarm(cw, name)
        assert created["StateValue"] == "INSUFFICIENT_DATA"
        assert created["AlarmArn"].endswith(f":alarm:{name}")
        assert created["AlarmArn"].startswith("arn:aws:cloudwatch:us-east-1:")

        _put(cw, namespace, 9.0)
        alarm = _wait_state(cw, name, "ALARM")
        assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [9.0 (")
        reason_data = json.loads(alarm["StateReasonData"])
        assert reason_data["period"] == 10
        assert reason_data["recentDatapoints"] == [9.0]

        _put(cw, namespace, 1.0)
        _wait_state(cw, name, "OK")
        wait_for(lambda: len(receiver.posts("/ok")) == 1, timeout=30, what="the OK webhook")
        time.sleep(3)  # room for any duplicate to arrive: there must be none
        alarm_posts, ok_posts = receiver.posts("/alarm"), receiver.posts("/ok")
    assert len(alarm_posts) == 1
    assert len(ok_posts) == 1
    body = alarm_posts[0]["body"]
    assert (body["alarm_name"], body["previous"], body["current"]) == (
        name, "insufficient data", "alarm",
    )  # fmt: skip
    assert body["NewStateValue"] == "ALARM"
    assert body["AlarmArn"] == created["AlarmArn"]
    assert body["reason_data"]["recentDatapoints"] == [9.0]
    assert ok_posts[0]["body"]["previous"] == "alarm"

    def history_complete() -> list | None:
        items = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending")
        items = items["AlarmHistoryItems"]
        return items if sum(i["HistoryItemType"] == "Action" for i in items) == 2 else None

    items = wait_for(history_complete, timeout=20, what="two Action history items")
    summaries = [(i["HistoryItemType"], i["HistorySummary"]) for i in items]
    assert summaries[0] == ("ConfigurationUpdate", f'Alarm "{name}" created')
    assert ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM") in summaries
    assert ("StateUpdate", "Alarm updated from ALARM to OK") in summaries
    assert ("Action", f"Successfully executed action {receiver.url}/alarm") in summaries
    assert [i["HistoryItemType"] for i in items].count("StateUpdate") == 2


@pytest.mark.parametrize("protocol", ["json"], indirect=True)
def test_treat_missing_data_modes_on_a_metric_without_data(cw, protocol: str) -> None:
    namespace = _unique("E2E/Missing")
    expected = {
        "missing": "INSUFFICIENT_DATA",
        "breaching": "ALARM",
        "notBreaching": "OK",
    }
    names = {mode: _unique(f"m-{mode}") for mode in [*expected, "ignore"]}
    for mode, name in names.items():
        cw.put_metric_alarm(
            AlarmName=name, Namespace=namespace, MetricName="Load", Statistic="Average",
            Period=60, EvaluationPeriods=2, Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold", TreatMissingData=mode,
        )  # fmt: skip
    _wait_state(cw, names["breaching"], "ALARM")
    _wait_state(cw, names["notBreaching"], "OK")

    def missing_evaluated() -> dict | None:
        alarm = _alarm(cw, names["missing"])
        return alarm if alarm["StateReason"].startswith("Insufficient Data") else None

    missing = wait_for(missing_evaluated, timeout=STATE_WAIT, what="the missing-mode alarm")
    assert missing["StateReason"] == "Insufficient Data: 4 datapoints were unknown."
    ignored = _alarm(cw, names["ignore"])  # evaluated too, but "ignore" keeps the state
    assert ignored["StateValue"] == "INSUFFICIENT_DATA"
    assert ignored["StateReason"] == "Unchecked: Initial alarm creation"
    assert ignored["TreatMissingData"] == "ignore"


@pytest.mark.parametrize("protocol", ["json"], indirect=True)
def test_m_out_of_n_counts_breaching_points_in_the_range(cw, protocol: str) -> None:
    namespace = _unique("E2E/MofN")
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    # Three closed minutes: breaching, fine, breaching (newest last).
    for minutes_ago, value in ((3, 9.0), (2, 1.0), (1, 9.0)):
        _put(cw, namespace, value, minute - timedelta(minutes=minutes_ago) + timedelta(seconds=5))
    two_of_three, three_of_three = _unique("two-of-three"), _unique("three-of-three")
    time.sleep(1.5)  # let the batch land before the alarms' first evaluation
    for name, needed in ((two_of_three, 2), (three_of_three, 3)):
        cw.put_metric_alarm(
            AlarmName=name, Namespace=namespace, MetricName="Load",
            Dimensions=[{"Name": "Host", "Value": "web-1"}], Statistic="Maximum", Period=60,
            EvaluationPeriods=3, DatapointsToAlarm=needed, Threshold=5.0,
            ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    alarm = _wait_state(cw, two_of_three, "ALARM")
    assert "2 out of the last 3 datapoints" in alarm["StateReason"]
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in alarm["StateReason"]
    assert alarm["DatapointsToAlarm"] == 2
    ok = _wait_state(cw, three_of_three, "OK")
    assert "(minimum 1 datapoint for ALARM -> OK transition)" in ok["StateReason"]


@pytest.mark.parametrize("protocol", ["json"], indirect=True)
def test_a_composite_alarm_follows_its_children_and_notifies_once(cw, protocol: str) -> None:
    child_a, child_b, parent = _unique("child-a"), _unique("child-b"), _unique("parent")
    with WebhookReceiver() as receiver:
        for child in (child_a, child_b):
            cw.put_metric_alarm(
                AlarmName=child, Namespace=_unique("E2E/Composite"), MetricName="Load",
                Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1.0,
                ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
            )  # fmt: skip
            _wait_state(cw, child, "OK")
        cw.put_composite_alarm(
            AlarmName=parent,
            AlarmRule=f'ALARM("{child_a}") OR ALARM({child_b})',
            AlarmActions=[f"{receiver.url}/composite"],
        )
        _wait_state(cw, parent, "OK")
        cw.set_alarm_state(AlarmName=child_b, StateValue="ALARM", StateReason="e2e")
        alarm = _wait_state(cw, parent, "ALARM", timeout=20)
        assert f":alarm:{child_b} transitioned to ALARM" in alarm["StateReason"]
        wait_for(lambda: receiver.posts("/composite"), timeout=20, what="the composite webhook")
        time.sleep(2)
        assert len(receiver.posts("/composite")) == 1
        assert receiver.posts("/composite")[0]["body"]["AlarmRule"].startswith("ALARM(")

    children = cw.describe_alarms(ChildrenOfAlarmName=parent)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in children) == sorted([child_a, child_b])
    parents = cw.describe_alarms(ParentsOfAlarmName=child_a)["CompositeAlarms"]
    assert [a["AlarmName"] for a in parents] == [parent]
    with pytest.raises(ClientError) as error:
        cw.delete_alarms(AlarmNames=[child_a])
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert "composite alarm(s) depending on it" in error.value.response["Error"]["Message"]


def test_alarm_api_round_trip_in_every_protocol(cw, protocol: str) -> None:
    name = _unique(f"api-{protocol}")
    cw.put_metric_alarm(
        AlarmName=name, AlarmDescription="round trip", Namespace="E2E/Api", MetricName="Load",
        ExtendedStatistic="p90", Period=300, EvaluationPeriods=2, DatapointsToAlarm=1,
        Threshold=3.5, ComparisonOperator="LessThanThreshold", TreatMissingData="ignore",
        EvaluateLowSampleCountPercentile="ignore", Unit="Seconds",
        Dimensions=[{"Name": "Host", "Value": "web-1"}], Tags=[{"Key": "team", "Value": "ops"}],
    )  # fmt: skip
    alarm = _alarm(cw, name)
    assert alarm["ExtendedStatistic"] == "p90"
    assert "Statistic" not in alarm
    assert (alarm["Period"], alarm["Threshold"], alarm["Unit"]) == (300, 3.5, "Seconds")
    assert alarm["Dimensions"] == [{"Name": "Host", "Value": "web-1"}]
    assert alarm["OKActions"] == []
    assert alarm["AlarmConfigurationUpdatedTimestamp"].tzinfo is not None

    for_metric = cw.describe_alarms_for_metric(
        Namespace="E2E/Api", MetricName="Load", Dimensions=[{"Name": "Host", "Value": "web-1"}]
    )["MetricAlarms"]
    assert name in [a["AlarmName"] for a in for_metric]

    tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "ops"}]
    cw.tag_resource(ResourceARN=alarm["AlarmArn"], Tags=[{"Key": "tier", "Value": "1"}])
    cw.untag_resource(ResourceARN=alarm["AlarmArn"], TagKeys=["team"])
    tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert tags == [{"Key": "tier", "Value": "1"}]

    cw.disable_alarm_actions(AlarmNames=[name])
    assert _alarm(cw, name)["ActionsEnabled"] is False
    cw.set_alarm_state(
        AlarmName=name, StateValue="ALARM", StateReason="by hand", StateReasonData='{"a": 1}'
    )
    alarm = _alarm(cw, name)
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "by hand")
    assert json.loads(alarm["StateReasonData"]) == {"a": 1}

    history = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")
    (item,) = history["AlarmHistoryItems"]
    assert item["HistorySummary"].endswith("to ALARM")
    assert json.loads(item["HistoryData"])["newState"]["stateReasonData"] == {"a": 1}

    cw.delete_alarms(AlarmNames=[name, _unique("never-existed")])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    assert cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == []


def test_alarm_errors_reach_boto3_with_aws_codes(cw, protocol: str) -> None:
    def code_of(call, **kwargs) -> tuple[str, int]:  # type: ignore[no-untyped-def]
        with pytest.raises(ClientError) as error:
            call(**kwargs)
        response = error.value.response
        return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]

    base = {
        "AlarmName": _unique("bad"), "Namespace": "E2E/Bad", "MetricName": "m",
        "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    assert code_of(cw.put_metric_alarm, **{**base, "Period": 45})[0] == "InvalidParameterValue"
    assert code_of(cw.put_metric_alarm, **{**base, "TreatMissingData": "x"})[0] == (
        "ValidationError"
    )
    assert code_of(cw.put_metric_alarm, **{**base, "ExtendedStatistic": "p99"})[0] == (
        "InvalidParameterCombination"
    )
    assert (
        code_of(cw.put_metric_alarm, **{**base, "EvaluationPeriods": 2, "DatapointsToAlarm": 3})[0]
        == "ValidationError"
    )
    assert (
        code_of(cw.set_alarm_state, AlarmName=_unique("ghost"), StateValue="OK", StateReason="x")[0]
        == "ResourceNotFound"
    )
    cw.put_metric_alarm(**base)
    assert code_of(
        cw.set_alarm_state, AlarmName=base["AlarmName"], StateValue="OK", StateReason="x",
        StateReasonData="{not json",
    )[0] == "InvalidFormat"  # fmt: skip
    assert code_of(cw.describe_alarms, NextToken="garbage")[0] == "InvalidNextToken"
    assert code_of(cw.put_composite_alarm, AlarmName=_unique("c"), AlarmRule="ALARM(")[0] == (
        "ValidationError"
    )
    cw.delete_alarms(AlarmNames=[base["AlarmName"]])


def test_dashboards_in_every_protocol(cw, protocol: str) -> None:
    name = _unique(f"dash-{protocol}")
    body = json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "hi"}}]})
    assert (
        cw.put_dashboard(DashboardName=name, DashboardBody=body)["DashboardValidationMessages"]
        == []
    )
    got = cw.get_dashboard(DashboardName=name)
    assert got["DashboardBody"] == body
    assert got["DashboardArn"].endswith(f":dashboard/{name}")
    listed = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in listed] == [(name, len(body))]
    with pytest.raises(ClientError) as error:
        cw.put_dashboard(DashboardName="bad name!", DashboardBody=body)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as error:
        cw.put_dashboard(DashboardName=name, DashboardBody="{not json")
    assert error.value.response["Error"]["Code"] == "InvalidParameterInput"
    cw.delete_dashboards(DashboardNames=[name])
    with pytest.raises(ClientError) as error:
        cw.get_dashboard(DashboardName=name)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
