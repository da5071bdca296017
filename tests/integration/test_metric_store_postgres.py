"""The metric store on PostgreSQL, including two workers racing on one batch id."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from models import migrate
from models.sessions import Database, session_scope
from models.watch import metrics
from models.watch.datums import Datum
from models.watch.tables import Datapoint, MetricRollup

pytestmark = pytest.mark.postgres
NOW = datetime.now(UTC).replace(microsecond=0)


def _datums(count: int) -> list[Datum]:
    return [
        Datum("App", "Lat", (("Host", "a"),), NOW - timedelta(seconds=i), "Milliseconds", 1,
              1.0, float(i), float(i), float(i), ((float(i), 1.0),))
        for i in range(count)
    ]  # fmt: skip


@pytest.fixture
def watch_db(postgres_settings: Settings):
    migrate.upgrade("watch", postgres_settings.watch_database_url)
    database = Database(postgres_settings.watch_database_url, "watch")
    yield database
    database.dispose()


def test_batch_round_trip_and_rollups_on_postgres(watch_db) -> None:
    with session_scope(watch_db) as session:
        assert metrics.record_batch(session, "t1", "b1", _datums(100))
    with session_scope(watch_db) as session:
        assert not metrics.record_batch(session, "t1", "b1", _datums(100))
        ids = metrics.find_metric_ids(session, "t1", "App", "Lat", (("Host", "a"),))
        rows = metrics.fetch_datapoints(session, ids, NOW - timedelta(hours=1), NOW + timedelta(1))
        rollups = metrics.fetch_rollups(session, ids, NOW - timedelta(hours=1), NOW + timedelta(1))
        listed, _ = metrics.list_metrics(session, "t1", now=NOW, dimension_filters=[("Host", "a")])
    assert len(rows) == 100
    assert sum(r.sample_count for r in rollups) == 100
    assert sum(r.sum for r in rollups) == sum(range(100))
    assert listed == [
        {"Namespace": "App", "MetricName": "Lat", "Dimensions": [{"Name": "Host", "Value": "a"}]}
    ]


def test_concurrent_deliveries_of_one_batch_store_it_once(watch_db) -> None:
    """Two workers holding the same redelivered message: the unique batch id serialises them."""
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def deliver() -> None:
        with session_scope(watch_db) as session:
            barrier.wait()
            results.append(metrics.record_batch(session, "t1", "same-batch", _datums(50)))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]
    with session_scope(watch_db) as session:
        assert session.scalar(select(func.count()).select_from(Datapoint)) == 50
        assert session.scalar(select(func.sum(MetricRollup.sample_count))) == 50
