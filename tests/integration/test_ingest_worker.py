"""metrics.ingest_batch on a real Celery worker process: idempotent, and lossless under SIGKILL."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from models import migrate
from models.sessions import Database, session_scope
from models.watch.datums import Datum
from models.watch.tables import Datapoint, IngestedBatch
from tasks.factory import make_celery
from tests.support import ProcessSet, settings_env, wait_for

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ingest_settings(redis_settings: Settings, redis_url: str) -> Settings:
    # Each test gets its own Redis database so no queued message leaks between tests, and a
    # short visibility timeout: Redis hands an unacked message (its worker was killed) to
    # another worker only after this long.
    db = uuid.uuid4().int % 14 + 1
    url = redis_url.rsplit("/", 1)[0] + f"/{db}"
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
    batches, size = 300, 200
    celery = make_celery(ingest_settings)
    for number in range(batches):
        celery.send_task(
            "metrics.ingest_batch", args=["t1", f"batch-{number}", _batch(size, number)]
        )
    workers.celery_worker("metrics")
    wait_for(lambda: _stored(ingest_settings)[0] >= 20, timeout=120, what="the worker to get going")
    workers.stop("metrics-worker", sig=signal.SIGKILL)
    stored_at_kill = _stored(ingest_settings)[0]
    assert stored_at_kill < batches, "the worker finished before the kill; enlarge the stream"

    workers.celery_worker("metrics")
    wait_for(
        lambda: _stored(ingest_settings)[0] == batches,
        timeout=180,
        interval=0.5,
        what="every accepted batch after the restart",
    )
    assert _stored(ingest_settings) == (batches, float(batches * size))
