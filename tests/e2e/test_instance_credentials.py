"""Instance credentials against the running system: each instance's own key, delivered in
its boot data, may push metrics, read its stack's metadata and fetch its rotated key — and
every other use is refused. Rotation, revocation on delete, and no secret in clear anywhere."""

from __future__ import annotations

import sqlite3
import subprocess
import uuid
from pathlib import Path

import botocore.auth
import botocore.credentials
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError
from heatclient import client as heat_client

from models.orchestration.compute.local import LocalComputeDriver
from tests.e2e.cloudwatch_clients import cloudwatch_client
from tests.support import VENV_BIN, settings_env, wait_for

TEMPLATE = {
    "Resources": {
        "Box": {"Type": "AWS::EC2::Instance",
                "Metadata": {"config": {"greeting": "hello"}},
                "Properties": {"ImageId": "local",
                               "UserData": {"Fn::Base64": "#!/bin/sh\nsleep 600\n"}}},
        "Other": {"Type": "OS::Heat::None"},
    }
}  # fmt: skip


def _credentials(data_dir: Path, server_id: str) -> tuple[str, str]:
    root = LocalComputeDriver(data_dir / "instances").instance_root(server_id)
    path = root / "etc/cfn/cfn-credentials"
    assert path.stat().st_mode & 0o777 == 0o400
    fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return fields["AWSAccessKeyId"], fields["AWSSecretKey"]


def _signed_get(url: str, key: tuple[str, str]) -> requests.Response:
    request = AWSRequest(method="GET", url=url)
    botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(*key), "cloudformation", "us-east-1"
    ).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=10)


@pytest.fixture
def heat(live_system):  # type: ignore[no-untyped-def]
    tenant = live_system.tenant
    return heat_client.Client(
        "1", endpoint=f"{live_system.heat_url}/v1/{tenant.tenant_id}", token=tenant.auth_token
    )


def _create(heat, name: str) -> str:  # type: ignore[no-untyped-def]
    stack_id = heat.stacks.create(stack_name=name, template=TEMPLATE)["stack"]["id"]
    wait_for(lambda: heat.stacks.get(stack_id).stack_status == "CREATE_COMPLETE",
             timeout=60, interval=0.5, what=f"{name} created")  # fmt: skip
    return stack_id


def test_an_instance_key_is_scoped_rotated_and_revoked(live_system, heat, model_root) -> None:  # type: ignore[no-untyped-def]
    name, other_name = f"creds-{uuid.uuid4().hex[:6]}", f"other-{uuid.uuid4().hex[:6]}"
    stack_id, other_id = _create(heat, name), _create(heat, other_name)
    tenant_id = live_system.tenant.tenant_id
    server_id = heat.resources.get(stack_id, "Box").physical_resource_id
    key = _credentials(live_system.settings.data_dir, server_id)
    base = f"{live_system.heat_url}/v1/{tenant_id}/stacks"

    # Metrics: PutMetricData yes, with its identity recorded; nothing else.
    cw = cloudwatch_client(live_system.watch_url, *key, protocol="json", data_root=model_root)
    cw.put_metric_data(Namespace="E2E/Instance", MetricData=[{"MetricName": "Load", "Value": 1}])
    for call, kwargs in (
        (cw.describe_alarms, {}),
        (cw.list_metrics, {}),
        (cw.put_metric_alarm, {"AlarmName": "x", "Namespace": "N", "MetricName": "M",
                               "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1,
                               "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"}),
    ):  # fmt: skip
        with pytest.raises(ClientError) as refused:
            call(**kwargs)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"

    def recorded() -> list:
        with sqlite3.connect(
            live_system.settings.watch_database_url.removeprefix("sqlite:///")
        ) as db:
            return db.execute(
                "SELECT source FROM ingested_batches WHERE source LIKE ?", (f"%{stack_id}%",)
            ).fetchall()

    assert wait_for(recorded, timeout=20, what="the batch and its source") == [
        (f"instance:{stack_id}:Box",)
    ]

    # Metadata of its own stack's resources: yes. Anything else on the stacks API: no.
    own = _signed_get(f"{base}/{name}/{stack_id}/resources/Box/metadata", key)
    assert own.status_code == 200
    assert own.json()["metadata"]["config"]["greeting"] == "hello"
    assert _signed_get(f"{base}/{name}/{stack_id}/resources/Other/metadata", key).status_code == 200
    assert (
        _signed_get(f"{base}/{other_name}/{other_id}/resources/Other/metadata", key).status_code
        == 403
    )
    assert _signed_get(f"{base}", key).status_code == 401  # listing stacks needs a token
    assert _signed_get(f"{base}/{name}/{stack_id}", key).status_code == 401
    foreign = f"{live_system.heat_url}/v1/{uuid.uuid4().hex}/stacks/{name}/{stack_id}"
    assert _signed_get(f"{foreign}/resources/Box/metadata", key).status_code == 403
    # Its own credentials endpoint: nothing waiting yet; another resource's: refused.
    assert (
        _signed_get(f"{base}/{name}/{stack_id}/resources/Box/credentials", key).status_code == 204
    )
    assert (
        _signed_get(f"{base}/{name}/{stack_id}/resources/Other/credentials", key).status_code == 403
    )

    # Rotation: the new key waits at the credentials endpoint; the old one works until the
    # new one is first used.
    subprocess.run(
        [str(VENV_BIN / "heatwatch-admin"), "stack", "rotate-keys", stack_id],
        env={**settings_env(live_system.settings), "PATH": "/usr/bin:/bin"}, check=True,
        capture_output=True,
    )  # fmt: skip
    offered = _signed_get(f"{base}/{name}/{stack_id}/resources/Box/credentials", key)
    assert offered.status_code == 200
    new_key = (offered.json()["AccessKeyId"], offered.json()["SecretAccessKey"])
    assert new_key[0] != key[0]
    cw.put_metric_data(Namespace="E2E/Instance", MetricData=[{"MetricName": "Load", "Value": 2}])
    new_cw = cloudwatch_client(live_system.watch_url, *new_key, protocol="json",
                               data_root=model_root)  # fmt: skip
    new_cw.put_metric_data(
        Namespace="E2E/Instance", MetricData=[{"MetricName": "Load", "Value": 3}]
    )
    with pytest.raises(ClientError) as retired:
        cw.put_metric_data(Namespace="E2E/Instance", MetricData=[{"MetricName": "L", "Value": 4}])
    assert retired.value.response["Error"]["Code"] == "InvalidClientTokenId"

    # Deleting the stack revokes its keys at once.
    heat.stacks.delete(stack_id)
    wait_for(lambda: heat.stacks.get(stack_id).stack_status == "DELETE_COMPLETE",
             timeout=60, interval=0.5, what="the stack deleted")  # fmt: skip
    with pytest.raises(ClientError) as revoked:
        new_cw.put_metric_data(
            Namespace="E2E/Instance", MetricData=[{"MetricName": "L", "Value": 5}]
        )
    assert revoked.value.response["Error"]["Code"] == "InvalidClientTokenId"

    # The secrets appear in clear nowhere: not in the databases, the logs or API answers.
    secrets = [key[1], new_key[1]]
    data_dir = live_system.settings.data_dir
    for path in [*data_dir.glob("*.db"), *data_dir.glob("*.db-wal"), live_system.log_path]:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a secret in {path.name}"
    answers = [
        requests.get(f"{base}/{other_name}/{other_id}", headers={"X-Auth-Token":
                     live_system.tenant.auth_token}, timeout=10).text,
        str([e.to_dict() for e in heat.events.list(stack_id)]),
    ]  # fmt: skip
    for answer in answers:
        for secret in secrets:
            assert secret not in answer
    heat.stacks.delete(other_id)


