"""gunicorn hooks for the two API frontends (Procfile: `--config python:config.gunicorn_hooks`).

After a worker has built its app, load what every request will need and move all those
long-lived objects out of the garbage collector's reach (`gc.freeze`). Without it, each
full collection walked the whole botocore model, SQLAlchemy's and Flask's structures: one
request in twenty or so then took 50-80 ms more (GetMetricStatistics over a day: 18 ms
typical, 83-94 ms at a full collection, measured in-process). Objects created later are
collected as usual; reference counting still frees frozen objects that become unused.

The youngest generation is also collected less often: a PutMetricData of 1000 datums
creates some 20,000 short-lived containers (the decoded JSON, the datums), freed by
reference counting anyway, and at Python's default threshold (700) every request ran
dozens of young collections. At 50,000 the API's CPU per such request went from
13.2-13.9 ms to 12.1-12.2 ms (in-process, min of 8 x 10 requests, four runs); reference
cycles are found a little later.
"""

from __future__ import annotations

import gc
import sys
from typing import Any


def post_worker_init(worker: Any) -> None:
    if "web.aws.model" in sys.modules:  # the watch API: its CloudWatch model loads on first
        sys.modules["web.aws.model"].service_model()  # use; load it now so it is frozen too
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


YOUNG_COLLECTION_THRESHOLD = 50_000
