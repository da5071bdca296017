"""Watch store tables: metrics and their datapoints, alarms and their history, dashboards.

- `metrics`: one row per tenant + namespace + name + dimension set (the identity of a metric).
- `datapoints`: one row per accepted datum; a datum with 150 values stays one row and keeps
  its (value, count) distribution for percentiles.
- `metric_rollups`: per-minute count/sum/min/max per metric and unit, kept in step by the
  ingest worker, so statistics over long ranges never scan raw rows.
- `ingested_batches`: the idempotency record: a redelivered batch finds its id here.
- `alarms`: metric and composite alarms, their configuration and current state. `version`
  is the compare-and-set token: every state write and configuration change bumps it, and an
  evaluation only stores its decision if the version it read is still there.
- `alarm_history`: ConfigurationUpdate, StateUpdate and Action items; kept after the alarm is
  deleted, pruned by age (HISTORY_RETENTION in models/watch/alarm_history.py).
- `alarm_actions`: the action outbox. A transition inserts one row per target in its own
  transaction; the unique key (alarm, transition, target) makes a duplicate impossible.
- `composite_children`: which alarms a composite rule names (ParentsOf/ChildrenOf, deletes,
  propagation of a child's transition).
- `resource_tags`, `dashboards`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, WatchBase, utcnow

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Metric(WatchBase):
    __tablename__ = "metrics"
    __table_args__ = (
        UniqueConstraint("tenant_id", "namespace", "metric_name", "dimensions_key"),
        # ListMetrics pages through a tenant's metrics by id (keyset), the others filter.
        Index("ix_metrics_tenant_paging", "tenant_id", "id"),
        Index("ix_metrics_tenant_namespace_name", "tenant_id", "namespace", "metric_name"),
        Index("ix_metrics_tenant_last_datapoint", "tenant_id", "last_datapoint_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(255))
    metric_name: Mapped[str] = mapped_column(String(255))
    # SHA-256 (hex) of `dimensions`: the exact-match key of §4.1. A digest, not the text
    # itself, because 30 dimensions of up to 1024 characters overflow a PostgreSQL B-tree
    # entry (2704 bytes) and the insert would fail for good.
    dimensions_key: Mapped[str] = mapped_column(String(64))
    # Canonical compact JSON of the sorted [name, value] pairs. Text rather than JSON so that
    # ListMetrics can match a filter as a substring of exactly the text we wrote.
    dimensions: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_datapoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Datapoint(WatchBase):
    __tablename__ = "datapoints"
    __table_args__ = (Index("ix_datapoints_metric_timestamp", "metric_id", "timestamp"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    unit: Mapped[str] = mapped_column(String(32))
    storage_resolution: Mapped[int] = mapped_column(SmallInteger)
    sample_count: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    # SQL NULL when there is none (most datums: a plain Value keeps no distribution), not a
    # JSON 'null' document serialised for every row.
    distribution: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))


class MetricRollup(WatchBase):
    __tablename__ = "metric_rollups"

    metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True
    )
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    minute_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sample_count: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)


class IngestedBatch(WatchBase):
    __tablename__ = "ingested_batches"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    datapoint_count: Mapped[int] = mapped_column(Integer)
    # Who sent the batch when it was not the tenant itself: "instance:<stack id>:<resource>".
    source: Mapped[str | None] = mapped_column(String(320))


class Alarm(WatchBase):
    __tablename__ = "alarms"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        # The tick's "what is due" scan.
        Index("ix_alarms_next_evaluation_at", "next_evaluation_at"),
        # DescribeAlarmsForMetric and grouping alarms of one metric into one query.
        Index("ix_alarms_metric", "tenant_id", "namespace", "metric_name", "dimensions_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    alarm_type: Mapped[str] = mapped_column(String(16))  # MetricAlarm | CompositeAlarm
    description: Mapped[str | None] = mapped_column(Text)
    actions_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    ok_actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    alarm_actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    insufficient_data_actions: Mapped[list[str]] = mapped_column(JSON, default=list)

    # Single-metric alarms (NULL for math and composite alarms).
    namespace: Mapped[str | None] = mapped_column(String(255))
    metric_name: Mapped[str | None] = mapped_column(String(255))
    dimensions: Mapped[str | None] = mapped_column(Text)  # same canonical JSON as metrics
    dimensions_key: Mapped[str | None] = mapped_column(String(64))
    statistic: Mapped[str | None] = mapped_column(String(32))
    extended_statistic: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(32))
    # Metric and math alarms.
    metrics: Mapped[Any | None] = mapped_column(JSON)  # the MetricDataQuery list, as given
    period: Mapped[int | None] = mapped_column(Integer)
    evaluation_periods: Mapped[int | None] = mapped_column(Integer)
    datapoints_to_alarm: Mapped[int | None] = mapped_column(Integer)
    threshold: Mapped[float | None] = mapped_column(Float)
    threshold_metric_id: Mapped[str | None] = mapped_column(String(255))
    comparison_operator: Mapped[str | None] = mapped_column(String(64))
    treat_missing_data: Mapped[str | None] = mapped_column(String(32))
    evaluate_low_sample_count_percentile: Mapped[str | None] = mapped_column(String(16))

    # Composite alarms.
    alarm_rule: Mapped[str | None] = mapped_column(Text)
    actions_suppressor: Mapped[str | None] = mapped_column(String(1600))
    actions_suppressor_wait_period: Mapped[int | None] = mapped_column(Integer)
    actions_suppressor_extension_period: Mapped[int | None] = mapped_column(Integer)

    state_value: Mapped[str] = mapped_column(String(32))
    state_reason: Mapped[str] = mapped_column(Text)
    state_reason_data: Mapped[str | None] = mapped_column(Text)
    state_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state_transitioned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    config_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # When the alarm is next due (NULL: only an event makes it due, e.g. composites).
    next_evaluation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The evaluation time E of the last stored evaluation.
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlarmHistoryItem(WatchBase):
    __tablename__ = "alarm_history"
    __table_args__ = (
        Index("ix_alarm_history_tenant_timestamp", "tenant_id", "timestamp"),
        Index("ix_alarm_history_tenant_alarm", "tenant_id", "alarm_name", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    alarm_name: Mapped[str] = mapped_column(String(255))
    alarm_type: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    item_type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(255))
    data: Mapped[str] = mapped_column(Text)


class AlarmAction(WatchBase):
    __tablename__ = "alarm_actions"
    __table_args__ = (
        UniqueConstraint("alarm_id", "transition_version", "target", "repeat"),
        Index("ix_alarm_actions_status_due", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    # No foreign key: an action still runs (and is recorded) if its alarm is deleted meanwhile.
    alarm_id: Mapped[int] = mapped_column(BigInteger)
    alarm_name: Mapped[str] = mapped_column(String(255))
    alarm_type: Mapped[str] = mapped_column(String(16))
    transition_version: Mapped[int] = mapped_column(Integer)
    # 0 for the action of a transition; for the repeated scaling-policy actions of an alarm
    # that stays in ALARM, the evaluation time (epoch seconds) that repeated it.
    repeat: Mapped[int] = mapped_column(BigInteger, default=0)
    target: Mapped[str] = mapped_column(String(1024))
    payload: Mapped[Any] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set for a composite alarm's actions held by its ActionsSuppressor ("wait" or
    # "extension"): at delivery time they run only if still wanted (suppression.py).
    suppression: Mapped[str | None] = mapped_column(String(16))


class CompositeChild(WatchBase):
    __tablename__ = "composite_children"
    __table_args__ = (Index("ix_composite_children_child", "tenant_id", "child_name"),)

    parent_id: Mapped[int] = mapped_column(
        ForeignKey("alarms.id", ondelete="CASCADE"), primary_key=True
    )
    child_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))


class ResourceTag(WatchBase):
    __tablename__ = "resource_tags"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # alarm | dashboard
    resource_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Dashboard(WatchBase):
    __tablename__ = "dashboards"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
