"""The end-to-end proof (issue 7): instances that run cfn-init, cfn-signal and cfn-push-stats
with their own keys; alarms in the watch pool on the pushed metric; scaling policies called
through their signed URLs; the engine pool adding and removing instances; and the removed
instance's key no longer working."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from heatclient import client as heat_client

from models.orchestration.compute.local import LocalComputeDriver
from tests.e2e.cloudwatch_clients import cloudwatch_client
from tests.support import wait_for

USER_DATA = [
    "#!/bin/sh\n",
    "R=$HEATWATCH_INSTANCE_ROOT\n",
    "mkdir -p $R/var/lib && echo 10 > $R/var/lib/load\n",
    "cfn-init -r Config || exit 1\n",
    "cfn-signal -e 0 -i $HEATWATCH_INSTANCE_ID -r booted '",
    {"Ref": "Handle"},
    "'\n",
    "while true; do\n",
    "  cfn-push-stats --high-resolution --no-default-dimensions",
    " --dimension StackName=",
    {"Ref": "AWS::StackName"},
    " --metric Load=$(cat $R/var/lib/load):Percent\n",
    "  sleep 2\n",
    "done\n",
]


def _alarm(name: str, operator: str, threshold: int, policy: str) -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Namespace": "system/linux", "MetricName": "Load", "Statistic": "Maximum",
            "Period": 10, "EvaluationPeriods": 1, "Threshold": threshold,
            "ComparisonOperator": operator, "AlarmActions": [{"Ref": policy}],
            "Dimensions": [{"Name": "StackName", "Value": {"Ref": "AWS::StackName"}}],
            "AlarmDescription": name,
        },
    }  # fmt: skip


TEMPLATE = {
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Config": {
            "Type": "AWS::AutoScaling::LaunchConfiguration",
            "Metadata": {"AWS::CloudFormation::Init": {"config": {"files": {
                "/etc/app.conf": {"content": "role=web\n", "mode": "000640"}}}}},
            "Properties": {"ImageId": "local", "InstanceType": "m1.small",
                           "UserData": {"Fn::Base64": {"Fn::Join": ["", USER_DATA]}}},
        },
        "Group": {"Type": "AWS::AutoScaling::AutoScalingGroup",
                  "Properties": {"LaunchConfigurationName": {"Ref": "Config"},
                                 "MinSize": 1, "MaxSize": 3}},
        "Ready": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "Group",
                  "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 60}},
        "ScaleUp": {"Type": "AWS::AutoScaling::ScalingPolicy",
                    "Properties": {"AutoScalingGroupName": {"Ref": "Group"},
                                   "AdjustmentType": "ChangeInCapacity",
                                   "ScalingAdjustment": 1, "Cooldown": 120}},
        "ScaleDown": {"Type": "AWS::AutoScaling::ScalingPolicy",
                      "Properties": {"AutoScalingGroupName": {"Ref": "Group"},
                                     "AdjustmentType": "ChangeInCapacity",
                                     "ScalingAdjustment": -1, "Cooldown": 120}},
        "LoadHigh": _alarm("high", "GreaterThanThreshold", 50, "ScaleUp"),
        "LoadLow": _alarm("low", "LessThanThreshold", 20, "ScaleDown"),
    }
}  # fmt: skip


def _group(orchestration_db: str, stack_id: str) -> dict:
    with sqlite3.connect(orchestration_db) as db:
        (data,) = db.execute(
            "SELECT data FROM resources WHERE stack_id = ? AND name = 'Group' AND current = 1",
            (stack_id,),
        ).fetchone()
    return json.loads(data)


def _key(root: Path) -> tuple[str, str]:
    text = (root / "etc/cfn/cfn-credentials").read_text()
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return fields["AWSAccessKeyId"], fields["AWSSecretKey"]


@pytest.mark.parametrize("protocol", ["json"], indirect=True)
def test_load_scales_the_group_out_and_back_in(live_system, cw, model_root, protocol) -> None:  # type: ignore[no-untyped-def]
    tenant = live_system.tenant
    heat = heat_client.Client("1", endpoint=f"{live_system.heat_url}/v1/{tenant.tenant_id}",
                              token=tenant.auth_token)  # fmt: skip
    settings = live_system.settings
    orchestration_db = settings.orchestration_database_url.removeprefix("sqlite:///")
    watch_db = settings.watch_database_url.removeprefix("sqlite:///")
    driver = LocalComputeDriver(settings.data_dir / "instances")
    name = f"proof-{uuid.uuid4().hex[:6]}"

    stack_id = heat.stacks.create(stack_name=name, template=TEMPLATE)["stack"]["id"]
    wait_for(lambda: heat.stacks.get(stack_id).stack_status == "CREATE_COMPLETE", timeout=90,
             interval=0.5, what="the stack (cfn-init, cfn-signal) to complete")  # fmt: skip
    (first,) = _group(orchestration_db, stack_id)["members"]
    first_root = driver.instance_root(first)
    assert (first_root / "etc/app.conf").read_text() == "role=web\n"  # cfn-init ran
    assert (first_root / "etc/app.conf").stat().st_mode & 0o777 == 0o640

    def sources() -> set[str]:
        with sqlite3.connect(watch_db) as db:
            rows = db.execute(
                "SELECT DISTINCT source FROM ingested_batches WHERE source LIKE ?",
                (f"instance:{stack_id}:%",),
            ).fetchall()
        return {row[0] for row in rows}

    wait_for(sources, timeout=30, what="the first instance's stats")  # cfn-push-stats works

    # High load: the high alarm fires, its action calls ScaleUp, a second instance boots.
    (first_root / "var/lib/load").write_text("90\n")
    wait_for(lambda: len(_group(orchestration_db, stack_id)["members"]) == 2, timeout=60,
             interval=0.5, what="the group to scale out")  # fmt: skip
    group = _group(orchestration_db, stack_id)
    second = next(m for m in group["members"] if m != first)
    second_name = group["names"][second]
    second_root = driver.instance_root(second)
    wait_for(lambda: (second_root / "etc/cfn/cfn-credentials").exists(), timeout=30,
             what="the new instance's credentials")  # fmt: skip
    second_key = _key(second_root)
    assert second_key[0] != _key(first_root)[0]  # its own key
    wait_for(lambda: f"instance:{stack_id}:{second_name}" in sources(), timeout=60,
             what="the new instance to push its stats with its own key")  # fmt: skip

    def signalled() -> bool:
        events = heat.events.list(stack_id, resource_name="Handle")
        return sum(e.resource_status == "SIGNAL_COMPLETE" for e in events) >= 2

    wait_for(signalled, timeout=30, what="the new instance's cfn-signal")
    assert len(_group(orchestration_db, stack_id)["members"]) == 2  # the cooldown holds

    # Low load everywhere: the low alarm fires, ScaleDown removes the newest instance, and
    # its key stops working at once.
    for root in (first_root, second_root):
        (root / "var/lib/load").write_text("5\n")
    wait_for(lambda: _group(orchestration_db, stack_id)["members"] == [first], timeout=60,
             interval=0.5, what="the group to scale back in")  # fmt: skip
    removed = cloudwatch_client(live_system.watch_url, *second_key, protocol="json",
                                data_root=model_root)  # fmt: skip
    with pytest.raises(ClientError) as refused:
        removed.put_metric_data(Namespace="system/linux",
                                MetricData=[{"MetricName": "Load", "Value": 1.0}])  # fmt: skip
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    history = cw.describe_alarm_history(HistoryItemType="Action", MaxRecords=100)
    assert any("/ScaleUp?" in item["HistorySummary"] for item in history["AlarmHistoryItems"])

    heat.stacks.delete(stack_id)
    wait_for(lambda: heat.stacks.get(stack_id).stack_status == "DELETE_COMPLETE", timeout=60,
             interval=0.5, what="the stack to be deleted")  # fmt: skip
