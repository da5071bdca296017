"""The metric store on PostgreSQL, including two workers racing on one batch id."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from config.settings import Settings
from models import migrate
from models.sessions import Database, session_scope
from models.watch import metrics
from models.watch.datums import Datum, canonical_dimensions
from models.watch.tables import Datapoint, Metric, MetricRollup

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


def test_batches_updating_the_same_metrics_in_opposite_orders_do_not_deadlock(watch_db) -> None:
    """Two batches list the same metrics in opposite orders and reach the update together.

    The hook holds each transaction just before its `UPDATE metrics` until both are there, so
    they always overlap; if rows were locked in datum order, PostgreSQL would detect a deadlock.
    """
    names = [f"m{i}" for i in range(1000)]

    def batch(order: list[str], minute: int) -> list[Datum]:
        at = NOW + timedelta(minutes=minute)
        return [
            Datum("App", name, (("Host", "a"),), at, "Count", 60, 1.0, 1.0, 1.0, 1.0, None)
            for name in order
        ]

    with session_scope(watch_db) as session:  # the metrics exist, so inserts don't serialise
        metrics.record_batch(session, "t1", "first", batch(names, 0))
    barrier = threading.Barrier(2)

    def meet_before_update(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE metrics"):
            barrier.wait(10)

    event.listen(watch_db.engine, "before_cursor_execute", meet_before_update)
    errors: list[BaseException] = []

    def deliver(batch_id: str, datums: list[Datum]) -> None:
        try:
            with session_scope(watch_db) as session:
                metrics.record_batch(session, "t1", batch_id, datums)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=deliver, args=("forward", batch(names, 1))),
        threading.Thread(target=deliver, args=("backward", batch(names[::-1], 2))),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(watch_db.engine, "before_cursor_execute", meet_before_update)
    assert errors == []
    with session_scope(watch_db) as session:
        counts = session.execute(
            select(func.count(), func.sum(MetricRollup.sample_count)).select_from(MetricRollup)
        ).one()
        newest = set(session.scalars(select(Metric.last_datapoint_at)))
    assert tuple(counts) == (3 * len(names), 3 * len(names))
    assert newest == {NOW.replace(second=0) + timedelta(minutes=2)}


def test_largest_dimension_sets_fit_the_unique_key(watch_db) -> None:
    """30 dimensions of 1024 characters exceed a B-tree entry; the key is their digest."""
    big = canonical_dimensions([(f"d{i:02}", f"{i}-" + "x" * 1020) for i in range(30)])
    datum = Datum("App", "Lat", big, NOW, "None", 60, 1.0, 1.0, 1.0, 1.0, None)
    with session_scope(watch_db) as session:
        assert metrics.record_batch(session, "t1", "big", [datum, datum])
    with session_scope(watch_db) as session:
        ids = metrics.find_metric_ids(session, "t1", "App", "Lat", big)
        listed, _ = metrics.list_metrics(session, "t1", now=NOW, dimension_filters=[("d07", None)])
    assert len(ids) == 1
    assert [len(m["Dimensions"]) for m in listed] == [30]


def test_rollups_add_up_across_batches_and_distributions_round_trip(watch_db) -> None:
    """The PostgreSQL bulk path (one unnest INSERT per table): a second batch over the same
    minute adds counts and sums and widens minimum and maximum; pairs come back as given."""
    minute = NOW.replace(second=0)
    pairs = ((2.5, 3.0), (7.0, 1.0))
    histogram = Datum("App", "Lat", (("Host", "h"),), minute, "Milliseconds", 60,
                      4.0, 14.5, 2.5, 7.0, pairs)  # fmt: skip
    plain = Datum("App", "Lat", (("Host", "h"),), minute + timedelta(seconds=5),
                  "Milliseconds", 60, 1.0, -1.0, -1.0, -1.0, ((-1.0, 1.0),))  # fmt: skip
    high = Datum("App", "Lat", (("Host", "h"),), minute + timedelta(seconds=9),
                 "Milliseconds", 60, 1.0, 40.0, 40.0, 40.0, ((40.0, 1.0),))  # fmt: skip
    with session_scope(watch_db) as session:
        assert metrics.record_batch(session, "t1", "first", [histogram])
    with session_scope(watch_db) as session:
        assert metrics.record_batch(session, "t1", "second", [plain, high])
    with session_scope(watch_db) as session:
        ids = metrics.find_metric_ids(session, "t1", "App", "Lat", (("Host", "h"),))
        span = (minute - timedelta(minutes=1), minute + timedelta(minutes=1))
        rows = metrics.fetch_datapoints(session, ids, *span)
        (rollup,) = metrics.fetch_rollups(session, ids, *span)
    assert (rollup.sample_count, rollup.sum, rollup.minimum, rollup.maximum) == (
        6.0, 53.5, -1.0, 40.0
    )  # fmt: skip
    stored = sorted((r.sample_count, r.distribution) for r in rows)
    # A single (value, count) pair is not stored: min = max = value say it (Datum).
    assert stored == [(1.0, None), (1.0, None), (4.0, [[2.5, 3.0], [7.0, 1.0]])]
    # Read back as whole epoch seconds, the row shape statistics.aggregate takes.
    assert all(r.timestamp == int(minute.timestamp()) and type(r.timestamp) is int for r in rows)
