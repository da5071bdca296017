"""Metric storage services: idempotent batch ingestion, lookups for statistics, listing.

Services take a Session and never commit: the ingest task commits once per batch, so the
batch record, the datapoints and the rollups land together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    extract,
    func,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.errors import InvalidPageTokenError, InvalidParameterError
from models.watch import bulk_writes, paging
from models.watch.datums import Datum, Dimensions
from models.watch.statistics import floor_time, storage_timestamp
from models.watch.tables import Datapoint, IngestedBatch, Metric, MetricRollup

LIST_PAGE_SIZE = 500
LIST_VISIBILITY = timedelta(days=14)  # ListMetrics hides metrics without data for two weeks
RECENTLY_ACTIVE = timedelta(hours=3)  # RecentlyActive=PT3H
# Retention (§4.1), kept simple: raw rows feed 1-second periods and percentiles and are kept
# as long as 1-minute data is (15 days). There is a single roll-up tier, per minute, so it is
# kept as long as CloudWatch keeps its coarsest data (455 days); coarser 5-minute and 1-hour
# tiers would shrink that, at the cost of a second and third upsert per batch.
RAW_RETENTION = timedelta(days=15)
ROLLUP_RETENTION = timedelta(days=455)
BATCH_RETENTION = timedelta(days=1)  # far beyond any redelivery (visibility timeout)
_TOKEN_PREFIX = "m1:"


def dimensions_text(dimensions: Dimensions) -> str:
    """Canonical text of a sorted dimension set; JSON keeps every name and value unambiguous."""
    return json.dumps([list(pair) for pair in dimensions], separators=(",", ":"))


def dimensions_key(dimensions: Dimensions) -> str:
    """The unique-key digest of a dimension set (see Metric.dimensions_key)."""
    return hashlib.sha256(dimensions_text(dimensions).encode()).hexdigest()


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


@dataclass
class _Rollup:
    sample_count: float
    sum: float
    minimum: float
    maximum: float

    def add(self, datum: Datum) -> None:
        self.sample_count += datum.sample_count
        self.sum += datum.sum
        self.minimum = min(self.minimum, datum.minimum)
        self.maximum = max(self.maximum, datum.maximum)


def record_batch(
    session: Session,
    tenant_id: str,
    batch_id: str,
    datums: Sequence[Datum],
    *,
    source: str | None = None,
    accepted: int | None = None,
) -> bool:
    """Store one accepted PutMetricData batch exactly once; False if it was already stored.

    `accepted` is the request's datum count, recorded with the batch (default: the datums
    given, which may be fewer when the caller combined them by storage slot).

    The batch id is claimed first with INSERT ... ON CONFLICT DO NOTHING. A redelivered batch
    (worker killed after commit, before the ack) inserts nothing; on PostgreSQL a concurrent
    duplicate waits on the unique key until the first commits, then also inserts nothing.
    """
    claim = (
        _insert(session, IngestedBatch.__table__)
        .values(
            batch_id=batch_id,
            tenant_id=tenant_id,
            datapoint_count=len(datums) if accepted is None else accepted,
            source=source,
        )
        .on_conflict_do_nothing(index_elements=["batch_id"])
        .returning(IngestedBatch.__table__.c.batch_id)
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    if session.connection().execute(claim).scalar() is None:
        return False
    if not datums:
        return True
    metric_ids = _ensure_metrics(session, tenant_id, datums)
    connection = session.connection()
    rows = []
    rollups: dict[tuple[int, str, datetime], _Rollup] = {}
    newest: dict[int, datetime] = {}
    for datum in datums:
        metric_id = metric_ids[(datum.namespace, datum.metric_name, datum.dimensions)]
        stamp = storage_timestamp(datum.timestamp, datum.storage_resolution)
        rows.append(
            (
                metric_id,
                stamp,
                datum.unit,
                datum.storage_resolution,
                datum.sample_count,
                datum.sum,
                datum.minimum,
                datum.maximum,
                datum.distribution_to_store,
            )
        )
        key = (metric_id, datum.unit, floor_time(stamp, 60))
        if key in rollups:
            rollups[key].add(datum)
        else:
            rollups[key] = _Rollup(datum.sample_count, datum.sum, datum.minimum, datum.maximum)
        if metric_id not in newest or stamp > newest[metric_id]:
            newest[metric_id] = stamp
    bulk_writes.insert_datapoints(connection, rows)
    bulk_writes.upsert_rollups(
        connection,
        [
            (metric_id, unit, minute, r.sample_count, r.sum, r.minimum, r.maximum)
            for (metric_id, unit, minute), r in sorted(rollups.items())
        ],
    )
    # Rows are locked in id order, as the rollups are in key order: two batches that touch
    # the same metrics on PostgreSQL then wait for each other instead of deadlocking.
    connection.execute(
        update(Metric.__table__)
        .where(Metric.__table__.c.id == bindparam("b_id"))
        .where(
            or_(
                Metric.__table__.c.last_datapoint_at.is_(None),
                Metric.__table__.c.last_datapoint_at < bindparam("b_newest"),
            )
        )
        .values(last_datapoint_at=bindparam("b_newest")),
        [{"b_id": metric_id, "b_newest": stamp} for metric_id, stamp in sorted(newest.items())],
    )
    return True


def _ensure_metrics(
    session: Session, tenant_id: str, datums: Sequence[Datum]
) -> dict[tuple[str, str, Dimensions], int]:
    wanted = sorted({(d.namespace, d.metric_name, d.dimensions) for d in datums})
    keys = {(ns, name, dimensions_key(dims)): (ns, name, dims) for ns, name, dims in wanted}
    # Sorted, so concurrent batches creating the same new metrics insert them in one order.
    session.execute(
        _insert(session, Metric).on_conflict_do_nothing(
            index_elements=["tenant_id", "namespace", "metric_name", "dimensions_key"]
        ),
        [
            {
                "tenant_id": tenant_id,
                "namespace": namespace,
                "metric_name": name,
                "dimensions_key": key,
                "dimensions": dimensions_text(keys[(namespace, name, key)][2]),
            }
            for namespace, name, key in keys
        ],
    )
    found = session.execute(
        select(Metric.id, Metric.namespace, Metric.metric_name, Metric.dimensions_key).where(
            Metric.tenant_id == tenant_id,
            Metric.namespace.in_({ns for ns, _, _ in wanted}),
            Metric.metric_name.in_({name for _, name, _ in wanted}),
            Metric.dimensions_key.in_({key for _, _, key in keys}),
        )
    )
    return {
        keys[(ns, name, key)]: metric_id
        for metric_id, ns, name, key in found
        if (ns, name, key) in keys
    }


def find_metric_ids(
    session: Session, tenant_id: str, namespace: str, metric_name: str, dimensions: Dimensions
) -> list[int]:
    """The metric with exactly this dimension set (§4.1: no partial matches)."""
    return list(
        session.scalars(
            select(Metric.id).where(
                Metric.tenant_id == tenant_id,
                Metric.namespace == namespace,
                Metric.metric_name == metric_name,
                Metric.dimensions_key == dimensions_key(dimensions),
            )
        )
    )


def fetch_datapoints(
    session: Session,
    metric_ids: Sequence[int],
    start: datetime,
    end: datetime,
    unit: str | None = None,
) -> list[Row[Any]]:
    """Stored rows as (timestamp in whole epoch seconds, unit, sample_count, sum, minimum,
    maximum, distribution): the row shape `statistics.aggregate` reads."""
    if not metric_ids:
        return []
    query = select(
        _epoch_seconds(session, Datapoint.timestamp).label("timestamp"),
        Datapoint.unit,
        Datapoint.sample_count,
        Datapoint.sum,
        Datapoint.minimum,
        Datapoint.maximum,
        Datapoint.distribution,
    ).where(
        Datapoint.metric_id.in_(metric_ids),
        Datapoint.timestamp >= start,
        Datapoint.timestamp < end,
    )
    if unit is not None:
        query = query.where(Datapoint.unit == unit)
    return _column_rows(session, query)


def fetch_rollups(
    session: Session,
    metric_ids: Sequence[int],
    start: datetime,
    end: datetime,
    unit: str | None = None,
) -> list[Row[Any]]:
    """Per-minute summaries in the same row shape as fetch_datapoints (no distribution)."""
    if not metric_ids:
        return []
    query = select(
        _epoch_seconds(session, MetricRollup.minute_start).label("timestamp"),
        MetricRollup.unit,
        MetricRollup.sample_count,
        MetricRollup.sum,
        MetricRollup.minimum,
        MetricRollup.maximum,
        null().label("distribution"),
    ).where(
        MetricRollup.metric_id.in_(metric_ids),
        MetricRollup.minute_start >= start,
        MetricRollup.minute_start < end,
    )
    if unit is not None:
        query = query.where(MetricRollup.unit == unit)
    return _column_rows(session, query)


def _epoch_seconds(session: Session, column: Any) -> Any:
    # Computed by the database: building a datetime for each of a day's 1,440 rows and
    # taking it apart again for its bucket cost more than the rest of the read. Stored
    # timestamps are whole seconds (storage_timestamp), so nothing is cut off.
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)


def _column_rows(session: Session, query: Select[Any]) -> list[Row[Any]]:
    # Plain column rows need none of the ORM's loading (a fifth of a GetMetricStatistics
    # over a day in a live profile): run on the session's connection, in its transaction.
    return list(session.connection().execute(query).all())


def _encode_token(last_id: int) -> str:
    return paging.encode_token(_TOKEN_PREFIX, str(last_id))


def _decode_token(token: str) -> int:
    key = paging.decode_token(_TOKEN_PREFIX, token)
    if not key.isdigit():
        raise InvalidPageTokenError("The value of NextToken is not valid.")
    return int(key)


def _dimension_filter(session: Session, name: str, value: str | None) -> Any:
    # `dimensions` is JSON of [name, value] pairs, so a filter is a substring of it; JSON
    # escaping means a name can never be mistaken for a value or straddle two pairs.
    pair = json.dumps([name, value], separators=(",", ":"))
    fragment = pair[:-1] if value is not None else pair[: -len("null]")]
    # A plain substring search, not LIKE: SQLite's LIKE ignores ASCII case, and dimension
    # names and values are case-sensitive.
    if session.get_bind().dialect.name == "postgresql":
        return func.strpos(Metric.dimensions, fragment) > 0
    return func.instr(Metric.dimensions, fragment) > 0


MAX_DIMENSION_FILTERS = 10


def validate_list_request(recently_active: str | None, dimension_filter_count: int) -> None:
    """ListMetrics' own rules (§3.4): RecentlyActive takes only PT3H; at most 10 filters."""
    if recently_active not in (None, "PT3H"):
        raise InvalidParameterError(
            f"The value {recently_active} for parameter RecentlyActive is not valid. "
            "Valid values: PT3H."
        )
    if dimension_filter_count > MAX_DIMENSION_FILTERS:
        raise InvalidParameterError(
            f"The collection Dimensions must not have a size greater than {MAX_DIMENSION_FILTERS}."
        )


