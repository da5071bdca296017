"""AWS::CloudFormation::WaitConditionHandle and WaitCondition.

The handle's Ref is a pre-signed URL (signing.py) that cfn-signal PUTs or POSTs to with
`{"Status": "SUCCESS"|"FAILURE", "Reason", "UniqueId", "Data"}`; the heat API stores each
signal in the handle's data, keyed by UniqueId (a repeated UniqueId replaces the earlier
one, as in CloudFormation). The WaitCondition is polled: complete once Count SUCCESS
signals are in, failed on a FAILURE signal or when Timeout seconds have passed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlparse

from models.orchestration.resources.base import (
    EngineServices,
    Prop,
    PropertyError,
    ResourceFailure,
    ResourcePlugin,
)
from models.orchestration.tables import Resource, Stack

MAX_TIMEOUT = 43_200  # CloudFormation's 12 hours


class WaitConditionHandle(ResourcePlugin):
    type_name = "AWS::CloudFormation::WaitConditionHandle"

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = svc.signal_url(stack, res.name)
        res.data = {**(res.data or {}), "signals": {}}


def record_signal(res: Resource, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Store one cfn-signal on a handle; returns what was stored."""
    status = str(payload.get("Status", "")).upper()
    if status not in ("SUCCESS", "FAILURE"):
        raise PropertyError('A wait condition signal needs "Status": "SUCCESS" or "FAILURE".')
    signals = dict((res.data or {}).get("signals", {}))
    unique_id = str(payload.get("UniqueId") or len(signals) + 1)
    signals[unique_id] = {
        "Status": status,
        "Reason": str(payload.get("Reason", "")),
        "Data": payload.get("Data"),
        "received_at": now.isoformat(),
    }
    res.data = {**(res.data or {}), "signals": signals}
    return signals[unique_id]


class WaitCondition(ResourcePlugin):
    type_name = "AWS::CloudFormation::WaitCondition"
    properties_schema = {
        "Handle": Prop("String", required=True),
        "Timeout": Prop("Integer", required=True),
        "Count": Prop("Integer", default=1),
    }
    attributes = ("Data",)

    def validate(self, name: str, props: Any) -> dict[str, Any]:
        checked = super().validate(name, props)
        if not 1 <= checked["Timeout"] <= MAX_TIMEOUT:
            raise PropertyError(
                f'Resource "{name}": property "Timeout" must be between 1 and {MAX_TIMEOUT}'
            )
        if checked["Count"] < 1:
            raise PropertyError(f'Resource "{name}": property "Count" must be at least 1')
        return checked

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        deadline = svc.now + timedelta(seconds=res.properties["Timeout"])
        res.data = {**(res.data or {}), "deadline": deadline.isoformat()}
        res.physical_id = f"{stack.name}-{res.name}"

    def check_create_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        signals = self._signals(svc, stack, res)
        failures = [s for s in signals.values() if s["Status"] == "FAILURE"]
        if failures:
            raise ResourceFailure(
                f"WaitCondition received a FAILURE signal: {failures[0]['Reason']}"
            )
        successes = [s for s in signals.values() if s["Status"] == "SUCCESS"]
        if len(successes) >= res.properties.get("Count", 1):
            res.data = {
                **(res.data or {}),
                "attributes": {
                    "Data": json.dumps({key: value["Data"] for key, value in signals.items()})
                },
            }
            return True
        if svc.now >= datetime.fromisoformat(res.data["deadline"]):
            raise ResourceFailure(
                f"WaitCondition timed out after {res.properties['Timeout']} s with "
                f"{len(successes)} of {res.properties.get('Count', 1)} signals"
            )
        return False

    def _signals(self, svc: EngineServices, stack: Stack, res: Resource) -> dict[str, Any]:
        handle_name = unquote(urlparse(res.properties["Handle"]).path.rstrip("/").split("/")[-1])
        handle = svc.load_resource(stack, handle_name)
        if handle is None or handle.type != WaitConditionHandle.type_name:
            raise ResourceFailure(f"WaitCondition handle {res.properties['Handle']} not found")
        return dict((handle.data or {}).get("signals", {}))


class NoneResource(ResourcePlugin):
    """OS::Heat::None: accepts any properties, does nothing (placeholders, tests)."""

    type_name = "OS::Heat::None"

    def validate(self, name: str, props: Any) -> dict[str, Any]:
        return dict(props)

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = f"{stack.name}-{res.name}"
