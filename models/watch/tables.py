"""Watch store tables: metrics and their datapoints (issue 3); alarms arrive with issue 4.

- `metrics`: one row per tenant + namespace + name + dimension set (the identity of a metric).
- `datapoints`: one row per accepted datum; a datum with 150 values stays one row and keeps
  its (value, count) distribution for percentiles.
- `metric_rollups`: per-minute count/sum/min/max per metric and unit, kept in step by the
  ingest worker, so statistics over long ranges never scan raw rows.
- `ingested_batches`: the idempotency record: a redelivered batch finds its id here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
    distribution: Mapped[Any | None] = mapped_column(JSON)


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
