"""Storing an alarm's state: the one compare-and-set every state change goes through.

Evaluations, SetAlarmState and composite propagation all call `store_state`. It updates the
row only if its `version` is still the one the caller read, so two workers that evaluated the
same alarm (a duplicated tick, a redelivered shard) cannot both store a decision: the loser
sees rowcount 0 and drops its result. The history item, the action outbox rows and the
"parents are due" marks are written in the same transaction as the state, so a transition and
its effects commit together or not at all. The caller enqueues the returned action ids only
after its commit (an outbox sweep in the tick catches the ones a crash left behind).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.watch import alarm_history
from models.watch.tables import Alarm, AlarmAction, CompositeChild

# Aodh's names for the states, used in webhook bodies so Aodh receivers understand them.
AODH_STATES = {"OK": "ok", "ALARM": "alarm", "INSUFFICIENT_DATA": "insufficient data"}


@dataclass
class StoredState:
    transitioned: bool
    action_ids: list[int] = field(default_factory=list)
    parent_ids: list[int] = field(default_factory=list)  # composites now due


def action_targets(alarm: Alarm, state: str) -> list[str]:
    return list(
        {
            "OK": alarm.ok_actions,
            "ALARM": alarm.alarm_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[state]
        or []
    )


def store_state(
    session: Session,
    alarm: Alarm,
    *,
    arn: str,
    region: str,
    state: str,
    reason: str,
    reason_data: str | None,
    now: datetime,
    bookkeeping: dict[str, Any] | None = None,
) -> StoredState | None:
    """Compare-and-set the alarm's state; None when another writer got there first."""
    transitioned = state != alarm.state_value
    values: dict[str, Any] = {
        "state_value": state,
        "state_reason": reason,
        "state_reason_data": reason_data,
        "state_updated_at": now,
        "version": alarm.version + 1,
        **(bookkeeping or {}),
    }
    if transitioned:
        values["state_transitioned_at"] = now
    result = session.execute(
        update(Alarm)
        .where(Alarm.id == alarm.id, Alarm.version == alarm.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    old = (alarm.state_value, alarm.state_reason, alarm.state_reason_data)
    for name, value in values.items():
        set_committed_value(alarm, name, value)
    stored = StoredState(transitioned=transitioned)
    if not transitioned:
        return stored

    alarm_history.record(
        session,
        alarm,
        "StateUpdate",
        alarm_history.state_summary(old[0], state),
        {
            "version": "1.0",
            "oldState": alarm_history.state_document(*old),
            "newState": alarm_history.state_document(state, reason, reason_data),
        },
        now,
    )
    if alarm.actions_enabled:
        stored.action_ids = enqueue_actions(
            session, alarm, arn=arn, region=region, old_state=old[0], now=now
        )
    stored.parent_ids = mark_parents_due(session, alarm, now)
    return stored


def mark_parents_due(session: Session, alarm: Alarm, now: datetime) -> list[int]:
    """A child's transition makes every composite that names it due at once."""
    parents = list(
        session.scalars(
            select(CompositeChild.parent_id).where(
                CompositeChild.tenant_id == alarm.tenant_id,
                CompositeChild.child_name == alarm.name,
            )
        )
    )
    if parents:
        session.execute(
            update(Alarm)
            .where(Alarm.id.in_(parents))
            .values(next_evaluation_at=now)
            .execution_options(synchronize_session=False)
        )
    return parents


def enqueue_actions(
    session: Session,
    alarm: Alarm,
    *,
    arn: str,
    region: str,
    old_state: str,
    now: datetime,
    not_before: datetime | None = None,
) -> list[int]:
    """One outbox row per target of the new state; (alarm, version, target) is unique."""
    rows = [
        AlarmAction(
            tenant_id=alarm.tenant_id,
            alarm_id=alarm.id,
            alarm_name=alarm.name,
            alarm_type=alarm.alarm_type,
            transition_version=alarm.version,
            target=target,
            payload=notification(alarm, arn=arn, region=region, old_state=old_state),
            status="pending",
            attempts=0,
            not_before=not_before or now,
            created_at=now,
        )
        for target in action_targets(alarm, alarm.state_value)
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def notification(alarm: Alarm, *, arn: str, region: str, old_state: str) -> dict[str, Any]:
    """The webhook body: Aodh's fields (alarm_id, alarm_name, previous, current, reason,
    reason_data) and the CloudWatch SNS message fields (§4.8), so receivers of either work."""
    reason_data = json.loads(alarm.state_reason_data) if alarm.state_reason_data else {}
    body: dict[str, Any] = {
        "alarm_id": arn,
        "alarm_name": alarm.name,
        "severity": "moderate",
        "previous": AODH_STATES[old_state],
        "current": AODH_STATES[alarm.state_value],
        "reason": alarm.state_reason,
        "reason_data": reason_data,
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": alarm.tenant_id,
        "AlarmConfigurationUpdatedTimestamp": alarm_history.java_date(alarm.config_updated_at),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": alarm_history.java_date(alarm.state_transitioned_at),
        "Region": region,
        "AlarmArn": arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
    }
    if alarm.alarm_type == "CompositeAlarm":
        body["AlarmRule"] = alarm.alarm_rule
    elif alarm.metrics is None:
        body["Trigger"] = {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": (alarm.statistic or alarm.extended_statistic or "").upper(),
            "Unit": alarm.unit,
            "Dimensions": [
                {"value": value, "name": name}
                for name, value in json.loads(alarm.dimensions or "[]")
            ],
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data or "",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        }
    return body
