"""Alarm services (cloudwatch-api.md §3.5-§3.12): create, replace, describe, delete, set state.

Each function takes the session and the tenant; none opens or commits a transaction. A
function whose work has effects to send (actions) returns their ids for the caller to enqueue
after its commit.

Decisions on points the reference leaves open:
- DescribeAlarms pages by alarm name (the sort order) with an opaque keyset token; metric
  and composite alarms share one name order and one page.
- DescribeAlarms ActionPrefix matches any of the three action lists.
- DeleteAlarms skips unknown names (200), refuses to delete an alarm that a composite alarm
  not deleted in the same call still names, and writes a "deleted" history item.
- A PutMetricAlarm with the name of an existing composite alarm (or the reverse) is refused
  with ValidationError: names are unique across both kinds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.errors import (
    ConflictError,
    ConstraintViolationError,
    NotFoundError,
)
from models.watch import alarm_history, paging, tags
from models.watch.alarm_state import StoredState, store_state
from models.watch.alarm_validation import (
    CompositeAlarmConfig,
    ManualState,
    MetricAlarmConfig,
)
from models.watch.composite_rules import parse_alarm_rule, reference_name
from models.watch.metrics import dimensions_key, dimensions_text
from models.watch.tables import Alarm, AlarmHistoryItem, CompositeChild

METRIC_ALARM = "MetricAlarm"
COMPOSITE_ALARM = "CompositeAlarm"
ALARM_TYPES = (METRIC_ALARM, COMPOSITE_ALARM, "LogAlarm")
INITIAL_REASON = "Unchecked: Initial alarm creation"
DEFAULT_MAX_RECORDS = 50
MAX_RECORDS = 100
_TOKEN_PREFIX = "a1:"


@dataclass(frozen=True)
class Deployment:
    """What ARNs are made of: this deployment's region (the tenant is the account)."""

    region: str
    # Alarm actions that start with this are the orchestration engine's scaling-policy
    # URLs, repeated each period while the alarm stays in ALARM ("" = none).
    scaling_url_prefix: str = ""

    def is_scaling_action(self, target: str) -> bool:
        return bool(self.scaling_url_prefix) and target.startswith(self.scaling_url_prefix)

    def arn_prefix(self, tenant_id: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{tenant_id}:alarm:"

    def alarm_arn(self, tenant_id: str, name: str) -> str:
        return self.arn_prefix(tenant_id) + name


def find_alarm(session: Session, tenant_id: str, name: str) -> Alarm | None:
    return session.scalar(select(Alarm).where(Alarm.tenant_id == tenant_id, Alarm.name == name))


# --- PutMetricAlarm / PutCompositeAlarm ------------------------------------------------------


def _common_fields(config: MetricAlarmConfig | CompositeAlarmConfig) -> dict[str, Any]:
    return {
        "description": config.description,
        "actions_enabled": config.actions_enabled,
        "ok_actions": list(config.ok_actions),
        "alarm_actions": list(config.alarm_actions),
        "insufficient_data_actions": list(config.insufficient_data_actions),
    }


def _metric_fields(config: MetricAlarmConfig) -> dict[str, Any]:
    single = config.metrics is None
    return {
        **_common_fields(config),
        "namespace": config.namespace,
        "metric_name": config.metric_name,
        "dimensions": dimensions_text(config.dimensions) if single else None,
        "dimensions_key": dimensions_key(config.dimensions) if single else None,
        "statistic": config.statistic,
        "extended_statistic": config.extended_statistic,
        "unit": config.unit,
        "metrics": config.metrics,
        "period": config.period,
        "evaluation_periods": config.evaluation_periods,
        "datapoints_to_alarm": config.datapoints_to_alarm,
        "threshold": config.threshold,
        "threshold_metric_id": None,
        "comparison_operator": config.comparison_operator,
        "treat_missing_data": config.treat_missing_data,
        "evaluate_low_sample_count_percentile": config.evaluate_low_sample_count_percentile,
    }


# PutMetricAlarm writes with Core, from statements built once: no ORM object, no unit of
# work, no statement built per call. Profiled in-process, the ORM's find + add + flush of a
# new alarm and its history item was 0.84 ms of a 2.1 ms PutMetricAlarm. Callers that want
# the ORM object read it back (put_metric_alarm); the CloudWatch action needs none.
_ALARMS = Alarm.__table__
_BY_NAME = (_ALARMS.c.tenant_id == bindparam("tenant_id"), _ALARMS.c.name == bindparam("name"))
_FIND = select(_ALARMS.c.id, _ALARMS.c.alarm_type).where(*_BY_NAME)
_READ = select(_ALARMS).where(_ALARMS.c.id == bindparam("alarm_id"))
# INSERT ... ON CONFLICT (tenant_id, name) DO NOTHING RETURNING id, in each store's dialect
# (SQLite >= 3.35 and PostgreSQL both have it): no row back means the name is taken.
_INSERT_NEW_ALARM = {
    module.dialect.name: module.insert(_ALARMS)
    .on_conflict_do_nothing(index_elements=[_ALARMS.c.tenant_id, _ALARMS.c.name])
    .returning(_ALARMS.c.id)
    for module in (postgresql, sqlite)
}
_INSERT_HISTORY = insert(AlarmHistoryItem.__table__)
# Every column absent: what a row read back holds for the members a kind of alarm lacks.
_NO_VALUES = dict.fromkeys(column.key for column in _ALARMS.columns)


def _upsert(
    connection: Connection,
    deployment: Deployment,
    tenant_id: str,
    alarm_type: str,
    name: str,
    fields: dict[str, Any],
    alarm_tags: Sequence[tuple[str, str]],
    now: datetime,
) -> int:
    """The alarm's id, created or replaced."""
    arn = deployment.alarm_arn(tenant_id, name)
    while True:
        # Most puts create: try that first, and look for the existing alarm only when the
        # name is taken (one statement fewer per new alarm than find-then-insert).
        alarm_id = _create(connection, tenant_id, alarm_type, name, fields, alarm_tags, arn, now)
        if alarm_id is not None:
            return alarm_id
        found = connection.execute(_FIND, {"tenant_id": tenant_id, "name": name}).first()
        if found is not None:
            break
        # Taken, then deleted by another transaction before we looked: create it after all.
    if found.alarm_type != alarm_type:
        raise ConstraintViolationError(
            f"An alarm named {name} already exists as a {found.alarm_type}."
        )
    stored = connection.execute(_READ, {"alarm_id": found.id}).one()
    original = alarm_history.alarm_document(stored, arn)  # type: ignore[arg-type]
    changes = {
        **fields,
        "config_updated_at": now,
        # An evaluation that read the old configuration must not store.
        "version": stored.version + 1,
        "next_evaluation_at": now,
    }
    connection.execute(update(_ALARMS).where(_ALARMS.c.id == found.id).values(changes))
    replaced = SimpleNamespace(**{**stored._asdict(), **changes})
    history = alarm_history.configuration_row(replaced, arn, "Update", now, original)  # type: ignore[arg-type]
    connection.execute(_INSERT_HISTORY, history)
    return int(found.id)


def _create(
    connection: Connection,
    tenant_id: str,
    alarm_type: str,
    name: str,
    fields: dict[str, Any],
    alarm_tags: Sequence[tuple[str, str]],
    arn: str,
    now: datetime,
) -> int | None:
    """The new alarm's id, or None when the tenant already has an alarm of that name."""
    row = {
        "tenant_id": tenant_id,
        "name": name,
        "alarm_type": alarm_type,
        "state_value": "INSUFFICIENT_DATA",
        "state_reason": INITIAL_REASON,
        "state_reason_data": None,
        "state_updated_at": now,
        "state_transitioned_at": now,
        "config_updated_at": now,
        "version": 1,
        "next_evaluation_at": now,  # evaluated right after creation
        **fields,
    }
    alarm_id = connection.execute(_INSERT_NEW_ALARM[connection.dialect.name], row).scalar()
    if alarm_id is None:
        return None
    # Tags count only when the alarm is created (§3.5). A deleted alarm's tags went with
    # it, so there are none to replace: add them.
    tags.insert_new_tags(connection, tenant_id, "alarm", name, alarm_tags)
    stored = SimpleNamespace(**{**_NO_VALUES, **row, "id": alarm_id})
    history = alarm_history.configuration_row(stored, arn, "Create", now)  # type: ignore[arg-type]
    connection.execute(_INSERT_HISTORY, history)
    return int(alarm_id)


def store_metric_alarm(
    connection: Connection,
    deployment: Deployment,
    tenant_id: str,
    config: MetricAlarmConfig,
    now: datetime,
) -> int:
    """PutMetricAlarm's write on a plain connection (the caller commits); the alarm's id."""
    return _upsert(
        connection, deployment, tenant_id, METRIC_ALARM, config.name,
        _metric_fields(config), config.tags, now,
    )  # fmt: skip


def _read_back(session: Session, alarm_id: int) -> Alarm:
    # Written with Core through the session's connection: an Alarm this session loaded
    # before (the REST API's existence check) still holds the old values, hence
    # populate_existing.
    alarm = session.get(Alarm, alarm_id, populate_existing=True)
    assert alarm is not None  # written in this transaction just above
    return alarm


def put_metric_alarm(
    session: Session,
    deployment: Deployment,
    tenant_id: str,
    config: MetricAlarmConfig,
    now: datetime,
) -> Alarm:
    session.flush()  # the Core writes below do not autoflush
    alarm_id = store_metric_alarm(session.connection(), deployment, tenant_id, config, now)
    return _read_back(session, alarm_id)


def put_composite_alarm(
    session: Session,
    deployment: Deployment,
    tenant_id: str,
    config: CompositeAlarmConfig,
    now: datetime,
) -> Alarm:
    rule = parse_alarm_rule(config.alarm_rule)
    prefix = deployment.arn_prefix(tenant_id)
    children = {ref: reference_name(ref, prefix) for ref in rule.references()}
    names = {name for name in children.values() if name is not None}
    existing = set(
        session.scalars(
            select(Alarm.name).where(Alarm.tenant_id == tenant_id, Alarm.name.in_(names))
        )
    )
    missing = sorted(ref for ref, name in children.items() if name is None or name not in existing)
    if missing:
        raise ConstraintViolationError(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] "
            "in the alarm rule do not exist"
        )
    if config.actions_suppressor is not None:
        suppressor = reference_name(config.actions_suppressor, prefix)
        if suppressor is None or find_alarm(session, tenant_id, suppressor) is None:
            raise ConstraintViolationError(
                f"Could not save the composite alarm as the actions suppressor "
                f"{config.actions_suppressor} does not exist"
            )
    fields = {
        **_common_fields(config),
        "alarm_rule": config.alarm_rule,
        "actions_suppressor": config.actions_suppressor,
        "actions_suppressor_wait_period": config.actions_suppressor_wait_period,
        "actions_suppressor_extension_period": config.actions_suppressor_extension_period,
    }
    session.flush()  # the Core writes below do not autoflush
    alarm_id = _upsert(
        session.connection(), deployment, tenant_id, COMPOSITE_ALARM, config.name, fields,
        config.tags, now,
    )  # fmt: skip
    session.execute(delete(CompositeChild).where(CompositeChild.parent_id == alarm_id))
    session.add_all(
        CompositeChild(parent_id=alarm_id, child_name=name, tenant_id=tenant_id) for name in names
    )
    session.flush()
    return _read_back(session, alarm_id)


