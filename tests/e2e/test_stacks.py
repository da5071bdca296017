"""The stacks API against the running system through python-heatclient, and the engine pool
behind it: wait conditions signalled from a local instance, timeouts that roll back, bad
templates, and an autoscaling group driven by its policy's signed URL and by an alarm."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from heatclient import client as heat_client
from heatclient import exc as heat_exc

from models.orchestration.compute.local import LocalComputeDriver
from tests.support import wait_for

STACK_WAIT = 90.0

SIGNALLED = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "An instance that signals its wait condition",
    "Parameters": {
        "Flavor": {"Type": "String", "Default": "m1.small",
                   "AllowedValues": ["m1.small", "m1.large"]},
        "Secret": {"Type": "String", "NoEcho": True, "Default": "hush"},
    },
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Server": {
            "Type": "AWS::EC2::Instance",
            "Metadata": {"AWS::CloudFormation::Init": {"config": {"files": {}}}, "role": "web"},
            "Properties": {
                "ImageId": "local",
                "InstanceType": {"Ref": "Flavor"},
                "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                    "#!/bin/sh\n",
                    "curl -s -X PUT -H 'Content-Type: application/json' --data-binary ",
                    "'{\"Status\": \"SUCCESS\", \"Reason\": \"booted\", \"UniqueId\": \"1\",",
                    " \"Data\": \"ready\"}' '", {"Ref": "Handle"}, "'\n",
                    "sleep 300\n",
                ]]}},
            },
        },
        "Wait": {
            "Type": "AWS::CloudFormation::WaitCondition",
            "DependsOn": "Server",
            "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "60"},
        },
        "Marker": {"Type": "OS::Heat::None", "Properties": {"flavor": {"Ref": "Flavor"}}},
    },
    "Outputs": {
        "WaitData": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}, "Description": "from the signal"},
        "ServerIp": {"Value": {"Fn::GetAtt": ["Server", "PublicIp"]}},
    },
}  # fmt: skip


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def heat(live_system):  # type: ignore[no-untyped-def]
    tenant = live_system.tenant
    endpoint = f"{live_system.heat_url}/v1/{tenant.tenant_id}"
    return heat_client.Client("1", endpoint=endpoint, token=tenant.auth_token)


def _wait_status(heat, stack_id: str, wanted: str, timeout: float = STACK_WAIT):  # type: ignore[no-untyped-def]
    def reached():  # type: ignore[no-untyped-def]
        stack = heat.stacks.get(stack_id)
        if stack.stack_status.endswith("FAILED") and not wanted.endswith("FAILED"):
            raise AssertionError(f"{stack.stack_status}: {stack.stack_status_reason}")
        return stack if stack.stack_status == wanted else None

    return wait_for(reached, timeout=timeout, interval=0.5, what=f"stack {stack_id} {wanted}")


def test_heatclient_drives_a_stack_through_its_whole_life(heat) -> None:  # type: ignore[no-untyped-def]
    name = _unique("signalled")
    created = heat.stacks.create(stack_name=name, template=SIGNALLED, parameters={},
                                 disable_rollback=True, tags="web,e2e")  # fmt: skip
    stack_id = created["stack"]["id"]
    stack = _wait_status(heat, stack_id, "CREATE_COMPLETE")
    assert stack.stack_name == name
    assert stack.parameters["Secret"] == "******"
    assert stack.parameters["Flavor"] == "m1.small"
    outputs = {o["output_key"]: o["output_value"] for o in stack.outputs}
    assert json.loads(outputs["WaitData"]) == {"1": "ready"}
    assert outputs["ServerIp"] == "127.0.0.1"

    assert name in [s.stack_name for s in heat.stacks.list()]
    resources = {r.resource_name: r for r in heat.resources.list(stack_id)}
    assert set(resources) == {"Handle", "Server", "Wait", "Marker"}
    assert all(r.resource_status == "CREATE_COMPLETE" for r in resources.values())
    server = heat.resources.get(stack_id, "Server")
    assert server.resource_type == "AWS::EC2::Instance"
    assert server.physical_resource_id
    metadata = heat.resources.metadata(stack_id, "Server")
    assert metadata["role"] == "web"

    events = heat.events.list(stack_id)
    statuses = [(e.resource_name, e.resource_status) for e in events]
    assert ("Wait", "CREATE_COMPLETE") in statuses
    assert ("Handle", "SIGNAL_COMPLETE") in statuses
    assert statuses[-1] == (name, "CREATE_COMPLETE")
    wait_events = heat.events.list(stack_id, resource_name="Wait")
    assert [e.resource_status for e in wait_events] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]

    heat.stacks.update(stack_id, template=SIGNALLED, parameters={"Flavor": "m1.large"})
    stack = _wait_status(heat, stack_id, "UPDATE_COMPLETE")
    assert stack.parameters["Flavor"] == "m1.large"
    # OS::Heat::None has no in-place update: its changed property replaced it.
    marker_events = heat.events.list(stack_id, resource_name="Marker")
    assert [e.resource_status for e in marker_events][-4:] == [
        "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE",
    ]  # fmt: skip

    # PATCH (heatclient's --existing): only the given parameter changes.
    heat.stacks.update(stack_id, existing=True, parameters={"Flavor": "m1.small"})
    stack = _wait_status(heat, stack_id, "UPDATE_COMPLETE")
    assert stack.parameters["Flavor"] == "m1.small"

    # heatclient's resource-signal, with the tenant's token.
    def signals() -> list:
        return [e for e in heat.events.list(stack_id, resource_name="Handle")
                if e.resource_status == "SIGNAL_COMPLETE"]  # fmt: skip

    # (Each Flavor change replaced the Server, whose new instance signalled again.)
    before = len(signals())
    heat.resources.signal(stack_id, "Handle", data={"Status": "SUCCESS", "UniqueId": "2"})
    assert len(signals()) == before + 1
    assert "status:SUCCESS" in signals()[-1].resource_status_reason

    heat.stacks.delete(stack_id)
    _wait_status(heat, stack_id, "DELETE_COMPLETE")
    assert name not in [s.stack_name for s in heat.stacks.list()]
    # A deleted stack can still be shown by id, but not changed or deleted again.
    with pytest.raises(heat_exc.HTTPNotFound):
        heat.stacks.delete(stack_id)
    with pytest.raises(heat_exc.HTTPNotFound):
        heat.stacks.update(stack_id, template=SIGNALLED)


def test_a_wait_condition_that_never_hears_back_times_out_and_rolls_back(heat) -> None:  # type: ignore[no-untyped-def]
    template = {
        "Resources": {
            "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                     "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 3}},
        }
    }  # fmt: skip
    created = heat.stacks.create(
        stack_name=_unique("silent"), template=template, disable_rollback=False
    )
    stack_id = created["stack"]["id"]
    _wait_status(heat, stack_id, "ROLLBACK_COMPLETE")
    failed = [e for e in heat.events.list(stack_id) if e.resource_status == "CREATE_FAILED"]
    assert failed[0].resource_name == "Wait"
    assert "timed out after 3 s" in failed[0].resource_status_reason
    assert heat.resources.list(stack_id) == []


def test_a_bad_template_is_a_400_that_names_the_problem(heat) -> None:  # type: ignore[no-untyped-def]
    template = {"Resources": {"Server": {"Type": "AWS::EC2::Instance",
                                         "Properties": {"ImageId": {"Ref": "Nope"}}}}}  # fmt: skip
    with pytest.raises(heat_exc.HTTPBadRequest) as error:
        heat.stacks.create(stack_name=_unique("bad"), template=template)
    assert 'Resource "Server"' in str(error.value)
    assert "Nope" in str(error.value)
    with pytest.raises(heat_exc.HTTPBadRequest):
        heat.stacks.validate(template={"Resources": {"X": {"Type": "Unknown::Type"}}})
    valid = heat.stacks.validate(template=SIGNALLED)
    assert valid["Parameters"]["Secret"]["NoEcho"] == "true"


def test_an_operation_on_a_busy_stack_is_a_409(heat) -> None:  # type: ignore[no-untyped-def]
    template = {"Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 30}},
    }}  # fmt: skip
    created = heat.stacks.create(stack_name=_unique("busy"), template=template)
    with pytest.raises(heat_exc.HTTPConflict):
        heat.stacks.update(created["stack"]["id"], template=template)
    with pytest.raises(heat_exc.HTTPConflict):
        heat.stacks.delete(created["stack"]["id"])


SCALING = {
    "Parameters": {"Size": {"Type": "Number", "Default": "1"}},
    "Resources": {
        "Config": {"Type": "AWS::AutoScaling::LaunchConfiguration",
                   "Properties": {"ImageId": "local", "InstanceType": "m1.small",
                                  "UserData": {"Fn::Base64": "#!/bin/sh\nsleep 600\n"}}},
        "Group": {"Type": "AWS::AutoScaling::AutoScalingGroup",
                  "Properties": {"LaunchConfigurationName": {"Ref": "Config"},
                                 "MinSize": {"Ref": "Size"}, "MaxSize": "4"}},
        "ScaleUp": {"Type": "AWS::AutoScaling::ScalingPolicy",
                    "Properties": {"AutoScalingGroupName": {"Ref": "Group"},
                                   "AdjustmentType": "ChangeInCapacity",
                                   "ScalingAdjustment": "1", "Cooldown": "600"}},
        "LoadHigh": {"Type": "AWS::CloudWatch::Alarm",
                     "Properties": {"MetricName": "Load", "Namespace": "E2E/Scaling",
                                    "Statistic": "Maximum", "Period": "10",
                                    "EvaluationPeriods": "1", "Threshold": "5",
                                    "ComparisonOperator": "GreaterThanThreshold",
                                    "AlarmActions": [{"Ref": "ScaleUp"}],
                                    "Dimensions": [{"Name": "Stack",
                                                    "Value": {"Ref": "AWS::StackName"}}]}},
    },
    "Outputs": {"PolicyUrl": {"Value": {"Fn::GetAtt": ["ScaleUp", "AlarmUrl"]}},
                "Members": {"Value": {"Fn::GetAtt": ["Group", "InstanceList"]}}},
}  # fmt: skip


def _members(heat, stack_id: str) -> int:  # type: ignore[no-untyped-def]
    outputs = {o["output_key"]: o["output_value"] for o in heat.stacks.get(stack_id).outputs}
    return len([m for m in (outputs["Members"] or "").split(",") if m])


def test_a_scaling_policy_url_grows_the_group_once_per_cooldown(heat) -> None:  # type: ignore[no-untyped-def]
    created = heat.stacks.create(stack_name=_unique("scaling"), template=SCALING)
    stack_id = created["stack"]["id"]
    stack = _wait_status(heat, stack_id, "CREATE_COMPLETE")
    outputs = {o["output_key"]: o["output_value"] for o in stack.outputs}
    assert _members(heat, stack_id) == 1
    url = outputs["PolicyUrl"]
    assert requests.post(url, json={}, timeout=10).status_code == 200
    wait_for(lambda: _members(heat, stack_id) == 2, timeout=60, what="a second instance")
    # Inside the cooldown: accepted, recorded, and nothing changes.
    assert requests.post(url, json={}, timeout=10).status_code == 200
    time.sleep(4)
    assert _members(heat, stack_id) == 2
    tampered = url.replace("ScaleUp", "ScaleUpX")
    assert requests.post(tampered, json={}, timeout=10).status_code == 403
    heat.stacks.delete(stack_id)
    _wait_status(heat, stack_id, "DELETE_COMPLETE")


def test_an_alarm_in_the_watch_service_scales_the_group(heat, cw) -> None:  # type: ignore[no-untyped-def]
    name = _unique("alarmed")
    created = heat.stacks.create(stack_name=name, template=SCALING)
    stack_id = created["stack"]["id"]
    _wait_status(heat, stack_id, "CREATE_COMPLETE")
    alarm = heat.resources.get(stack_id, "LoadHigh").physical_resource_id
    found = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert found
    assert found[0]["AlarmActions"][0].startswith("http")
    cw.put_metric_data(Namespace="E2E/Scaling", MetricData=[{
        "MetricName": "Load", "Value": 9.0, "Timestamp": datetime.now(UTC),
        "StorageResolution": 1, "Dimensions": [{"Name": "Stack", "Value": name}]}])  # fmt: skip
    wait_for(lambda: _members(heat, stack_id) == 2, timeout=60, what="the alarm to scale out")
    heat.stacks.delete(stack_id)
    _wait_status(heat, stack_id, "DELETE_COMPLETE")
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"] == []


def test_a_group_replaces_an_instance_that_died(heat, live_system) -> None:  # type: ignore[no-untyped-def]
    created = heat.stacks.create(stack_name=_unique("healing"), template=SCALING)
    stack_id = created["stack"]["id"]
    _wait_status(heat, stack_id, "CREATE_COMPLETE")
    driver = LocalComputeDriver(live_system.settings.data_dir / "instances")
    group = heat.resources.get(stack_id, "Group")
    before = {o["output_key"]: o["output_value"] for o in heat.stacks.get(stack_id).outputs}
    assert before["Members"] == "127.0.0.1"
    events_before = len(heat.events.list(stack_id, resource_name="Group"))
    # Kill the member behind the engine's back, as a crashed VM would go.
    path = live_system.settings.orchestration_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (data,) = db.execute(
            "SELECT data FROM resources WHERE stack_id = ? AND name = 'Group'", (stack_id,)
        ).fetchone()
    (member,) = json.loads(data)["members"]
    driver.delete(member)

    def healed() -> bool:
        events = heat.events.list(stack_id, resource_name="Group")
        return len(events) > events_before and any(
            e.resource_status == "HEAL_IN_PROGRESS" for e in events
        )

    wait_for(healed, timeout=60, interval=1, what="the sweep to notice the lost instance")
    wait_for(lambda: _members(heat, stack_id) == 1, timeout=60, what="a replacement instance")
    with sqlite3.connect(path) as db:
        (data,) = db.execute(
            "SELECT data FROM resources WHERE stack_id = ? AND name = 'Group'", (stack_id,)
        ).fetchone()
    assert json.loads(data)["members"] != [member]
    assert group.resource_status == "CREATE_COMPLETE"
    heat.stacks.delete(stack_id)
    _wait_status(heat, stack_id, "DELETE_COMPLETE")
