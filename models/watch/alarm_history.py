"""Alarm history items (cloudwatch-api.md §3.9, §4.8): what is written, how it reads back.

Decisions on points the reference leaves open:
- Retention is 30 days (current AWS material; the 2023 guide said two weeks), applied by the
  hourly `watch.prune` beat task.
- Update and Delete items follow the recorded Create shape: `updatedAlarm` (with
  `originalUpdatedFields` holding the previous values of the members that changed) and
  `deletedAlarm`, summaries `Alarm "<name>" updated` / `deleted`.
- StartDate and EndDate are both inclusive; items sort by timestamp, then by insertion order.
- An alarm's states over a time range (`state_spans`, for its graph) are read back from its
  StateUpdate items, since its latest creation: history outlives an alarm, so an earlier
  alarm of the same name must not lend it its states. Only the items' timestamps and
  summaries are read (their data may be cut at 4 KB); a range with more than
  MAX_STATE_CHANGES transitions is refused rather than read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from models.errors import InvalidPageTokenError, InvalidParameterError
from models.watch import paging
from models.watch.tables import Alarm, AlarmHistoryItem

HISTORY_RETENTION = timedelta(days=30)
ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action")
SCAN_BY = ("TimestampDescending", "TimestampAscending")
_TOKEN_PREFIX = "h1:"
MAX_STATE_CHANGES = 10_000
_STATE_SUMMARY = re.compile(r"Alarm updated from (\w+) to (\w+)")


def java_date(moment: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, the format of every date inside history JSON."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def alarm_document(alarm: Alarm, arn: str) -> dict[str, Any]:
    """The camelCase alarm AWS embeds in ConfigurationUpdate items [aws-rec]."""
    doc: dict[str, Any] = {"alarmName": alarm.name}
    if alarm.description is not None:
        doc["alarmDescription"] = alarm.description
    doc["alarmArn"] = arn
    doc["alarmConfigurationUpdatedTimestamp"] = java_date(alarm.config_updated_at)
    if alarm.alarm_type == "CompositeAlarm":
        doc["alarmRule"] = alarm.alarm_rule
    elif alarm.metrics is not None:
        doc["metrics"] = alarm.metrics
    else:
        doc["namespace"] = alarm.namespace
        doc["metricName"] = alarm.metric_name
        if alarm.statistic is not None:
            doc["statistic"] = alarm.statistic
        if alarm.extended_statistic is not None:
            doc["extendedStatistic"] = alarm.extended_statistic
        doc["period"] = alarm.period
        doc["dimensions"] = [
            {"value": value, "name": name} for name, value in json.loads(alarm.dimensions or "[]")
        ]
        if alarm.unit is not None:
            doc["unit"] = alarm.unit
    if alarm.alarm_type == "MetricAlarm":
        doc["threshold"] = alarm.threshold
        doc["comparisonOperator"] = alarm.comparison_operator
        doc["evaluationPeriods"] = alarm.evaluation_periods
        if alarm.datapoints_to_alarm is not None:
            doc["datapointsToAlarm"] = alarm.datapoints_to_alarm
        if alarm.treat_missing_data is not None:
            doc["treatMissingData"] = alarm.treat_missing_data
    doc["stateValue"] = alarm.state_value
    doc["stateUpdatedTimestamp"] = java_date(alarm.state_updated_at)
    doc["actionsEnabled"] = alarm.actions_enabled
    doc["alarmActions"] = list(alarm.alarm_actions)
    doc["insufficientDataActions"] = list(alarm.insufficient_data_actions)
    doc["okactions"] = list(alarm.ok_actions)  # sic: AWS writes this key in lower case
    return doc


def item_row(
    alarm: Alarm | tuple[str, str, str],
    item_type: str,
    summary: str,
    data: dict[str, Any],
    timestamp: datetime,
) -> dict[str, Any]:
    """An alarm_history row as a dict, for bulk inserts.

    `alarm` is the row, or (tenant_id, name, type) once it may be gone (Action items)."""
    tenant_id, name, alarm_type = (
        alarm if isinstance(alarm, tuple) else (alarm.tenant_id, alarm.name, alarm.alarm_type)
    )
    return {
        "tenant_id": tenant_id,
        "alarm_name": name,
        "alarm_type": alarm_type,
        "timestamp": timestamp,
        "item_type": item_type,
        "summary": summary[:255],
        "data": json.dumps(data, separators=(",", ":"))[:4095],
    }


def record(
    session: Session,
    alarm: Alarm | tuple[str, str, str],
    item_type: str,
    summary: str,
    data: dict[str, Any],
    timestamp: datetime,
) -> None:
    session.add(AlarmHistoryItem(**item_row(alarm, item_type, summary, data, timestamp)))


def record_configuration(
    session: Session,
    alarm: Alarm,
    arn: str,
    kind: str,
    timestamp: datetime,
    original: dict[str, Any] | None = None,
) -> None:
    """kind: Create | Update | Delete."""
    session.add(AlarmHistoryItem(**configuration_row(alarm, arn, kind, timestamp, original)))


def configuration_row(
    alarm: Alarm,
    arn: str,
    kind: str,
    timestamp: datetime,
    original: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ConfigurationUpdate alarm_history row of `record_configuration`, for a Core insert."""
    document = alarm_document(alarm, arn)
    key = {"Create": "createdAlarm", "Update": "updatedAlarm", "Delete": "deletedAlarm"}[kind]
    # "version" then "type" first: _CREATED finds the Create items by this prefix of the text.
    data: dict[str, Any] = {"version": "1.0", "type": kind, key: document}
    if kind == "Update" and original is not None:
        data["originalUpdatedFields"] = {
            name: value for name, value in original.items() if document.get(name) != value
        }
    verb = {"Create": "created", "Update": "updated", "Delete": "deleted"}[kind]
    return item_row(alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" {verb}', data, timestamp)


def state_summary(old_state: str, new_state: str) -> str:
    return f"Alarm updated from {old_state} to {new_state}"


def parse_state_summary(summary: str) -> tuple[str, str] | None:
    """(old state, new state) of a StateUpdate item's summary, None if it is not one."""
    match = _STATE_SUMMARY.fullmatch(summary)
    return (match.group(1), match.group(2)) if match else None


def state_document(value: str, reason: str, reason_data: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"stateValue": value, "stateReason": reason}
    if reason_data:
        # Nested as an object, not a string [aws-rec].
        doc["stateReasonData"] = json.loads(reason_data)
    return doc


# --- DescribeAlarmHistory --------------------------------------------------------------------


def _encode_token(timestamp: datetime, item_id: int) -> str:
    return paging.encode_token(_TOKEN_PREFIX, f"{timestamp.isoformat()}|{item_id}")


def _decode_token(token: str) -> tuple[datetime, int]:
    key = paging.decode_token(_TOKEN_PREFIX, token)
    try:
        moment, item_id = key.split("|")
        return datetime.fromisoformat(moment), int(item_id)
    except ValueError as exc:
        raise InvalidPageTokenError("The value of NextToken is not valid.") from exc


def describe_history(
    session: Session,
    tenant_id: str,
    *,
    alarm_name: str | None,
    alarm_types: list[str],
    item_type: str | None,
    start: datetime | None,
    end: datetime | None,
    max_records: int,
    next_token: str | None,
    ascending: bool,
) -> tuple[list[AlarmHistoryItem], str | None]:
    query = select(AlarmHistoryItem).where(
        AlarmHistoryItem.tenant_id == tenant_id,
        AlarmHistoryItem.alarm_type.in_(alarm_types),
    )
    if alarm_name is not None:
        query = query.where(AlarmHistoryItem.alarm_name == alarm_name)
    if item_type is not None:
        query = query.where(AlarmHistoryItem.item_type == item_type)
    if start is not None:
        query = query.where(AlarmHistoryItem.timestamp >= start)
    if end is not None:
        query = query.where(AlarmHistoryItem.timestamp <= end)
    if next_token is not None:
        moment, item_id = _decode_token(next_token)
        if ascending:
            query = query.where(
                or_(
                    AlarmHistoryItem.timestamp > moment,
                    (AlarmHistoryItem.timestamp == moment) & (AlarmHistoryItem.id > item_id),
                )
            )
        else:
            query = query.where(
                or_(
                    AlarmHistoryItem.timestamp < moment,
                    (AlarmHistoryItem.timestamp == moment) & (AlarmHistoryItem.id < item_id),
                )
            )
    if ascending:
        query = query.order_by(AlarmHistoryItem.timestamp, AlarmHistoryItem.id)
    else:
        query = query.order_by(AlarmHistoryItem.timestamp.desc(), AlarmHistoryItem.id.desc())
    items = list(session.scalars(query.limit(max_records + 1)))
    if len(items) > max_records:
        last = items[max_records - 1]
        return items[:max_records], _encode_token(last.timestamp, last.id)
    return items, None


# --- States over time (alarm graphs) ---------------------------------------------------------

_CREATED = '{"version":"1.0","type":"Create",'


@dataclass(frozen=True)
class StateSpan:
    """The alarm was in `state` over [start, end)."""

    start: datetime
    end: datetime
    state: str


def state_spans(
    session: Session, alarm: Alarm, start: datetime, end: datetime, now: datetime
) -> list[StateSpan]:
    """The alarm's states over [start, min(end, now)), oldest first, from its history.

    Nothing before the alarm's latest creation (when that item is still kept; if it was
    pruned, so was everything older). The state at `start` is the new state of the last
    transition before it, or else the old state of the first one since (in the range or
    later), or else the alarm's current state. Refused (InvalidParameterError) above
    MAX_STATE_CHANGES transitions in the range."""
    start, stop = _utc(start), min(_utc(end), _utc(now))
    mine = (
        AlarmHistoryItem.tenant_id == alarm.tenant_id,
        AlarmHistoryItem.alarm_name == alarm.name,
    )
    created = session.scalar(
        select(AlarmHistoryItem.timestamp)
        .where(
            *mine,
            AlarmHistoryItem.item_type == "ConfigurationUpdate",
            AlarmHistoryItem.data.startswith(_CREATED, autoescape=True),
        )
        .order_by(AlarmHistoryItem.timestamp.desc(), AlarmHistoryItem.id.desc())
        .limit(1)
    )
    begin = start if created is None else max(start, _utc(created))
    if begin >= stop:
        return []
    transitions = select(AlarmHistoryItem.timestamp, AlarmHistoryItem.summary).where(
        *mine, AlarmHistoryItem.item_type == "StateUpdate"
    )
    if created is not None:
        transitions = transitions.where(AlarmHistoryItem.timestamp >= created)
    before = session.execute(
        transitions.where(AlarmHistoryItem.timestamp < begin)
        .order_by(AlarmHistoryItem.timestamp.desc(), AlarmHistoryItem.id.desc())
        .limit(1)
    ).first()
    rows = session.execute(
        transitions.where(AlarmHistoryItem.timestamp >= begin, AlarmHistoryItem.timestamp < stop)
        .order_by(AlarmHistoryItem.timestamp, AlarmHistoryItem.id)
        .limit(MAX_STATE_CHANGES + 1)
    ).all()
    if len(rows) > MAX_STATE_CHANGES:
        raise InvalidParameterError(
            f"The alarm {alarm.name} changed state more than {MAX_STATE_CHANGES} times in "
            "this time range; choose a shorter range."
        )
    changes = [
        (_utc(row.timestamp), parsed)
        for row in rows
        if (parsed := parse_state_summary(row.summary)) is not None
    ]
    after = None
    if before is None:
        after = session.execute(
            transitions.where(AlarmHistoryItem.timestamp >= begin)
            .order_by(AlarmHistoryItem.timestamp, AlarmHistoryItem.id)
            .limit(1)
        ).first()
    if before is not None and (parsed := parse_state_summary(before.summary)) is not None:
        state = parsed[1]
    elif after is not None and (parsed := parse_state_summary(after.summary)) is not None:
        state = parsed[0]
    else:
        state = alarm.state_value
    spans: list[StateSpan] = []
    since = begin
    for moment, (_old, new) in changes:
        _extend(spans, since, moment, state)
        since, state = max(since, moment), new
    _extend(spans, since, stop, state)
    return spans


def _extend(spans: list[StateSpan], start: datetime, end: datetime, state: str) -> None:
    if end <= start:
        return
    if spans and spans[-1].state == state and spans[-1].end == start:
        spans[-1] = StateSpan(spans[-1].start, end, state)
    else:
        spans.append(StateSpan(start, end, state))


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes from raw column selects; they are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def prune_history(session: Session, now: datetime) -> int:
    result = session.execute(
        delete(AlarmHistoryItem).where(AlarmHistoryItem.timestamp < now - HISTORY_RETENTION)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
