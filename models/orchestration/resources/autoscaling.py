"""AWS::AutoScaling::AutoScalingGroup and ScalingPolicy, and OS::Heat::HARestarter.

The group keeps its members (compute server ids) in its data and converges towards its
desired capacity on every engine step that polls it: it boots what is missing, deletes
extras (newest first), and replaces members the driver reports lost (ERROR or DELETED).
A policy's Ref (and its AlarmUrl) is a pre-signed signal URL; a signal resizes the group
unless the policy's cooldown since its last adjustment has not passed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from models.errors import InvalidInputError
from models.orchestration.resources.base import (
    EngineServices,
    Prop,
    PropertyError,
    ResourceFailure,
    ResourcePlugin,
)
from models.orchestration.resources.instances import boot, server_ready
from models.orchestration.tables import Resource, Stack

ADJUSTMENT_TYPES = ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")


class AutoScalingGroup(ResourcePlugin):
    type_name = "AWS::AutoScaling::AutoScalingGroup"
    properties_schema = {
        "LaunchConfigurationName": Prop("String", required=True),
        "MinSize": Prop("Integer", required=True),
        "MaxSize": Prop("Integer", required=True),
        "DesiredCapacity": Prop("Integer"),
        "Cooldown": Prop("Integer"),
        "AvailabilityZones": Prop("List"),
        "LoadBalancerNames": Prop("List"),
        "VPCZoneIdentifier": Prop("List"),
        "Tags": Prop("List"),
    }
    attributes = ("InstanceList",)
    update_in_place = frozenset({"MinSize", "MaxSize", "DesiredCapacity", "Cooldown"})

    def validate(self, name: str, props: Any) -> dict[str, Any]:
        checked = super().validate(name, props)
        low, high = checked["MinSize"], checked["MaxSize"]
        desired = checked.get("DesiredCapacity")
        if not 0 <= low <= high:
            raise PropertyError(f'Resource "{name}": property "MinSize" must be <= "MaxSize"')
        if desired is not None and not low <= desired <= high:
            raise PropertyError(
                f'Resource "{name}": property "DesiredCapacity" must be within MinSize..MaxSize'
            )
        return checked

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        desired = res.properties.get("DesiredCapacity", res.properties["MinSize"])
        res.physical_id = f"{stack.name}-{res.name}"
        res.data = {**(res.data or {}), "members": [], "desired": desired}

    def check_create_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return self.converge(svc, stack, res)

    def update(
        self, svc: EngineServices, stack: Stack, res: Resource, new_props: dict[str, Any]
    ) -> None:
        desired = new_props.get("DesiredCapacity")
        current = (res.data or {}).get("desired", 0)
        if desired is None:
            desired = min(max(current, new_props["MinSize"]), new_props["MaxSize"])
        res.properties = new_props
        res.data = {**(res.data or {}), "desired": desired}

    def check_update_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return self.converge(svc, stack, res)

    def delete(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        names = (res.data or {}).get("names", {})
        svc.revoke_instance_keys(stack, list(names.values()))
        for server_id in (res.data or {}).get("members", []):
            svc.compute.delete(server_id)

    def check_delete_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        members = (res.data or {}).get("members", [])
        return all(svc.compute.status(m).state == "DELETED" for m in members)

    def attribute(self, svc: EngineServices, stack: Stack, res: Resource, name: str) -> Any:
        if name != "InstanceList":
            return super().attribute(svc, stack, res, name)
        members = (res.data or {}).get("members", [])
        return ",".join((svc.compute.status(m).addresses or ("",))[0] for m in members)

    def converge(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        """One quick pass towards the desired capacity; True once it is reached."""
        data = dict(res.data or {})
        members: list[str] = list(data.get("members", []))
        names: dict[str, str] = dict(data.get("names", {}))  # server id -> member name
        desired: int = data.get("desired", 0)
        alive = []
        for server_id in members:
            state = svc.compute.status(server_id).state
            if state in ("ERROR", "DELETED", "SHUTOFF"):
                self._remove(svc, stack, server_id, names)  # lost: replaced below
            else:
                alive.append(server_id)
        while len(alive) > desired:
            self._remove(svc, stack, alive.pop(), names)
        if len(alive) < desired:
            config = self._launch_configuration(svc, stack, res)
            serial = int(data.get("serial", 0))
            for _ in range(len(alive), desired):
                serial += 1
                name = f"{res.name}-{serial}"  # never reused: each member has its own key
                server_id = boot(svc, stack, name, config.properties, config.resource_metadata)
                names[server_id] = name
                alive.append(server_id)
            data["serial"] = serial
        data["members"] = alive
        data["names"] = names
        res.data = data
        try:
            return all(server_ready(svc, member) for member in alive)
        except ResourceFailure:
            return False  # replaced on the next pass

    def _remove(
        self, svc: EngineServices, stack: Stack, server_id: str, names: dict[str, str]
    ) -> None:
        """Delete a member; its key stops working at once."""
        name = names.pop(server_id, None)
        if name is not None:
            svc.revoke_instance_keys(stack, [name])
        svc.compute.delete(server_id)

    def _launch_configuration(self, svc: EngineServices, stack: Stack, res: Resource) -> Resource:
        name = res.properties["LaunchConfigurationName"]
        config = svc.load_resource(stack, name)
        if config is None:
            raise ResourceFailure(f"LaunchConfiguration {name} not found")
        return config

    def resize(self, res: Resource, adjustment_type: str, adjustment: float) -> int:
        data = dict(res.data or {})
        current = int(data.get("desired", 0))
        if adjustment_type == "ExactCapacity":
            target = int(adjustment)
        elif adjustment_type == "ChangeInCapacity":
            target = current + int(adjustment)
        else:  # PercentChangeInCapacity: at least one instance either way (AWS's rounding)
            change = current * adjustment / 100
            step = math.floor(change) if change > 0 else math.ceil(change)
            if step == 0 and adjustment != 0:
                step = 1 if adjustment > 0 else -1
            target = current + step
        target = max(res.properties["MinSize"], min(res.properties["MaxSize"], target))
        data["desired"] = target
        res.data = data
        return target


class ScalingPolicy(ResourcePlugin):
    type_name = "AWS::AutoScaling::ScalingPolicy"
    properties_schema = {
        "AutoScalingGroupName": Prop("String", required=True),
        "ScalingAdjustment": Prop("Number", required=True),
        "AdjustmentType": Prop("String", required=True),
        "Cooldown": Prop("Integer"),
    }
    attributes = ("AlarmUrl",)
    update_in_place = frozenset({"ScalingAdjustment", "AdjustmentType", "Cooldown"})

    def validate(self, name: str, props: Any) -> dict[str, Any]:
        checked = super().validate(name, props)
        if checked["AdjustmentType"] not in ADJUSTMENT_TYPES:
            raise PropertyError(
                f'Resource "{name}": property "AdjustmentType" must be one of '
                f"{', '.join(ADJUSTMENT_TYPES)}"
            )
        return checked

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = svc.signal_url(stack, res.name)
        res.data = {**(res.data or {}), "attributes": {"AlarmUrl": res.physical_id}}

    def signal(
        self, svc: EngineServices, stack: Stack, res: Resource, payload: dict[str, Any]
    ) -> list[str]:
        group_name = res.properties["AutoScalingGroupName"]
        # The group's Ref is its physical name "<stack>-<logical name>"; accept either.
        group = svc.load_resource(stack, group_name) or svc.load_resource(
            stack, group_name.removeprefix(f"{stack.name}-")
        )
        if group is None or group.type != AutoScalingGroup.type_name:
            raise InvalidInputError(f"AutoScalingGroup {group_name} not found")
        data = dict(res.data or {})
        cooldown = res.properties.get("Cooldown") or group.properties.get("Cooldown") or 0
        last = data.get("last_adjusted_at")
        if last and svc.now < datetime.fromisoformat(last) + timedelta(seconds=cooldown):
            raise CooldownError(f"Policy {res.name} is in its cooldown ({cooldown} s) since {last}")
        before = int((group.data or {}).get("desired", 0))
        target = AutoScalingGroup().resize(
            group, res.properties["AdjustmentType"], res.properties["ScalingAdjustment"]
        )
        if target == before:
            # At MinSize or MaxSize already: no scaling activity, so no cooldown starts.
            raise CooldownError(f"Policy {res.name}: the group is already at {target}")
        data["last_adjusted_at"] = svc.now.isoformat()
        data["last_target"] = target
        res.data = data
        return [group.name]


class CooldownError(InvalidInputError):
    """A signal that changes nothing (inside the cooldown, or the group already at its
    size limit): recorded as an event."""


class HARestarter(ResourcePlugin):
    """OS::Heat::HARestarter: a signal restarts the named instance (the local driver re-runs
    its boot script), the self-healing action an alarm can point at."""

    type_name = "OS::Heat::HARestarter"
    properties_schema = {"InstanceId": Prop("String", required=True)}
    attributes = ("AlarmUrl",)

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = svc.signal_url(stack, res.name)
        res.data = {**(res.data or {}), "attributes": {"AlarmUrl": res.physical_id}}

    def signal(
        self, svc: EngineServices, stack: Stack, res: Resource, payload: dict[str, Any]
    ) -> list[str]:
        svc.compute.reboot(res.properties["InstanceId"])
        return []