def list_metrics(
    session: Session,
    tenant_id: str,
    *,
    namespace: str | None = None,
    metric_name: str | None = None,
    dimension_filters: Iterable[tuple[str, str | None]] = (),
    recently_active: bool = False,
    now: datetime,
    page_token: str | None = None,
    page_size: int = LIST_PAGE_SIZE,
) -> tuple[list[dict[str, Any]], str | None]:
    since = now - (RECENTLY_ACTIVE if recently_active else LIST_VISIBILITY)
    query = select(Metric.id, Metric.namespace, Metric.metric_name, Metric.dimensions).where(
        Metric.tenant_id == tenant_id, Metric.last_datapoint_at >= since
    )
    if namespace is not None:
        query = query.where(Metric.namespace == namespace)
    if metric_name is not None:
        query = query.where(Metric.metric_name == metric_name)
    filters = [_dimension_filter(session, name, value) for name, value in dimension_filters]
    if filters:
        query = query.where(and_(*filters))
    if page_token:
        query = query.where(Metric.id > _decode_token(page_token))
    rows = list(session.execute(query.order_by(Metric.id).limit(page_size + 1)))
    page, more = rows[:page_size], len(rows) > page_size
    metrics = [
        {
            "Namespace": ns,
            "MetricName": name,
            "Dimensions": [{"Name": n, "Value": v} for n, v in json.loads(dimensions)],
        }
        for _, ns, name, dimensions in page
    ]
    return metrics, _encode_token(page[-1][0]) if more else None


def prune_datapoints(session: Session, now: datetime) -> dict[str, int]:
    """Drop raw datapoints, rollups and batch records past their retention; counts per kind.

    Metric rows stay: ListMetrics hides them after 14 days without data, and a new datapoint
    brings them back with the same id.
    """
    removed = {}
    for name, table, column, keep in (
        ("datapoints", Datapoint.__table__, Datapoint.__table__.c.timestamp, RAW_RETENTION),
        ("rollups", MetricRollup.__table__, MetricRollup.__table__.c.minute_start,
         ROLLUP_RETENTION),
        ("batches", IngestedBatch.__table__, IngestedBatch.__table__.c.accepted_at,
         BATCH_RETENTION),
    ):  # fmt: skip
        result = session.execute(table.delete().where(column < now - keep))
        removed[name] = result.rowcount  # type: ignore[attr-defined]
    return removed
