"""Watch pool tasks: the periodic tick that beat sends.

The tick only fans out: it will split the due alarms into shards and enqueue one evaluation
task per shard (issue 4 brings alarms and their evaluation). Until then it records that it
ran, so a running system shows beat driving the watch pool.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import shared_task

log = logging.getLogger("heatwatch.watch")


@shared_task(name="watch.tick", ignore_result=True)
def tick() -> dict[str, object]:
    tick_at = datetime.now(UTC).isoformat()
    log.info("watch tick", extra={"tick_at": tick_at, "shards_enqueued": 0})
    return {"tick_at": tick_at, "shards_enqueued": 0}
