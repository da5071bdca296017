"""Alarm rows to CloudWatch output shapes (cloudwatch-api.md §3.7, §3.9).

Members AWS always sends (the three action lists, Dimensions) are always present; optional
ones appear only when set, as on AWS (not as moto does).
"""

from __future__ import annotations

import json
from typing import Any

from models.watch.alarms import Deployment
from models.watch.tables import Alarm, AlarmHistoryItem


def _common(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmArn": deployment.alarm_arn(alarm.tenant_id, alarm.name),
    }
    if alarm.description is not None:
        out["AlarmDescription"] = alarm.description
    out.update(
        {
            "AlarmConfigurationUpdatedTimestamp": alarm.config_updated_at,
            "ActionsEnabled": alarm.actions_enabled,
            "OKActions": list(alarm.ok_actions),
            "AlarmActions": list(alarm.alarm_actions),
            "InsufficientDataActions": list(alarm.insufficient_data_actions),
            "StateValue": alarm.state_value,
            "StateReason": alarm.state_reason,
            "StateUpdatedTimestamp": alarm.state_updated_at,
            "StateTransitionedTimestamp": alarm.state_transitioned_at,
        }
    )
    if alarm.state_reason_data is not None:
        out["StateReasonData"] = alarm.state_reason_data
    return out


def metric_alarm(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    out = _common(alarm, deployment)
    if alarm.metrics is None:
        out["MetricName"] = alarm.metric_name
        out["Namespace"] = alarm.namespace
        if alarm.statistic is not None:
            out["Statistic"] = alarm.statistic
        if alarm.extended_statistic is not None:
            out["ExtendedStatistic"] = alarm.extended_statistic
        out["Period"] = alarm.period
        if alarm.unit is not None:
            out["Unit"] = alarm.unit
    else:
        out["Metrics"] = alarm.metrics
    out["Dimensions"] = [
        {"Name": name, "Value": value} for name, value in json.loads(alarm.dimensions or "[]")
    ]
    out["EvaluationPeriods"] = alarm.evaluation_periods
    if alarm.datapoints_to_alarm is not None:
        out["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    out["Threshold"] = alarm.threshold
    out["ComparisonOperator"] = alarm.comparison_operator
    if alarm.treat_missing_data is not None:
        out["TreatMissingData"] = alarm.treat_missing_data
    if alarm.evaluate_low_sample_count_percentile is not None:
        out["EvaluateLowSampleCountPercentile"] = alarm.evaluate_low_sample_count_percentile
    return out


def composite_alarm(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    out = _common(alarm, deployment)
    out["AlarmRule"] = alarm.alarm_rule
    if alarm.actions_suppressor is not None:
        out["ActionsSuppressor"] = alarm.actions_suppressor
        out["ActionsSuppressorWaitPeriod"] = alarm.actions_suppressor_wait_period
        out["ActionsSuppressorExtensionPeriod"] = alarm.actions_suppressor_extension_period
    return out


def child_alarm(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    """ChildrenOfAlarmName answers only these members (§3.7)."""
    return {
        "AlarmName": alarm.name,
        "AlarmArn": deployment.alarm_arn(alarm.tenant_id, alarm.name),
        "StateValue": alarm.state_value,
        "StateUpdatedTimestamp": alarm.state_updated_at,
    }


def parent_alarm(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    """ParentsOfAlarmName answers only name and ARN (§3.7)."""
    return {
        "AlarmName": alarm.name,
        "AlarmArn": deployment.alarm_arn(alarm.tenant_id, alarm.name),
    }


def history_item(item: AlarmHistoryItem) -> dict[str, Any]:
    return {
        "AlarmName": item.alarm_name,
        "AlarmType": item.alarm_type,
        "Timestamp": item.timestamp,
        "HistoryItemType": item.item_type,
        "HistorySummary": item.summary,
        "HistoryData": item.data,
    }
