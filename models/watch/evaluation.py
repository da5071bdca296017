"""Alarm evaluation over the metric store (cloudwatch-api.md §4.5-§4.7, §4.9).

The evaluator reads first and writes last: it loads the due alarms, reads the data for all
of them with one query per batch of metrics (alarms on the same metric share it), decides
each alarm with the pure rules of alarm_rules.py / composite_rules.py, and only then writes:
a bulk "evaluated, next due at" update for alarms whose state stays, and a compare-and-set
(alarm_state.StateWriter) per alarm whose state or reason changes. Both writes are guarded by
the alarm's version, so a duplicated or redelivered evaluation stores nothing twice.

Schedule: alarms with Period >= 60 are due every minute (E = the minute), high-resolution
alarms every 10 s (E = the 10-second mark). Composite alarms have no schedule: a child's
transition, or their own create/update, makes them due.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, or_, select, tuple_, update
from sqlalchemy.orm import Session

from models.errors import DomainError
from models.watch import alarm_rules, metric_data, metric_queries
from models.watch.alarm_history import java_date
from models.watch.alarm_rules import Criteria, Decision, Window
from models.watch.alarm_state import AlarmRow, StateWriter
from models.watch.alarms import COMPOSITE_ALARM, METRIC_ALARM, Deployment
from models.watch.composite_rules import parse_alarm_rule, reference_name
from models.watch.statistics import Summary, parse_statistic
from models.watch.tables import Alarm, CompositeChild, Datapoint, Metric, MetricRollup

log = logging.getLogger("heatwatch.watch.evaluation")

HIGH_RESOLUTION_STEP = 10
_LOOKUP_CHUNK = 400  # metric identities per IN (...) lookup: 4 bound values each
_FETCH_CHUNK = 500  # metric ids per datapoint query

# Due alarms are read as Core rows (AlarmRow: see there why); composite children are still
# ORM objects. Both kinds go through the functions below.
EvaluatedAlarm = Alarm | AlarmRow


@dataclass
class EvaluationReport:
    evaluated: int = 0
    stored: int = 0
    transitions: int = 0
    lost_races: int = 0
    failed: int = 0
    action_ids: list[int] = field(default_factory=list)
    parent_ids: list[int] = field(default_factory=list)  # composites a transition made due


def utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes from raw column selects; they are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def alarm_period(alarm: EvaluatedAlarm) -> int:
    if alarm.period is not None:
        return alarm.period
    periods = [
        (q.get("MetricStat") or {}).get("Period") or q.get("Period") for q in alarm.metrics or []
    ]
    return min((p for p in periods if p), default=60)


def evaluation_step(alarm: EvaluatedAlarm) -> int:
    return 60 if alarm_period(alarm) >= 60 else HIGH_RESOLUTION_STEP


def next_due(alarm: EvaluatedAlarm, evaluation_time: datetime) -> datetime:
    return evaluation_time + timedelta(seconds=evaluation_step(alarm))


def criteria_of(alarm: EvaluatedAlarm) -> Criteria:
    return Criteria(
        comparison_operator=alarm.comparison_operator or "GreaterThanThreshold",
        threshold=float(alarm.threshold or 0.0),
        evaluation_periods=alarm.evaluation_periods or 1,
        datapoints_to_alarm=alarm.datapoints_to_alarm,
        treat_missing_data=alarm.treat_missing_data or "missing",
        period=alarm_period(alarm),
        statistic=alarm.statistic,
        extended_statistic=alarm.extended_statistic,
        unit=alarm.unit,
        evaluate_low_sample_count_percentile=alarm.evaluate_low_sample_count_percentile,
    )


# --- Which alarms are due ----------------------------------------------------------------


def due_shards(session: Session, tick_at: datetime, shards: int) -> list[int]:
    """Shards holding at least one due alarm; the tick sends one task for each."""
    shard = (Alarm.id % shards).label("shard")
    rows = session.execute(select(shard).where(Alarm.next_evaluation_at <= tick_at).group_by(shard))
    return sorted(int(row.shard) for row in rows)


_ALARMS = Alarm.__table__


def _load(session: Session, query: Select) -> list[AlarmRow]:
    return [AlarmRow.from_row(row) for row in session.execute(query.order_by(_ALARMS.c.id))]


def due_alarms(
    session: Session,
    tick_at: datetime,
    *,
    shard: int | None = None,
    shards: int = 1,
    alarm_ids: Sequence[int] | None = None,
) -> list[AlarmRow]:
    query = select(_ALARMS).where(_ALARMS.c.next_evaluation_at <= tick_at)
    if shard is not None:
        query = query.where(_ALARMS.c.id % shards == shard)
    if alarm_ids is not None:
        query = query.where(_ALARMS.c.id.in_(list(alarm_ids)))
    return _load(session, query)


def changed_alarms(session: Session, now: datetime) -> list[AlarmRow]:
    """Due alarms never evaluated, or changed since their last evaluation (PutMetricAlarm)."""
    columns = _ALARMS.c
    query = select(_ALARMS).where(
        columns.next_evaluation_at <= now,
        or_(
            columns.last_evaluated_at.is_(None),
            columns.config_updated_at >= columns.last_evaluated_at,
        ),
    )
    return _load(session, query)


# --- Evaluating --------------------------------------------------------------------------


def evaluate_alarms(
    session: Session, deployment: Deployment, alarms: Sequence[EvaluatedAlarm], now: datetime
) -> EvaluationReport:
    """Decide every given alarm at `now` and store what changed (in the caller's transaction)."""
    report = EvaluationReport()
    single = [a for a in alarms if a.alarm_type == METRIC_ALARM and a.metrics is None]
    math = [a for a in alarms if a.alarm_type == METRIC_ALARM and a.metrics is not None]
    composites = [a for a in alarms if a.alarm_type == COMPOSITE_ALARM]

    decisions: list[tuple[EvaluatedAlarm, datetime, Decision | None]] = []
    windows_by_alarm = _single_metric_windows(session, single, now)
    for alarm in single:
        evaluation_time = alarm_rules.evaluation_time(now, alarm_period(alarm))
        decisions.append(_decide(alarm, windows_by_alarm[alarm.id], evaluation_time, now, report))
    for alarm in math:
        evaluation_time = alarm_rules.evaluation_time(now, alarm_period(alarm))
        try:
            windows = _math_windows(session, alarm, evaluation_time, now)
        except DomainError:
            log.exception("math alarm could not be evaluated", extra={"alarm_id": alarm.id})
            windows = None
        decisions.append(_decide(alarm, windows, evaluation_time, now, report))
    report.evaluated = len(single) + len(math) + len(composites)
    writer = StateWriter(session, region=deployment.region, now=now)
    _store(writer, deployment, decisions, report)
    for alarm in composites:
        _evaluate_composite(writer, deployment, alarm, report)
    action_ids, parent_ids = writer.finish()
    report.action_ids += action_ids
    report.parent_ids += parent_ids
    return report


def _decide(
    alarm: EvaluatedAlarm,
    windows: list[Window] | None,
    evaluation_time: datetime,
    now: datetime,
    report: EvaluationReport,
) -> tuple[EvaluatedAlarm, datetime, Decision | None]:
    if windows is None:
        report.failed += 1
        return alarm, evaluation_time, None
    try:
        decision = alarm_rules.evaluate(criteria_of(alarm), windows, alarm.state_value, now)
    except (ValueError, ArithmeticError):
        # One bad alarm never aborts the batch; the next cycle is its retry (aodh's rule).
        log.exception("alarm evaluation failed", extra={"alarm_id": alarm.id})
        report.failed += 1
        decision = None
    return alarm, evaluation_time, decision


def _store(
    writer: StateWriter,
    deployment: Deployment,
    decisions: list[tuple[EvaluatedAlarm, datetime, Decision | None]],
    report: EvaluationReport,
) -> None:
    unchanged: list[dict[str, Any]] = []
    reasons: list[tuple[EvaluatedAlarm, str, str | None, tuple]] = []
    for alarm, evaluation_time, decision in decisions:
        schedule = (evaluation_time, next_due(alarm, evaluation_time))
        _repeat_scaling_actions(writer, deployment, alarm, decision, evaluation_time)
        if decision is None or (
            decision.state == alarm.state_value and decision.reason == alarm.state_reason
        ):
            unchanged.append(_reschedule_params(alarm, schedule))
            continue
        if decision.state == alarm.state_value:
            # Same state, new reason (its datapoints moved on): stored in bulk below.
            reasons.append((alarm, decision.reason, decision.reason_data, schedule))
            report.stored += 1
            continue
        _count(
            report,
            writer.write(
                alarm,
                arn=deployment.alarm_arn(alarm.tenant_id, alarm.name),
                state=decision.state,
                reason=decision.reason,
                reason_data=decision.reason_data,
                schedule=schedule,
            ),
        )
    writer.rewrite_reasons(reasons)
    if unchanged:
        # One executemany; the version guard makes it a no-op for an alarm changed meanwhile
        # (a PutMetricAlarm that asked for an immediate evaluation keeps its due time).
        writer.session.connection().execute(_RESCHEDULE, unchanged)


def _repeat_scaling_actions(
    writer: StateWriter,
    deployment: Deployment,
    alarm: EvaluatedAlarm,
    decision: Decision | None,
    evaluation_time: datetime,
) -> None:
    if decision is None or decision.state != "ALARM" or alarm.state_value != "ALARM":
        return
    if not alarm.actions_enabled:
        return
    targets = [t for t in alarm.alarm_actions or [] if deployment.is_scaling_action(t)]
    if targets:
        writer.repeat_actions(
            alarm, arn=deployment.alarm_arn(alarm.tenant_id, alarm.name), targets=targets,
            evaluation_time=evaluation_time,
        )  # fmt: skip


# Core, not the ORM's bulk update by primary key
_RESCHEDULE = (
    update(_ALARMS)
    .where(_ALARMS.c.id == bindparam("b_id"), _ALARMS.c.version == bindparam("b_version"))
    .values(last_evaluated_at=bindparam("b_last"), next_evaluation_at=bindparam("b_next"))
)


def _reschedule_params(
    alarm: EvaluatedAlarm, schedule: tuple[datetime, datetime | None]
) -> dict[str, Any]:
    return {
        "b_id": alarm.id,
        "b_version": alarm.version,
        "b_last": schedule[0],
        "b_next": schedule[1],
    }


def _count(report: EvaluationReport, written: bool | None) -> None:
    if written is None:
        report.lost_races += 1
        return
    report.stored += 1
    if written:
        report.transitions += 1


# --- Reading windows for single-metric alarms --------------------------------------------------


def _needs_raw(alarm: EvaluatedAlarm) -> bool:
    # Rollups are per minute without distributions: sub-minute periods and percentiles read
    # raw datapoints.
    return alarm_period(alarm) < 60 or alarm.extended_statistic is not None


def _single_metric_windows(
    session: Session, alarms: Sequence[EvaluatedAlarm], now: datetime
) -> dict[int, list[Window]]:
    identities = {(a.tenant_id, a.namespace, a.metric_name, a.dimensions_key) for a in alarms}
    metric_ids = _metric_ids(session, identities)
    plans: dict[int, tuple[datetime, int, int]] = {}  # alarm -> (E, period, R)
    raw_ranges: dict[int, datetime] = {}
    rollup_ranges: dict[int, datetime] = {}
    for alarm in alarms:
        period = alarm_period(alarm)
        evaluation_time = alarm_rules.evaluation_time(now, period)
        count = alarm_rules.evaluation_range(alarm.evaluation_periods or 1)
        plans[alarm.id] = (evaluation_time, period, count)
        metric_id = metric_ids.get(_identity(alarm))
        if metric_id is None:
            continue
        start = evaluation_time - timedelta(seconds=period * count)
        ranges = raw_ranges if _needs_raw(alarm) else rollup_ranges
        ranges[metric_id] = min(start, ranges.get(metric_id, start))
    end = alarm_rules.evaluation_time(now, HIGH_RESOLUTION_STEP)
    raw_rows = _fetch(session, Datapoint, Datapoint.timestamp, raw_ranges, end)
    rollup_rows = _fetch(session, MetricRollup, MetricRollup.minute_start, rollup_ranges, end)

    windows: dict[int, list[Window]] = {}
    for alarm in alarms:
        evaluation_time, period, count = plans[alarm.id]
        metric_id = metric_ids.get(_identity(alarm))
        rows = (raw_rows if _needs_raw(alarm) else rollup_rows).get(metric_id, [])  # type: ignore[arg-type]
        windows[alarm.id] = _windows(alarm, rows, evaluation_time, period, count)
    return windows


def _identity(alarm: EvaluatedAlarm) -> tuple[str, str | None, str | None, str | None]:
    return (alarm.tenant_id, alarm.namespace, alarm.metric_name, alarm.dimensions_key)


def _metric_ids(session: Session, identities: Iterable[tuple[Any, ...]]) -> dict[tuple, int]:
    found: dict[tuple, int] = {}
    pending = list(identities)
    key = tuple_(Metric.tenant_id, Metric.namespace, Metric.metric_name, Metric.dimensions_key)
    for offset in range(0, len(pending), _LOOKUP_CHUNK):
        chunk = pending[offset : offset + _LOOKUP_CHUNK]
        rows = session.execute(
            select(
                Metric.id, Metric.tenant_id, Metric.namespace, Metric.metric_name,
                Metric.dimensions_key,
            ).where(key.in_(chunk))
        )  # fmt: skip
        for row in rows:
            found[(row.tenant_id, row.namespace, row.metric_name, row.dimensions_key)] = row.id
    return found


def _fetch(
    session: Session, table: Any, time_column: Any, starts: dict[int, datetime], end: datetime
) -> dict[int, list[Any]]:
    """Rows per metric id from each metric's earliest needed start up to `end`."""
    rows: dict[int, list[Any]] = defaultdict(list)
    ids = sorted(starts)
    distribution = table.distribution if table is Datapoint else None
    for offset in range(0, len(ids), _FETCH_CHUNK):
        chunk = ids[offset : offset + _FETCH_CHUNK]
        earliest = min(starts[i] for i in chunk)
        columns = [
            table.metric_id, time_column.label("timestamp"), table.unit, table.sample_count,
            table.sum, table.minimum, table.maximum,
        ]  # fmt: skip
        if distribution is not None:
            columns.append(distribution)
        query = select(*columns).where(
            table.metric_id.in_(chunk), time_column >= earliest, time_column < end
        )
        for row in session.execute(query):
            rows[row.metric_id].append(row)
    return rows


def _windows(
    alarm: EvaluatedAlarm, rows: Sequence[Any], evaluation_time: datetime, period: int, count: int
) -> list[Window]:
    starts = alarm_rules.window_starts(evaluation_time, period, count)
    summaries = [Summary() for _ in starts]
    oldest = starts[-1]
    for row in rows:
        timestamp = utc(row.timestamp)
        if not oldest <= timestamp < evaluation_time:
            continue
        if alarm.unit is not None and row.unit != alarm.unit:
            continue
        # Window i is [E-(i+1)P, E-iP): a sample exactly at E-P belongs to the newest.
        index = (_micros(evaluation_time - timestamp) - 1) // (period * 1_000_000)
        distribution = getattr(row, "distribution", None)
        summaries[index].add(row.sample_count, row.sum, row.minimum, row.maximum, distribution)
    stat = parse_statistic(alarm.extended_statistic or alarm.statistic or "Average")
    windows = []
    for start, summary in zip(starts, summaries, strict=True):
        if summary.sample_count <= 0:
            windows.append(Window(start=start, value=None))
            continue
        windows.append(
            Window(
                start=start,
                value=summary.value(stat),
                sample_count=summary.sample_count,
                low_sample=_low_sample(alarm, stat, summary.sample_count),
            )
        )
    return windows


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _low_sample(alarm: EvaluatedAlarm, stat: Any, sample_count: float) -> bool:
    """Too few samples for a pNN alarm (§4.3): fewer than 10/(1-p) (p >= 0.5) or 10/p."""
    if alarm.evaluate_low_sample_count_percentile != "ignore" or stat.kind != "p":
        return False
    p = stat.upper.value / 100
    if p <= 0 or p >= 1:
        return False
    needed = 10 / (1 - p) if p >= 0.5 else 10 / p
    return sample_count < needed


# --- Math alarms -------------------------------------------------------------------------


def _math_windows(
    session: Session, alarm: EvaluatedAlarm, evaluation_time: datetime, now: datetime
) -> list[Window]:
    period = alarm_period(alarm)
    count = alarm_rules.evaluation_range(alarm.evaluation_periods or 1)
    starts = alarm_rules.window_starts(evaluation_time, period, count)
    plan = metric_data.plan_queries(
        alarm.metrics, starts[-1], evaluation_time, now, scan_by="TimestampAscending"
    )
    output = metric_queries.run_plan(session, alarm.tenant_id, plan)
    result = next(iter(output.get("MetricDataResults") or []), None)
    values: dict[int, float] = {}
    for timestamp, value in zip(
        (result or {}).get("Timestamps", []), (result or {}).get("Values", []), strict=True
    ):
        offset = _micros(evaluation_time - utc(timestamp))
        if 0 < offset <= period * count * 1_000_000:
            values.setdefault((offset - 1) // (period * 1_000_000), float(value))
    return [
        Window(start=start, value=values.get(index), sample_count=None)
        for index, start in enumerate(starts)
    ]


# --- Composite alarms ------------------------------------------------------------------------


def _evaluate_composite(
    writer: StateWriter, deployment: Deployment, alarm: EvaluatedAlarm, report: EvaluationReport
) -> None:
    session, now = writer.session, writer.now
    # Composite alarms have no schedule: they wait for the next child transition.
    done = (now, None)
    if _in_cycle(session, alarm):
        log.warning("composite alarm rule has a cycle; not evaluated", extra={"alarm": alarm.id})
        session.connection().execute(_RESCHEDULE, _reschedule_params(alarm, done))
        return
    rule = parse_alarm_rule(alarm.alarm_rule or "FALSE")
    prefix = deployment.arn_prefix(alarm.tenant_id)
    names = {ref: reference_name(ref, prefix) for ref in rule.references()}
    children = {
        child.name: child
        for child in session.scalars(
            select(Alarm).where(
                Alarm.tenant_id == alarm.tenant_id,
                Alarm.name.in_([n for n in names.values() if n]),
            )
        )
    }
    states = {ref: children[name].state_value for ref, name in names.items() if name in children}
    state = "ALARM" if rule.evaluate(states) else "OK"
    if state == alarm.state_value:
        session.connection().execute(_RESCHEDULE, _reschedule_params(alarm, done))
        return
    # The triggering children: those that changed since the composite last changed.
    by_recency = sorted(children.values(), key=lambda c: c.state_transitioned_at, reverse=True)
    recent = [c for c in by_recency if c.state_transitioned_at >= alarm.state_updated_at]
    reason, reason_data = _composite_reason(deployment, (recent or by_recency)[:1], state)
    _count(
        report,
        writer.write(
            alarm,
            arn=deployment.alarm_arn(alarm.tenant_id, alarm.name),
            state=state,
            reason=reason,
            reason_data=reason_data,
            schedule=done,
        ),
    )


def _composite_reason(
    deployment: Deployment, triggering: Sequence[Alarm], state: str
) -> tuple[str, str]:
    if not triggering:
        return (
            f"The alarm rule evaluated to {'TRUE' if state == 'ALARM' else 'FALSE'}",
            json.dumps({"triggeringAlarms": []}, separators=(",", ":")),
        )
    child = triggering[0]
    arn = deployment.alarm_arn(child.tenant_id, child.name)
    moment = child.state_transitioned_at
    reason = (
        f"{arn} transitioned to {child.state_value} at "
        f"{moment.strftime('%A %d %B, %Y %H:%M:%S')} UTC"
    )
    data = {
        "triggeringAlarms": [
            {
                "arn": deployment.alarm_arn(c.tenant_id, c.name),
                "state": {"value": c.state_value, "timestamp": java_date(c.state_transitioned_at)},
            }
            for c in triggering
        ]
    }
    return reason, json.dumps(data, separators=(",", ":"))


def _in_cycle(session: Session, alarm: EvaluatedAlarm) -> bool:
    """Does following composite children from this alarm lead back to it? (§3.6)"""
    seen: set[str] = set()
    frontier = [alarm.name]
    while frontier:
        rows = session.execute(
            select(CompositeChild.child_name)
            .join(Alarm, Alarm.id == CompositeChild.parent_id)
            .where(Alarm.tenant_id == alarm.tenant_id, Alarm.name.in_(frontier))
        )
        children = {row.child_name for row in rows}
        if alarm.name in children:
            return True
        frontier = list(children - seen)
        seen |= children
    return False
