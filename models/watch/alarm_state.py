"""Storing an alarm's state: the one compare-and-set every state change goes through.

Evaluations, SetAlarmState and composite propagation all write through `StateWriter`. It
updates the row only if its `version` is still the one the caller read, so two workers that
evaluated the same alarm (a duplicated tick, a redelivered shard) cannot both store a
decision: the loser sees rowcount 0 and drops its result. The history items, the action
outbox rows and the "parents are due" marks are written in the same transaction as the
states, so a transition and its effects commit together or not at all. The caller enqueues
the returned action ids only after its commit (the tick's outbox sweep catches the ones a
crash left behind).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.watch import alarm_history, suppression
from models.watch.tables import Alarm, AlarmAction, AlarmHistoryItem, CompositeChild

# Aodh's names for the states, used in webhook bodies so Aodh receivers understand them.
AODH_STATES = {"OK": "ok", "ALARM": "alarm", "INSUFFICIENT_DATA": "insufficient data"}


class AlarmRow(SimpleNamespace):
    """An alarm read with Core for an evaluation: its columns as attributes, like an Alarm.

    The evaluator reads every due alarm, and building ORM objects (identity map, instance
    state, instrumented attributes) was about a quarter of a new alarm's evaluation, for
    nothing: an evaluation writes with Core and never relies on lazy loads or the unit of
    work. `StateWriter.write` updates one as it updates an Alarm."""

    @classmethod
    def from_row(cls, row: Row) -> AlarmRow:
        return cls(**row._mapping)


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


_ALARMS = Alarm.__table__
# One compiled statement for every state write (Core, not the ORM: an evaluation cycle may
# write thousands of alarms, and the per-statement ORM overhead would dominate).
_COMPARE_AND_SET = (
    update(_ALARMS)
    .where(_ALARMS.c.id == bindparam("b_id"), _ALARMS.c.version == bindparam("b_version"))
    .values(
        state_value=bindparam("b_state"),
        state_reason=bindparam("b_reason"),
        state_reason_data=bindparam("b_reason_data"),
        state_updated_at=bindparam("b_now"),
        state_transitioned_at=bindparam("b_transitioned_at"),
        version=bindparam("b_new_version"),
        last_evaluated_at=bindparam("b_last_evaluated_at"),
        next_evaluation_at=bindparam("b_next_evaluation_at"),
    )
)


class StateWriter:
    """Compare-and-set state writes for one transaction, with their effects batched.

    `write` updates the alarm row at once (so the caller learns whether it won the race);
    history items, action rows and the "parents are due" marks are collected and written in
    bulk by `finish`, in the same transaction.
    """

    def __init__(self, session: Session, *, region: str, now: datetime) -> None:
        self.session = session
        self.region = region
        self.now = now
        self._history: list[dict[str, Any]] = []
        self._actions: list[dict[str, Any]] = []
        self._transitioned: dict[str, set[str]] = {}  # tenant -> names

    def rewrite_reasons(self, rows: list[tuple[Alarm | AlarmRow, str, str | None, tuple]]) -> None:
        """Store new reasons of alarms whose StateValue stays: (alarm, reason, reason data,
        schedule). No effect hangs on these writes, so they go as one version-guarded
        executemany; an alarm changed meanwhile simply keeps the other writer's state."""
        if not rows:
            return
        params = []
        for alarm, reason, reason_data, (last, following) in rows:
            params.append(
                {
                    "b_id": alarm.id,
                    "b_version": alarm.version,
                    "b_state": alarm.state_value,
                    "b_reason": reason,
                    "b_reason_data": reason_data,
                    "b_now": self.now,
                    "b_transitioned_at": alarm.state_transitioned_at,
                    "b_new_version": alarm.version + 1,
                    "b_last_evaluated_at": last,
                    "b_next_evaluation_at": following,
                }
            )
        self.session.connection().execute(_COMPARE_AND_SET, params)

    def write(
        self,
        alarm: Alarm | AlarmRow,
        *,
        arn: str,
        state: str,
        reason: str,
        reason_data: str | None,
        schedule: tuple[datetime, datetime | None] | None = None,
    ) -> bool | None:
        """None when another writer got there first; else whether the value changed.

        `schedule` is (evaluated at, next due) for an evaluation; None keeps both as they are.
        """
        last_evaluated_at, next_evaluation_at = schedule or (
            alarm.last_evaluated_at,
            alarm.next_evaluation_at,
        )
        transitioned = state != alarm.state_value
        now = self.now
        params = {
            "b_id": alarm.id,
            "b_version": alarm.version,
            "b_state": state,
            "b_reason": reason,
            "b_reason_data": reason_data,
            "b_now": now,
            "b_transitioned_at": now if transitioned else alarm.state_transitioned_at,
            "b_new_version": alarm.version + 1,
            "b_last_evaluated_at": last_evaluated_at,
            "b_next_evaluation_at": next_evaluation_at,
        }
        result = self.session.connection().execute(_COMPARE_AND_SET, params)
        if result.rowcount != 1:
            return None
        old = (alarm.state_value, alarm.state_reason, alarm.state_reason_data)
        stored = (
            ("state_value", state),
            ("state_reason", reason),
            ("state_reason_data", reason_data),
            ("state_updated_at", now),
            ("state_transitioned_at", params["b_transitioned_at"]),
            ("version", alarm.version + 1),
            ("last_evaluated_at", last_evaluated_at),
            ("next_evaluation_at", next_evaluation_at),
        )
        # What the row now holds, without marking anything dirty: the caller's effects
        # below (and a later write in this pass) read the new state and version.
        if isinstance(alarm, AlarmRow):
            vars(alarm).update(stored)
        else:
            for name, value in stored:
                set_committed_value(alarm, name, value)
        if not transitioned:
            return False
        self._history.append(
            alarm_history.item_row(
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
        )
        if alarm.actions_enabled:
            self._actions += self._transition_actions(alarm, arn, old[0])
        if old[0] == "ALARM":
            self._actions += self._released_actions(alarm)
        self._transitioned.setdefault(alarm.tenant_id, set()).add(alarm.name)
        return True

    def _transition_actions(self, alarm: Alarm, arn: str, old_state: str) -> list[dict[str, Any]]:
        if alarm.alarm_type != "CompositeAlarm" or not alarm.actions_suppressor:
            return action_rows(
                alarm, arn=arn, region=self.region, old_state=old_state, now=self.now
            )
        hold = suppression.action_hold(self.session, alarm, self.region)
        if hold is None:  # the suppressor is in ALARM
            return []
        return action_rows(
            alarm, arn=arn, region=self.region, old_state=old_state, now=self.now,
            not_before=self.now + hold, held=suppression.WAIT,
        )  # fmt: skip

    def _released_actions(self, suppressor: Alarm) -> list[dict[str, Any]]:
        """The suppressor left ALARM: composites whose current state ran no actions get them
        after their ExtensionPeriod."""
        rows: list[dict[str, Any]] = []
        for composite in suppression.suppressed_composites(self.session, suppressor, self.region):
            if suppression.has_actions_for(self.session, composite):
                continue
            rows += action_rows(
                composite,
                arn=suppression.arn_prefix(self.region, composite.tenant_id) + composite.name,
                region=self.region,
                old_state=composite.state_value,
                now=self.now,
                not_before=self.now
                + timedelta(seconds=composite.actions_suppressor_extension_period or 0),
                held=suppression.EXTENSION,
            )
        return rows

    def repeat_actions(
        self, alarm: Alarm, *, arn: str, targets: list[str], evaluation_time: datetime
    ) -> None:
        """Send these ALARM actions again for an alarm that stays in ALARM: what AWS does
        for Auto Scaling policies each period (their cooldown limits the effect)."""
        self._actions += action_rows(
            alarm, arn=arn, region=self.region, old_state=alarm.state_value, now=self.now,
            targets=targets, repeat=int(evaluation_time.timestamp()),
        )  # fmt: skip

    def finish(self) -> tuple[list[int], list[int]]:
        """Write the collected effects; (action ids, composite alarm ids made due)."""
        if self._history:
            self.session.execute(insert(AlarmHistoryItem), self._history)
        action_ids: list[int] = []
        if self._actions:
            action_ids = list(
                self.session.scalars(insert(AlarmAction).returning(AlarmAction.id), self._actions)
            )
        parent_ids = mark_parents_due(self.session, self._transitioned, self.now)
        self._history, self._actions, self._transitioned = [], [], {}
        return action_ids, parent_ids


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
) -> StoredState | None:
    """One compare-and-set with its effects (SetAlarmState); None if the alarm moved on."""
    writer = StateWriter(session, region=region, now=now)
    transitioned = writer.write(alarm, arn=arn, state=state, reason=reason, reason_data=reason_data)
    if transitioned is None:
        return None
    action_ids, parent_ids = writer.finish()
    return StoredState(transitioned=transitioned, action_ids=action_ids, parent_ids=parent_ids)


