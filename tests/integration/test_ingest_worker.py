"""metrics.ingest_batch on a real Celery worker process: idempotent, and lossless under SIGKILL."""

from __future__ import annotations

import itertools
import signal
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select

from config.settings import Settings
from models import migrate
from models.sessions import Database, session_scope
from models.watch.datums import Datum
from models.watch.tables import Datapoint, IngestedBatch
from tasks.factory import make_celery
from tests.support import ProcessSet, settings_env, wait_for

NOW = datetime.now(UTC).replace(microsecond=0)
_REDIS_DBS = itertools.cycle(range(1, 16))  # db 0 is left to other tests


@pytest.fixture
def ingest_settings(redis_settings: Settings, redis_url: str) -> Settings:
    # Each test gets its own, emptied Redis database so no queued message leaks between tests,
    # and a short visibility timeout: Redis hands an unacked message (its worker was killed)
    # to another worker only once it is this old.
    url = redis_url.rsplit("/", 1)[0] + f"/{next(_REDIS_DBS)}"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    settings = replace(redis_settings, redis_url=url, broker_url=url, broker_visibility_timeout=5)
    migrate.upgrade_all(settings)
    return settings


@pytest.fixture
def workers(ingest_settings: Settings, tmp_path) -> Iterator[ProcessSet]:
    processes = ProcessSet(env=settings_env(ingest_settings), log_dir=tmp_path)
    yield processes
    processes.stop_all()


def _batch(size: int, offset: int = 0) -> list[list]:
    return [
        Datum("App", "Lat", (("Host", "a"),), NOW - timedelta(seconds=(offset + i) % 600),
              "None", 1, 1.0, 1.0, 1.0, 1.0, ((1.0, 1.0),)).to_message()
        for i in range(size)
    ]  # fmt: skip


def _stored(settings: Settings) -> tuple[int, float]:
    database = Database(settings.watch_database_url, "watch")
    try:
        with session_scope(database) as session:
            batches = session.scalar(select(func.count()).select_from(IngestedBatch)) or 0
            samples = session.scalar(select(func.sum(Datapoint.sample_count))) or 0.0
        return batches, samples
    finally:
        database.dispose()


def _in_flight(settings: Settings) -> int:
    """Messages delivered but not acknowledged: kombu's Redis transport keeps them in `unacked`."""
    with redis.Redis.from_url(settings.broker_url) as client:
        return int(client.hlen("unacked"))


def test_a_redelivered_batch_is_counted_once(ingest_settings: Settings, workers) -> None:
    workers.celery_worker("metrics")
    celery = make_celery(ingest_settings)
    for _ in range(2):  # the same message twice, as a redelivery would bring it
        celery.send_task("metrics.ingest_batch", args=["t1", "batch-1", _batch(10)])
    celery.send_task("metrics.ingest_batch", args=["t1", "batch-2", _batch(5)])
    wait_for(lambda: _stored(ingest_settings) == (2, 15.0), timeout=60, what="two batches")
    # The duplicate was consumed too (the queue drains) without adding anything.
    wait_for(
        lambda: "batch already stored" in workers.log("metrics-worker"),
        timeout=30,
        what="the duplicate to be processed",
    )
    assert _stored(ingest_settings) == (2, 15.0)


def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    ingest_settings: Settings, workers
) -> None:
    """Kill the worker's whole process group while it holds a batch; a new worker finishes.

    The batch in hand was never acknowledged (acks_late), so it stays in Redis' `unacked` set
    and is restored to the queue once older than the visibility timeout. Restoring is a sweep
    in the consumer: kombu 5.7 runs it every `unacked_restore_interval` (10 s) but scans only
    on every `unacked_restore_throttle`-th (10th) run, so with the factory's defaults the
    redelivery comes about 100 s after the new worker starts; the wait below allows for that.
    """
    batches, size = 300, 200
    celery = make_celery(ingest_settings)
    for number in range(batches):
        celery.send_task(
            "metrics.ingest_batch", args=["t1", f"batch-{number}", _batch(size, number)]
        )
    for _attempt in range(5):
        workers.celery_worker("metrics")
        wait_for(
            lambda: _stored(ingest_settings)[0] >= 20 and _in_flight(ingest_settings),
            timeout=120,
            what="the worker to get going",
        )
        workers.stop("metrics-worker", sig=signal.SIGKILL)
        # Between an ack and the next fetch nothing is in hand; then try again.
        if _in_flight(ingest_settings):
            break
    assert _in_flight(ingest_settings) == 1, "never killed the worker with a batch in hand"
    assert _stored(ingest_settings)[0] < batches, "the worker finished first; enlarge the stream"

    workers.celery_worker("metrics")
    wait_for(
        lambda: _stored(ingest_settings)[0] == batches and not _in_flight(ingest_settings),
        timeout=240,
        interval=0.5,
        what="every accepted batch after the restart",
    )
    assert _stored(ingest_settings) == (batches, float(batches * size))
