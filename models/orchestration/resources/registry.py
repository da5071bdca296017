"""Resource type name -> plugin."""

from __future__ import annotations

from models.errors import InvalidInputError
from models.orchestration.resources.autoscaling import (
    AutoScalingGroup,
    HARestarter,
    ScalingPolicy,
)
from models.orchestration.resources.base import ResourcePlugin
from models.orchestration.resources.cloudwatch import CloudWatchAlarm
from models.orchestration.resources.iam import AccessKey, User
from models.orchestration.resources.instances import Instance, LaunchConfiguration
from models.orchestration.resources.waitconditions import (
    NoneResource,
    WaitCondition,
    WaitConditionHandle,
)

PLUGINS: dict[str, ResourcePlugin] = {
    plugin.type_name: plugin
    for plugin in (
        AccessKey(),
        AutoScalingGroup(),
        CloudWatchAlarm(),
        HARestarter(),
        Instance(),
        LaunchConfiguration(),
        NoneResource(),
        ScalingPolicy(),
        User(),
        WaitCondition(),
        WaitConditionHandle(),
    )
}


def plugin_for(type_name: str, resource_name: str = "") -> ResourcePlugin:
    plugin = PLUGINS.get(type_name)
    if plugin is None:
        where = f'Resource "{resource_name}": ' if resource_name else ""
        raise InvalidInputError(f'{where}unknown resource type "{type_name}"')
    return plugin
