"""AWS::EC2::Instance (through the compute driver) and AWS::AutoScaling::LaunchConfiguration.

What an instance receives at boot, as a real one would through its config drive
(`BootRequest.files`): `/etc/cfn/cfn-endpoints` (the heat and watch URLs, the stack and
resource it is), `/var/lib/heat-cfntools/cfn-init-data` (its resource metadata, what cfn-init
reads), and its own access key in `/etc/cfn/cfn-credentials`, mode 0400 (heat-cfntools'
format), issued for this instance alone and revoked when it is deleted.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from models.orchestration.compute.driver import BootRequest
from models.orchestration.resources.base import (
    EngineServices,
    Prop,
    ResourceFailure,
    ResourcePlugin,
)
from models.orchestration.tables import Resource, Stack

INSTANCE_PROPERTIES = {
    "ImageId": Prop("String", required=True),
    "InstanceType": Prop("String", default="m1.small"),
    "KeyName": Prop("String"),
    "UserData": Prop("String"),
    "SecurityGroups": Prop("List"),
    "SecurityGroupIds": Prop("List"),
    "AvailabilityZone": Prop("String"),
    "SubnetId": Prop("String"),
    "Tags": Prop("List"),
    "Monitoring": Prop("Boolean"),
}


def decode_user_data(text: str | None) -> bytes | None:
    """UserData is base64 (Fn::Base64); plain text is taken as is, as Heat does."""
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


def boot_files(svc: EngineServices, stack: Stack, name: str, metadata: Any) -> dict:
    endpoints = {
        "heat_url": svc.settings.heat_url,
        "watch_url": svc.settings.watch_url,
        "region": svc.settings.region,
        "stack_id": stack.id,
        "stack_name": stack.name,
        "tenant_id": stack.tenant_id,
        "resource_name": name,
    }
    return {
        "/etc/cfn/cfn-endpoints": (json.dumps(endpoints, indent=1).encode(), 0o444),
        "/var/lib/heat-cfntools/cfn-init-data": (json.dumps(metadata or {}).encode(), 0o444),
    }


def boot(svc: EngineServices, stack: Stack, name: str, props: dict, metadata: Any) -> str:
    """Boot an instance with its own access key in its boot data (mode 0400)."""
    key_id, secret = svc.issue_instance_key(stack, name)
    files = boot_files(svc, stack, name, metadata)
    files["/etc/cfn/cfn-credentials"] = (
        f"AWSAccessKeyId={key_id}\nAWSSecretKey={secret}\n".encode(),
        0o400,
    )
    request = BootRequest(
        name=f"{stack.name}-{name}"[:63],
        image_id=props.get("ImageId", ""),
        instance_type=props.get("InstanceType", "m1.small"),
        user_data=decode_user_data(props.get("UserData")),
        files=files,
        metadata={"stack_id": stack.id, "resource_name": name},
    )
    return svc.compute.boot(request)


def server_ready(svc: EngineServices, server_id: str) -> bool:
    status = svc.compute.status(server_id)
    if status.state == "ACTIVE":
        return True
    if status.state in ("ERROR", "DELETED"):
        raise ResourceFailure(f"Instance {server_id} is {status.state}: {status.reason or ''}")
    return False


class Instance(ResourcePlugin):
    type_name = "AWS::EC2::Instance"
    properties_schema = INSTANCE_PROPERTIES
    attributes = ("AvailabilityZone", "PrivateDnsName", "PrivateIp", "PublicDnsName", "PublicIp")

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = boot(svc, stack, res.name, res.properties, res.resource_metadata)

    def check_create_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        if not server_ready(svc, res.physical_id or ""):
            return False
        address = (svc.compute.status(res.physical_id or "").addresses or ("127.0.0.1",))[0]
        res.data = {
            **(res.data or {}),
            "attributes": {
                "AvailabilityZone": res.properties.get("AvailabilityZone") or "nova",
                "PrivateDnsName": address,
                "PrivateIp": address,
                "PublicDnsName": address,
                "PublicIp": address,
            },
        }
        return True

    def delete(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        svc.revoke_instance_keys(stack, [res.name])  # at once, before the instance stops
        if res.physical_id:
            svc.compute.delete(res.physical_id)

    def check_delete_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return not res.physical_id or svc.compute.status(res.physical_id).state == "DELETED"


class LaunchConfiguration(ResourcePlugin):
    type_name = "AWS::AutoScaling::LaunchConfiguration"
    properties_schema = {
        **{k: v for k, v in INSTANCE_PROPERTIES.items() if k not in ("SubnetId", "Tags")},
        "BlockDeviceMappings": Prop("List"),
        "InstanceId": Prop("String"),
    }

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = f"{stack.name}-{res.name}"

    def ref(self, svc: EngineServices, stack: Stack, res: Resource) -> str:
        return res.name  # the group finds it by logical name