# --- DescribeAlarms / DescribeAlarmsForMetric -----------------------------------------------


def encode_page_token(last_name: str) -> str:
    """The DescribeAlarms NextToken that resumes after the alarm named `last_name` (pages
    follow the name order; the REST API's alarm marker is that name)."""
    return paging.encode_token(_TOKEN_PREFIX, last_name)


def _decode_token(token: str) -> str:
    return paging.decode_token(_TOKEN_PREFIX, token)


def describe_alarms(
    session: Session,
    deployment: Deployment,
    tenant_id: str,
    *,
    names: Sequence[str] = (),
    name_prefix: str | None = None,
    alarm_types: Sequence[str] = (METRIC_ALARM,),
    state_value: str | None = None,
    action_prefix: str | None = None,
    children_of: str | None = None,
    parents_of: str | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
    next_token: str | None = None,
) -> tuple[list[Alarm], str | None]:
    query = select(Alarm).where(Alarm.tenant_id == tenant_id)
    if children_of is not None:
        parent = find_alarm(session, tenant_id, children_of)
        if parent is None or parent.alarm_type != COMPOSITE_ALARM:
            return [], None
        query = query.where(
            Alarm.name.in_(
                select(CompositeChild.child_name).where(CompositeChild.parent_id == parent.id)
            )
        )
    elif parents_of is not None:
        query = query.where(
            Alarm.id.in_(
                select(CompositeChild.parent_id).where(
                    CompositeChild.tenant_id == tenant_id,
                    CompositeChild.child_name == parents_of,
                )
            )
        )
    else:
        query = query.where(Alarm.alarm_type.in_(list(alarm_types)))
        if names:
            query = query.where(Alarm.name.in_(list(names)))
        if name_prefix is not None:
            query = query.where(*_name_starts_with(name_prefix))
        if state_value is not None:
            query = query.where(Alarm.state_value == state_value)
    if next_token is not None:
        query = query.where(Alarm.name > _decode_token(next_token))
    query = query.order_by(Alarm.name)
    if action_prefix is None:
        found = list(session.scalars(query.limit(max_records + 1)))
    else:
        # Action lists are JSON; filter in Python over a bounded scan of the name order.
        found = []
        for alarm in session.scalars(query.execution_options(yield_per=500)):
            if has_action_prefix(alarm, action_prefix):
                found.append(alarm)
                if len(found) > max_records:
                    break
    if len(found) > max_records:
        return found[:max_records], encode_page_token(found[max_records - 1].name)
    return found, None