def mark_parents_due(
    session: Session, transitioned: dict[str, set[str]], now: datetime
) -> list[int]:
    """A child's transition makes every composite that names it due at once."""
    parents: list[int] = []
    for tenant_id, names in transitioned.items():
        ordered = sorted(names)
        for offset in range(0, len(ordered), 500):
            parents += session.scalars(
                select(CompositeChild.parent_id).where(
                    CompositeChild.tenant_id == tenant_id,
                    CompositeChild.child_name.in_(ordered[offset : offset + 500]),
                )
            )
    parents = sorted(set(parents))
    if parents:
        session.execute(
            update(Alarm)
            .where(Alarm.id.in_(parents))
            .values(next_evaluation_at=now)
            .execution_options(synchronize_session=False)
        )
    return parents


def action_rows(
    alarm: Alarm,
    *,
    arn: str,
    region: str,
    old_state: str,
    now: datetime,
    not_before: datetime | None = None,
    held: str | None = None,
    targets: list[str] | None = None,
    repeat: int = 0,
) -> list[dict[str, Any]]:
    """One outbox row per target of the new state; (alarm, version, target, repeat) is
    unique, so the same transition can never be sent twice."""
    payload = notification(alarm, arn=arn, region=region, old_state=old_state)
    return [
        {
            "tenant_id": alarm.tenant_id,
            "alarm_id": alarm.id,
            "alarm_name": alarm.name,
            "alarm_type": alarm.alarm_type,
            "transition_version": alarm.version,
            "repeat": repeat,
            "target": target,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "not_before": not_before or now,
            "created_at": now,
            "suppression": held,
        }
        for target in (targets if targets is not None else action_targets(alarm, alarm.state_value))
    ]


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
