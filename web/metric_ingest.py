"""Handing an accepted batch of datapoints to the metrics queue, for both frontends that take
them (PutMetricData on the CloudWatch endpoint, POST /metrics/data on the watch REST API).

The request id names the batch: it is the ingest task's idempotency key, so a redelivered
task finds the batch already stored. `send_task` returns once the broker holds the message,
so an answer after it means the batch is durable there.

Datums bound for the same stored row are added together first (datum_slots): the message
and the worker's inserts shrink with them, and no statistic changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.watch.datum_slots import combine_by_slot
from models.watch.datums import Datum
from tasks.routing import METRICS_QUEUE
from tasks.serializers import BATCH_SERIALIZER
from web.context import web_context


def enqueue_batch(
    tenant_id: str, batch_id: str, datums: Sequence[Datum], source: str | None = None
) -> None:
    rows = combine_by_slot(datums)
    web_context().celery.send_task(
        "metrics.ingest_batch",
        args=[tenant_id, batch_id, [datum.to_message() for datum in rows], source],
        kwargs={"accepted": len(datums)},
        queue=METRICS_QUEUE,
        # The task stores no result: without this, Celery subscribes to (and later
        # unsubscribes from) the result's Redis channel on every request.
        ignore_result=True,
        serializer=BATCH_SERIALIZER,  # orjson: a batch is mostly floats (tasks/serializers.py)
        # Said here, so that Celery does not repr up to 1000 datums into the message's
        # headers (and Flower's task list) on every request.
        argsrepr=f"({tenant_id!r}, {batch_id!r}, <{len(rows)} rows>, {source!r})",
    )