def count_by_state(
    session: Session,
    tenant_id: str,
    *,
    alarm_types: Sequence[str] = (METRIC_ALARM,),
    name_prefix: str | None = None,
) -> dict[str, int]:
    """How many of the tenant's alarms are in each state (states with none are left out),
    among those whose name starts with `name_prefix`, matched as `describe_alarms` does."""
    query = select(Alarm.state_value, func.count()).where(
        Alarm.tenant_id == tenant_id, Alarm.alarm_type.in_(list(alarm_types))
    )
    if name_prefix is not None:
        query = query.where(*_name_starts_with(name_prefix))
    rows = session.execute(query.group_by(Alarm.state_value))
    return {state: int(count) for state, count in rows}


def _name_starts_with(prefix: str) -> tuple[Any, Any]:
    # A range, not LIKE: names may hold % and _, and LIKE ignores case on SQLite.
    return Alarm.name >= prefix, Alarm.name < prefix + "\U0010ffff"


def describe_alarms_for_metric(
    session: Session,
    tenant_id: str,
    *,
    namespace: str,
    metric_name: str,
    statistic: str | None,
    extended_statistic: str | None,
    dimensions: tuple[tuple[str, str], ...] | None,
    period: int | None,
    unit: str | None,
) -> list[Alarm]:
    query = select(Alarm).where(
        Alarm.tenant_id == tenant_id,
        Alarm.alarm_type == METRIC_ALARM,
        Alarm.namespace == namespace,
        Alarm.metric_name == metric_name,
    )
    if dimensions is not None:
        query = query.where(Alarm.dimensions_key == dimensions_key(dimensions))
    if statistic is not None:
        query = query.where(Alarm.statistic == statistic)
    if extended_statistic is not None:
        query = query.where(Alarm.extended_statistic == extended_statistic)
    if period is not None:
        query = query.where(Alarm.period == period)
    if unit is not None:
        query = query.where(Alarm.unit == unit)
    return list(session.scalars(query.order_by(Alarm.name)))


