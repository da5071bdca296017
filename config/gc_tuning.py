"""Garbage-collector settings for long-running processes (API workers, Celery pool children).

Once a process has loaded what every request or task will use, those long-lived objects are
moved out of the collector's reach (`gc.freeze`). Without it, each full collection walked
the whole botocore model and SQLAlchemy's, Flask's and Celery's structures: in an API worker
one request in twenty or so took 50-80 ms more (GetMetricStatistics over a day: 18 ms
typical, 83-94 ms at a full collection, measured in-process). Objects created later are
collected as usual; reference counting still frees frozen objects that become unused.

The youngest generation is also collected less often: a PutMetricData of 1000 datums
creates some 20,000 short-lived containers (the decoded JSON, the datums), freed by
reference counting anyway, and at Python's default threshold (700) every request ran
dozens of young collections. At 50,000 the API's CPU per such request went from
13.2-13.9 ms to 12.1-12.2 ms (in-process, min of 8 x 10 requests, four runs); reference
cycles are found a little later.

A Celery pool child is the same case. Storing a 1000-datum batch (124 rows, SQLite) in a
process holding the worker's heap (147,000 tracked objects) cost 8.5 ms of CPU a task, of
which the collector took 1.17 ms (full collections of ~90 ms every hundred tasks); frozen,
7.1 ms and 0.06 ms (in-process, 300 tasks each).
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_THRESHOLD = 50_000


def freeze_long_lived() -> None:
    """Collect once, freeze what survives, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
