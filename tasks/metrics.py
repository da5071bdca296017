"""Metrics pool tasks: write accepted PutMetricData batches, prune by retention.

`ingest_batch` is acks_late: the message is acknowledged only after the commit, so a worker
killed mid-batch leaves it on the broker for redelivery (task_reject_on_worker_lost, or the
Redis visibility timeout), and record_batch's batch id makes the replay a no-op.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import shared_task
from sqlalchemy.exc import OperationalError

from models.sessions import session_scope
from models.watch import metrics
from models.watch.datums import Datum
from tasks.factory import context_of

log = logging.getLogger("heatwatch.metrics")


@shared_task(
    name="metrics.ingest_batch",
    bind=True,
    acks_late=True,
    ignore_result=True,
    # A locked SQLite file or a PostgreSQL failover is transient; the batch id keeps retries safe.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=20,
)
def ingest_batch(  # type: ignore[no-untyped-def]
    self,
    tenant_id: str,
    batch_id: str,
    datums: list[list[Any]],
    source: str | None = None,
    accepted: int | None = None,
) -> None:
    # `accepted` is how many MetricData items the API accepted; `datums` may be fewer, as
    # the API adds together those bound for one stored row (datum_slots).
    accepted = len(datums) if accepted is None else accepted
    with session_scope(context_of(self.app).watch_db) as session:
        stored = metrics.record_batch(
            session, tenant_id, batch_id, [Datum.from_message(item) for item in datums],
            source=source, accepted=accepted,
        )  # fmt: skip
    log.info(
        "batch ingested" if stored else "batch already stored",
        extra={
            "batch_id": batch_id,
            "datapoints": accepted,
            "rows": len(datums),
            "tenant_id": tenant_id,
            "source": source,
        },
    )


@shared_task(name="metrics.prune", bind=True, ignore_result=True)
def prune(self) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with session_scope(context_of(self.app).watch_db) as session:
        removed = metrics.prune_datapoints(session, datetime.now(UTC))
    log.info("metric retention applied", extra=removed)
    return removed