# --- SetAlarmState, Enable/DisableAlarmActions, DeleteAlarms ---------------------------------


def set_alarm_state(
    session: Session,
    deployment: Deployment,
    tenant_id: str,
    name: str,
    manual: ManualState,
    now: datetime,
) -> StoredState:
    """A manual state holds until the next evaluation (metric alarms) or until a child
    changes state or the configuration is replaced (composite alarms), as on AWS (§3.10).
    Nothing is scheduled here: the alarm's next evaluation is already on the calendar."""
    for _attempt in range(3):
        alarm = find_alarm(session, tenant_id, name)
        if alarm is None:
            raise NotFoundError("")  # AWS answers ResourceNotFound with no message [aws-rec]
        stored = store_state(
            session,
            alarm,
            arn=deployment.alarm_arn(tenant_id, name),
            region=deployment.region,
            state=manual.state_value,
            reason=manual.state_reason,
            reason_data=manual.state_reason_data,
            now=now,
        )
        if stored is not None:
            return stored
        # An evaluation committed between our read and our write: read again and retry.
        session.expire(alarm)
    raise AlarmBusyError(f"The alarm {name} is being updated; try again.")


class AlarmBusyError(ConflictError):
    """Concurrent writers kept winning the compare-and-set (ConcurrentModificationException)."""


