"""AWS::CloudWatch::Alarm: an alarm in the watch service, created through the watch queue.

The engine never touches the watch DB: it sends `watch.put_stack_alarm` /
`watch.delete_stack_alarms` to the watch pool and polls the task's outcome on later steps.
The alarm is named `<stack>-<resource>-<suffix>` unless AlarmName is given; AlarmActions that
Ref a ScalingPolicy are already its signed URL, which the watch pool POSTs to on ALARM.
"""

from __future__ import annotations

import secrets
from typing import Any

from models.orchestration.resources.base import (
    EngineServices,
    Prop,
    ResourceFailure,
    ResourcePlugin,
)
from models.orchestration.tables import Resource, Stack

_ALARM_PROPERTIES = {
    "AlarmName": Prop("String"),
    "AlarmDescription": Prop("String"),
    "ActionsEnabled": Prop("Boolean"),
    "AlarmActions": Prop("List"),
    "OKActions": Prop("List"),
    "InsufficientDataActions": Prop("List"),
    "MetricName": Prop("String"),
    "Namespace": Prop("String"),
    "Statistic": Prop("String"),
    "ExtendedStatistic": Prop("String"),
    "Dimensions": Prop("List"),
    "Period": Prop("Integer"),
    "Unit": Prop("String"),
    "EvaluationPeriods": Prop("Integer", required=True),
    "DatapointsToAlarm": Prop("Integer"),
    "Threshold": Prop("Number"),
    "ComparisonOperator": Prop("String", required=True),
    "TreatMissingData": Prop("String"),
    "EvaluateLowSampleCountPercentile": Prop("String"),
    "Metrics": Prop("List"),
}


class CloudWatchAlarm(ResourcePlugin):
    type_name = "AWS::CloudWatch::Alarm"
    properties_schema = _ALARM_PROPERTIES
    attributes = ("Arn",)
    # Every property but the name is a PutMetricAlarm away from the new configuration.
    update_in_place = frozenset(set(_ALARM_PROPERTIES) - {"AlarmName"})

    def _params(self, res: Resource) -> dict[str, Any]:
        params = {key: value for key, value in res.properties.items() if value is not None}
        params["AlarmName"] = res.physical_id
        return params

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = res.properties.get("AlarmName") or (
            f"{stack.name}-{res.name}-{secrets.token_hex(4)}"
        )
        self._send(svc, stack, res, "watch.put_stack_alarm", [self._params(res)])

    def check_create_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return self._finished(svc, res)

    def update(
        self, svc: EngineServices, stack: Stack, res: Resource, new_props: dict[str, Any]
    ) -> None:
        res.properties = new_props
        self._send(svc, stack, res, "watch.put_stack_alarm", [self._params(res)])

    def check_update_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return self._finished(svc, res)

    def delete(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        if res.physical_id:
            self._send(svc, stack, res, "watch.delete_stack_alarms", [[res.physical_id]])

    def check_delete_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return not res.physical_id or self._finished(svc, res)

    def attribute(self, svc: EngineServices, stack: Stack, res: Resource, name: str) -> Any:
        if name == "Arn":
            return (
                f"arn:aws:cloudwatch:{svc.settings.region}:{stack.tenant_id}:alarm:"
                f"{res.physical_id}"
            )
        return super().attribute(svc, stack, res, name)

    def _send(
        self, svc: EngineServices, stack: Stack, res: Resource, task: str, args: list[Any]
    ) -> None:
        task_id = svc.send_watch_task(task, [stack.tenant_id, stack.id, *args])
        res.data = {**(res.data or {}), "task_id": task_id}

    def _finished(self, svc: EngineServices, res: Resource) -> bool:
        task_id = (res.data or {}).get("task_id")
        if not task_id:
            return True
        finished, outcome = svc.task_outcome(task_id)
        if not finished:
            return False
        if isinstance(outcome, dict) and outcome.get("error"):
            raise ResourceFailure(f"The watch service refused the alarm: {outcome['error']}")
        return True
