"""The ingest worker's bulk writes: a batch's datapoint rows and its per-minute roll-ups.

On SQLite, SQLAlchemy's executemany is the fast path already (the driver loops in C over
the rows). On PostgreSQL, psycopg pipelines one INSERT per row, with Python work per row in
both SQLAlchemy and psycopg: there each column travels as one array and a single
INSERT ... SELECT FROM unnest(...) writes the batch, whatever its size. Measured
in-process, storing the 123 rows of a bench request of 1000 datums took 17.5 ms of worker
time before and 9.1 ms after (the whole record_batch, both tables and the metrics).

Both paths write the same values: the callers give plain Python values (floats, tz-aware
UTC datetimes, JSON-able distributions), and the tests run against both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, case, text
from sqlalchemy.dialects import sqlite

from models.watch.tables import Datapoint, MetricRollup

DATAPOINT_COLUMNS = (
    "metric_id",
    "timestamp",
    "unit",
    "storage_resolution",
    "sample_count",
    "sum",
    "minimum",
    "maximum",
    "distribution",
)
ROLLUP_COLUMNS = ("metric_id", "unit", "minute_start", "sample_count", "sum", "minimum", "maximum")

_PG_DATAPOINTS = text(
    "INSERT INTO datapoints (metric_id, timestamp, unit, storage_resolution, sample_count,"
    " sum, minimum, maximum, distribution)"
    " SELECT * FROM unnest(CAST(:metric_id AS BIGINT[]), CAST(:timestamp AS TIMESTAMPTZ[]),"
    " CAST(:unit AS VARCHAR[]), CAST(:storage_resolution AS SMALLINT[]),"
    " CAST(:sample_count AS FLOAT8[]), CAST(:sum AS FLOAT8[]), CAST(:minimum AS FLOAT8[]),"
    " CAST(:maximum AS FLOAT8[]), CAST(:distribution AS JSON[]))"
)
# Rows go in the order given (WITH ORDINALITY ... ORDER BY): callers sort them by key, so
# two batches upserting the same minutes lock them in one order and cannot deadlock.
_PG_ROLLUPS = text(
    "INSERT INTO metric_rollups AS r (metric_id, unit, minute_start, sample_count, sum,"
    " minimum, maximum)"
    " SELECT metric_id, unit, minute_start, sample_count, sum, minimum, maximum"
    " FROM unnest(CAST(:metric_id AS BIGINT[]), CAST(:unit AS VARCHAR[]),"
    " CAST(:minute_start AS TIMESTAMPTZ[]), CAST(:sample_count AS FLOAT8[]),"
    " CAST(:sum AS FLOAT8[]), CAST(:minimum AS FLOAT8[]), CAST(:maximum AS FLOAT8[]))"
    " WITH ORDINALITY AS given(metric_id, unit, minute_start, sample_count, sum, minimum,"
    " maximum, position)"
    " ORDER BY position"
    " ON CONFLICT (metric_id, unit, minute_start) DO UPDATE SET"
    " sample_count = r.sample_count + excluded.sample_count,"
    " sum = r.sum + excluded.sum,"
    " minimum = LEAST(r.minimum, excluded.minimum),"
    " maximum = GREATEST(r.maximum, excluded.maximum)"
)


def insert_datapoints(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows are tuples in DATAPOINT_COLUMNS order; a distribution is pairs or None."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = dict(zip(DATAPOINT_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        columns["distribution"] = [
            None if pairs is None else orjson.dumps(pairs).decode()
            for pairs in columns["distribution"]
        ]
        connection.execute(_PG_DATAPOINTS, columns)
        return
    named = [dict(zip(DATAPOINT_COLUMNS, row, strict=True)) for row in rows]
    connection.execute(Datapoint.__table__.insert(), named)


def upsert_rollups(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows are tuples in ROLLUP_COLUMNS order, unique and sorted by (metric, unit, minute);
    each adds its counts and sums to the stored minute and widens its minimum and maximum."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = dict(zip(ROLLUP_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        connection.execute(_PG_ROLLUPS, columns)
        return
    table = MetricRollup.__table__
    statement = sqlite.insert(table)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["metric_id", "unit", "minute_start"],
        set_={
            "sample_count": table.c.sample_count + excluded.sample_count,
            "sum": table.c.sum + excluded.sum,
            "minimum": case(
                (excluded.minimum < table.c.minimum, excluded.minimum), else_=table.c.minimum
            ),
            "maximum": case(
                (excluded.maximum > table.c.maximum, excluded.maximum), else_=table.c.maximum
            ),
        },
    )
    connection.execute(statement, [dict(zip(ROLLUP_COLUMNS, row, strict=True)) for row in rows])