def set_actions_enabled(
    session: Session, tenant_id: str, names: Sequence[str], enabled: bool
) -> None:
    if not names:
        return
    session.execute(
        update(Alarm)
        .where(Alarm.tenant_id == tenant_id, Alarm.name.in_(list(names)))
        .values(actions_enabled=enabled)
        .execution_options(synchronize_session=False)
    )


def delete_alarms(
    session: Session, deployment: Deployment, tenant_id: str, names: Sequence[str], now: datetime
) -> None:
    alarms = list(
        session.scalars(
            select(Alarm).where(Alarm.tenant_id == tenant_id, Alarm.name.in_(list(names)))
        )
    )
    composites = [a for a in alarms if a.alarm_type == COMPOSITE_ALARM]
    if len(composites) > 1:
        raise ConstraintViolationError("At most one composite alarm can be deleted per call.")
    deleting = {a.id for a in alarms}
    depended = sorted(
        set(
            session.scalars(
                select(CompositeChild.child_name).where(
                    CompositeChild.tenant_id == tenant_id,
                    CompositeChild.child_name.in_([a.name for a in alarms]),
                    CompositeChild.parent_id.not_in(deleting),
                )
            )
        )
    )
    if depended:
        pronoun = "it" if len(depended) == 1 else "them"
        raise ConstraintViolationError(
            f"Cannot delete {','.join(depended)} as there are composite alarm(s) "
            f"depending on {pronoun}."
        )
    for alarm in alarms:
        alarm_history.record_configuration(
            session, alarm, deployment.alarm_arn(tenant_id, alarm.name), "Delete", now
        )
        tags.replace_tags(session, tenant_id, "alarm", alarm.name, ())
        session.delete(alarm)
    session.flush()


def alarms_by_names(session: Session, tenant_id: str, names: Sequence[str]) -> dict[str, Alarm]:
    found = session.scalars(
        select(Alarm).where(Alarm.tenant_id == tenant_id, Alarm.name.in_(list(names)))
    )
    return {alarm.name: alarm for alarm in found}


def dimensions_of(alarm: Alarm) -> list[tuple[str, str]]:
    return [(name, value) for name, value in json.loads(alarm.dimensions or "[]")]


def has_action_prefix(alarm: Alarm, prefix: str) -> bool:
    actions = [*alarm.ok_actions, *alarm.alarm_actions, *alarm.insufficient_data_actions]
    return any(action.startswith(prefix) for action in actions)
