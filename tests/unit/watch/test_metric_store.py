"""The metric store's services on a migrated SQLite watch DB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from models.errors import InvalidPageTokenError
from models.sessions import Database, session_scope
from models.watch import metrics
from models.watch.datums import Datum, canonical_dimensions
from models.watch.tables import Datapoint, MetricRollup

NOW = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)


def datum(value: float = 1.0, *, name: str = "Lat", dims=(("Host", "a"),), at=NOW, unit="None",
          resolution: int = 60, distribution=None) -> Datum:  # fmt: skip
    return Datum(
        namespace="App",
        metric_name=name,
        dimensions=canonical_dimensions(list(dims)),
        timestamp=at,
        unit=unit,
        storage_resolution=resolution,
        sample_count=1.0,
        sum=value,
        minimum=value,
        maximum=value,
        distribution=distribution if distribution is not None else ((value, 1.0),),
    )


@pytest.fixture
def watch_db(migrated_settings: Settings):
    database = Database(migrated_settings.watch_database_url, "watch")
    yield database
    database.dispose()


def store(database: Database, batch_id: str, datums: list[Datum], tenant: str = "t1") -> bool:
    with session_scope(database) as session:
        return metrics.record_batch(session, tenant, batch_id, datums)


def test_a_batch_is_stored_once_and_replays_are_no_ops(watch_db) -> None:
    batch = [datum(1.0), datum(2.0), datum(5.0, name="Other")]
    assert store(watch_db, "b1", batch) is True
    assert store(watch_db, "b1", batch) is False
    with session_scope(watch_db) as session:
        assert session.scalar(select(func.count()).select_from(Datapoint)) == 3
        rollups = session.execute(select(MetricRollup)).scalars().all()
    by_count = sorted((r.sample_count, r.sum, r.minimum, r.maximum) for r in rollups)
    assert by_count == [(1.0, 5.0, 5.0, 5.0), (2.0, 3.0, 1.0, 2.0)]


def test_rollups_merge_across_batches_and_timestamps_follow_storage_resolution(watch_db) -> None:
    store(watch_db, "b1", [datum(4.0, at=NOW)])
    store(watch_db, "b2", [datum(1.0, at=NOW + timedelta(seconds=10)), datum(9.0, resolution=1)])
    with session_scope(watch_db) as session:
        (rollup,) = session.execute(select(MetricRollup)).scalars().all()
        stamps = sorted(session.scalars(select(Datapoint.timestamp)))
    assert (rollup.sample_count, rollup.sum, rollup.minimum, rollup.maximum) == (3, 14, 1, 9)
    assert rollup.minute_start == NOW.replace(second=0)
    # Standard resolution is stored per minute, high resolution per second.
    assert stamps == [NOW.replace(second=0), NOW.replace(second=0), NOW]


def test_reads_give_whole_epoch_seconds_in_the_row_shape_aggregate_takes(watch_db) -> None:
    store(watch_db, "b1", [datum(4.0, at=NOW), datum(9.0, at=NOW, resolution=1)])
    span = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    with session_scope(watch_db) as session:
        ids = metrics.find_metric_ids(session, "t1", "App", "Lat", (("Host", "a"),))
        rows = metrics.fetch_datapoints(session, ids, *span)
        (rollup,) = metrics.fetch_rollups(session, ids, *span)
    minute, second = int(NOW.replace(second=0).timestamp()), int(NOW.timestamp())
    assert sorted(tuple(row) for row in rows) == [
        (minute, "None", 1.0, 4.0, 4.0, 4.0, None),
        (second, "None", 1.0, 9.0, 9.0, 9.0, None),
    ]
    assert tuple(rollup) == (minute, "None", 2.0, 13.0, 4.0, 9.0, None)
    assert all(type(row.timestamp) is int for row in [*rows, rollup])


def test_exact_dimension_match_and_tenant_isolation(watch_db) -> None:
    store(watch_db, "b1", [datum(dims=(("Host", "a"),)), datum(dims=(("Host", "a"), ("Az", "1")))])
    store(watch_db, "b2", [datum(dims=(("Host", "a"),))], tenant="t2")
    with session_scope(watch_db) as session:
        one = metrics.find_metric_ids(session, "t1", "App", "Lat", (("Host", "a"),))
        two = metrics.find_metric_ids(
            session, "t1", "App", "Lat", canonical_dimensions([("Host", "a"), ("Az", "1")])
        )
        none = metrics.find_metric_ids(session, "t1", "App", "Lat", ())
        rows = metrics.fetch_datapoints(session, one, NOW - timedelta(hours=1), NOW + timedelta(1))
    assert len(one) == len(two) == 1
    assert one != two
    assert none == []
    assert len(rows) == 1


def test_list_metrics_filters_pages_and_hides_stale_metrics(watch_db) -> None:
    datums = [datum(name=f"m{i:03}", dims=(("Host", f"h{i % 3}"),)) for i in range(12)]
    datums.append(datum(name="old", at=NOW - timedelta(days=15)))
    datums.append(datum(name="warm", at=NOW - timedelta(hours=5)))
    store(watch_db, "b1", datums)
    with session_scope(watch_db) as session:
        pages, token = [], None
        while True:
            page, token = metrics.list_metrics(
                session, "t1", now=NOW, page_token=token, page_size=5
            )
            pages.append(page)
            if token is None:
                break
        names = [m["MetricName"] for page in pages for m in page]
        assert [len(p) for p in pages] == [5, 5, 3]
        assert "old" not in names
        assert len(set(names)) == 13

        by_value, _ = metrics.list_metrics(
            session, "t1", now=NOW, dimension_filters=[("Host", "h1")]
        )
        assert {m["MetricName"] for m in by_value} == {"m001", "m004", "m007", "m010"}
        by_name, _ = metrics.list_metrics(
            session, "t1", now=NOW, dimension_filters=[("Host", None)]
        )
        assert len(by_name) == 13
        recent, _ = metrics.list_metrics(session, "t1", now=NOW, recently_active=True)
        assert {m["MetricName"] for m in recent} == {f"m{i:03}" for i in range(12)}
        assert metrics.list_metrics(session, "t2", now=NOW)[0] == []
        with pytest.raises(InvalidPageTokenError):
            metrics.list_metrics(session, "t1", now=NOW, page_token="garbage!")


def test_dimension_filters_are_case_sensitive_and_literal(watch_db) -> None:
    store(watch_db, "b1", [
        datum(name="lower", dims=(("host", "a"),)),
        datum(name="upper", dims=(("Host", "A"),)),
        datum(name="wild", dims=(("Ho%t", "_"),)),
        datum(name="quoted", dims=(('Host","', 'a"]'),)),
    ])  # fmt: skip
    with session_scope(watch_db) as session:

        def names(*filters: tuple[str, str | None]) -> set[str]:
            found, _ = metrics.list_metrics(session, "t1", now=NOW, dimension_filters=filters)
            return {m["MetricName"] for m in found}

        assert names(("Host", "A")) == {"upper"}
        assert names(("host", None)) == {"lower"}
        assert names(("Ho%t", "_")) == {"wild"}
        assert names(("H_st", None)) == set()
        assert names(("Host", None)) == {"upper"}
        assert names(('Host","', None)) == {"quoted"}


def test_a_newer_batch_with_older_datapoints_keeps_the_metric_active(watch_db) -> None:
    store(watch_db, "b1", [datum(at=NOW)])
    store(watch_db, "b2", [datum(at=NOW - timedelta(days=20))])
    with session_scope(watch_db) as session:
        recent, _ = metrics.list_metrics(session, "t1", now=NOW, recently_active=True)
    assert [m["MetricName"] for m in recent] == ["Lat"]


def test_largest_dimension_sets_are_one_metric_each(watch_db) -> None:
    """30 dimensions of 1024 characters: the unique key is a digest, so any size fits."""
    big = canonical_dimensions([(f"d{i:02}", chr(65 + i) * 1024) for i in range(30)])
    store(watch_db, "b1", [datum(1.0, dims=big), datum(2.0, dims=big)])
    store(watch_db, "b2", [datum(3.0, dims=big)])
    with session_scope(watch_db) as session:
        ids = metrics.find_metric_ids(session, "t1", "App", "Lat", big)
        listed, _ = metrics.list_metrics(session, "t1", now=NOW, dimension_filters=[("d29", None)])
    assert len(ids) == 1
    assert [len(m["Dimensions"]) for m in listed] == [30]


def test_prune_drops_data_past_retention(watch_db) -> None:
    store(watch_db, "b1", [datum(at=NOW - timedelta(days=14)), datum(at=NOW)])
    with session_scope(watch_db) as session:
        removed = metrics.prune_datapoints(session, NOW + timedelta(days=2))
    assert removed["datapoints"] == 1
    assert removed["batches"] == 1


def test_list_request_rules() -> None:
    from models.errors import InvalidParameterError

    metrics.validate_list_request(None, 10)
    metrics.validate_list_request("PT3H", 0)
    with pytest.raises(InvalidParameterError, match="RecentlyActive"):
        metrics.validate_list_request("PT1H", 0)
    with pytest.raises(InvalidParameterError, match="greater than 10"):
        metrics.validate_list_request(None, 11)
