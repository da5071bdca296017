"""gunicorn hooks for the two API frontends (Procfile: `--config python:config.gunicorn_hooks`).

After a worker has built its app, load what every request will need and move all those
long-lived objects out of the garbage collector's reach (`gc.freeze`). Without it, each
full collection walked the whole botocore model, SQLAlchemy's and Flask's structures: one
request in twenty or so then took 50-80 ms more (GetMetricStatistics over a day: 18 ms
typical, 83-94 ms at a full collection, measured in-process). Objects created later are
collected as usual; reference counting still frees frozen objects that become unused.
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