def test_a_stack_user_key_is_shown_only_in_the_output_that_asks_for_it(
    live_system, heat, model_root
) -> None:  # type: ignore[no-untyped-def]
    template = {
        "Resources": {
            "Agent": {"Type": "AWS::IAM::User"},
            "AgentKey": {"Type": "AWS::IAM::AccessKey",
                         "Properties": {"UserName": {"Ref": "Agent"}}},
        },
        "Outputs": {
            "KeyId": {"Value": {"Ref": "AgentKey"}},
            "Secret": {"Value": {"Fn::GetAtt": ["AgentKey", "SecretAccessKey"]}},
        },
    }  # fmt: skip
    name = f"user-{uuid.uuid4().hex[:6]}"
    stack_id = heat.stacks.create(stack_name=name, template=template)["stack"]["id"]
    wait_for(lambda: heat.stacks.get(stack_id).stack_status == "CREATE_COMPLETE",
             timeout=60, interval=0.5, what="the stack")  # fmt: skip
    outputs = {o["output_key"]: o["output_value"] for o in heat.stacks.get(stack_id).outputs}
    key = (outputs["KeyId"], outputs["Secret"])
    assert key[0].startswith("AKIA")
    assert len(key[1]) >= 30

    cw = cloudwatch_client(live_system.watch_url, *key, protocol="json", data_root=model_root)
    cw.put_metric_data(Namespace="E2E/User", MetricData=[{"MetricName": "Up", "Value": 1.0}])
    with pytest.raises(ClientError) as refused:
        cw.describe_alarms()
    assert refused.value.response["Error"]["Code"] == "AccessDenied"

    # Only that output shows it: not the resources, events, or the stores.
    shown = str([r.to_dict() for r in heat.resources.list(stack_id)])
    shown += str([e.to_dict() for e in heat.events.list(stack_id)])
    assert key[1] not in shown
    for path in live_system.settings.data_dir.glob("*.db*"):
        assert key[1].encode() not in path.read_bytes(), path.name

    heat.stacks.delete(stack_id)
    wait_for(lambda: heat.stacks.get(stack_id).stack_status == "DELETE_COMPLETE",
             timeout=60, interval=0.5, what="the stack deleted")  # fmt: skip
    with pytest.raises(ClientError) as revoked:
        cw.put_metric_data(Namespace="E2E/User", MetricData=[{"MetricName": "Up", "Value": 1.0}])
    assert revoked.value.response["Error"]["Code"] == "InvalidClientTokenId"
