"""CloudWatch alarm operations (cloudwatch-api.md §3.5-§3.13): one handler per Action.

Handlers parse members, call the services in models/watch/, commit, and only then send the
tasks the change calls for (an immediate evaluation, actions to deliver: web/alarm_effects.py,
shared with the watch REST API), so a worker never gets an id for a row it cannot see yet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.errors import (
    ConstraintViolationError,
    InvalidParameterError,
    MissingParameterError,
)
from models.identity.tenants import Principal
from models.watch import alarm_history, alarms, suppression
from models.watch.alarm_validation import (
    alarm_name_problems,
    validate_alarm_names,
    validate_describe_alarms_filters,
    validate_describe_alarms_for_metric,
    validate_put_composite_alarm,
    validate_put_metric_alarm,
    validate_set_alarm_state,
)
from models.watch.alarms import COMPOSITE_ALARM, METRIC_ALARM, Deployment
from models.watch.constraints import enum_line, raise_violations
from models.watch.datums import canonical_dimensions
from web.alarm_effects import evaluate_soon, send_effects
from web.aws import alarm_output
from web.context import web_context
from web.sessions import db_session


def _now() -> datetime:
    return datetime.now(UTC)


def _deployment() -> Deployment:
    return Deployment(region=web_context().settings.region)


def put_metric_alarm(principal: Principal, params: dict[str, Any]) -> None:
    config = validate_put_metric_alarm(params)
    # One transaction on a pooled connection, not the request's ORM session: the write is
    # Core, and a session's bookkeeping around it cost more than a tenth of the request.
    with web_context().databases["watch"].engine.begin() as connection:
        alarms.store_metric_alarm(connection, _deployment(), principal.tenant_id, config, _now())
    evaluate_soon()  # evaluated right after create or update, once committed


def put_composite_alarm(principal: Principal, params: dict[str, Any]) -> None:
    config = validate_put_composite_alarm(params)
    session = db_session("watch")
    alarms.put_composite_alarm(session, _deployment(), principal.tenant_id, config, _now())
    session.commit()
    evaluate_soon()


def _alarm_types(params: dict[str, Any]) -> list[str]:
    types = params.get("AlarmTypes") or [METRIC_ALARM]  # left out: metric alarms only
    raise_violations(
        [
            enum_line(value, f"alarmTypes.{n}.member", alarms.ALARM_TYPES)
            for n, value in enumerate(types, start=1)
        ]
    )
    return types


def _max_records(params: dict[str, Any]) -> int:
    value = params.get("MaxRecords")
    if value is None:
        return alarms.DEFAULT_MAX_RECORDS
    if not 1 <= value <= alarms.MAX_RECORDS:
        raise InvalidParameterError("The parameter MaxRecords must be between 1 and 100.")
    return int(value)


def describe_alarms(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    validate_describe_alarms_filters(params)
    types = _alarm_types(params)
    names = params.get("AlarmNames") or []
    prefix = params.get("AlarmNamePrefix")
    children_of = params.get("ChildrenOfAlarmName")
    parents_of = params.get("ParentsOfAlarmName")
    if names:
        validate_alarm_names(names)
    if names and prefix is not None:
        raise InvalidParameterError("AlarmNamePrefix and AlarmNames cannot be combined.")
    if children_of is not None or parents_of is not None:
        others = [
            member
            for member in (
                "AlarmNames", "AlarmNamePrefix", "AlarmTypes", "StateValue", "ActionPrefix",
            )
            if params.get(member)
        ]  # fmt: skip
        if others or (children_of is not None and parents_of is not None):
            raise ConstraintViolationError(
                "If you are using either ChildrenOfAlarmName or ParentsOfAlarmName, you "
                "cannot specify other parameters other than MaxRecords and NextToken."
            )
    deployment = _deployment()
    session = db_session("watch")
    found, next_token = alarms.describe_alarms(
        session,
        deployment,
        principal.tenant_id,
        names=names,
        name_prefix=prefix,
        alarm_types=types,
        state_value=params.get("StateValue"),
        action_prefix=params.get("ActionPrefix"),
        children_of=children_of,
        parents_of=parents_of,
        max_records=_max_records(params),
        next_token=params.get("NextToken"),
    )
    # AWS always sends all three lists, empty when nothing matches [aws-rec].
    result: dict[str, Any] = {"MetricAlarms": [], "CompositeAlarms": [], "LogAlarms": []}
    for alarm in found:
        if children_of is not None:
            shape = alarm_output.child_alarm(alarm, deployment)
        elif parents_of is not None:
            shape = alarm_output.parent_alarm(alarm, deployment)
        elif alarm.alarm_type == COMPOSITE_ALARM:
            shape = alarm_output.composite_alarm(alarm, deployment)
            shape.update(suppression.status(session, alarm, deployment.region, _now()))
        else:
            shape = alarm_output.metric_alarm(alarm, deployment)
        key = "CompositeAlarms" if alarm.alarm_type == COMPOSITE_ALARM else "MetricAlarms"
        result[key].append(shape)
    if next_token:
        result["NextToken"] = next_token
    return result


def describe_alarms_for_metric(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    validate_describe_alarms_for_metric(params)
    for member in ("MetricName", "Namespace"):
        if not params.get(member):
            raise MissingParameterError(f"The parameter {member} is required.")
    dimensions = params.get("Dimensions")
    found = alarms.describe_alarms_for_metric(
        db_session("watch"),
        principal.tenant_id,
        namespace=params["Namespace"],
        metric_name=params["MetricName"],
        statistic=params.get("Statistic"),
        extended_statistic=params.get("ExtendedStatistic"),
        dimensions=None
        if dimensions is None
        else canonical_dimensions([(d.get("Name", ""), d.get("Value", "")) for d in dimensions]),
        period=params.get("Period"),
        unit=params.get("Unit"),
    )
    deployment = _deployment()
    return {"MetricAlarms": [alarm_output.metric_alarm(a, deployment) for a in found]}


def describe_alarm_history(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    raise_violations(
        [
            enum_line(params.get("HistoryItemType"), "historyItemType", alarm_history.ITEM_TYPES),
            enum_line(params.get("ScanBy"), "scanBy", alarm_history.SCAN_BY),
        ]
    )
    types = _alarm_types(params)
    name = params.get("AlarmName")
    if name is not None:
        problems = alarm_name_problems(name)
        if problems:
            raise problems[0][0](problems[0][1])
    start, end = params.get("StartDate"), params.get("EndDate")
    if start is not None and end is not None and start > end:
        raise InvalidParameterError("The parameter StartDate must be before EndDate.")
    items, next_token = alarm_history.describe_history(
        db_session("watch"),
        principal.tenant_id,
        alarm_name=name,
        alarm_types=types,
        item_type=params.get("HistoryItemType"),
        start=start,
        end=end,
        max_records=_max_records(params),
        next_token=params.get("NextToken"),
        ascending=params.get("ScanBy") == "TimestampAscending",
    )
    result: dict[str, Any] = {"AlarmHistoryItems": [alarm_output.history_item(i) for i in items]}
    if next_token:
        result["NextToken"] = next_token
    return result


def set_alarm_state(principal: Principal, params: dict[str, Any]) -> None:
    manual = validate_set_alarm_state(params)
    session = db_session("watch")
    stored = alarms.set_alarm_state(
        session, _deployment(), principal.tenant_id, params["AlarmName"], manual, _now()
    )
    session.commit()
    send_effects(stored.action_ids, stored.parent_ids)


def delete_alarms(principal: Principal, params: dict[str, Any]) -> None:
    names = validate_alarm_names(params.get("AlarmNames"))
    session = db_session("watch")
    alarms.delete_alarms(session, _deployment(), principal.tenant_id, names, _now())
    session.commit()


def _set_actions(principal: Principal, params: dict[str, Any], enabled: bool) -> None:
    names = validate_alarm_names(params.get("AlarmNames"))
    session = db_session("watch")
    alarms.set_actions_enabled(session, principal.tenant_id, names, enabled)
    session.commit()


def enable_alarm_actions(principal: Principal, params: dict[str, Any]) -> None:
    _set_actions(principal, params, True)


def disable_alarm_actions(principal: Principal, params: dict[str, Any]) -> None:
    _set_actions(principal, params, False)


HANDLERS = {
    "PutMetricAlarm": put_metric_alarm,
    "PutCompositeAlarm": put_composite_alarm,
    "DescribeAlarms": describe_alarms,
    "DescribeAlarmsForMetric": describe_alarms_for_metric,
    "DescribeAlarmHistory": describe_alarm_history,
    "SetAlarmState": set_alarm_state,
    "DeleteAlarms": delete_alarms,
    "EnableAlarmActions": enable_alarm_actions,
    "DisableAlarmActions": disable_alarm_actions,
}
