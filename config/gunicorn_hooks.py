"""gunicorn hooks for the two API frontends (Procfile: `--config python:config.gunicorn_hooks`).

After a worker has built its app, load what every request will need, then freeze the
long-lived objects out of the garbage collector's reach (config/gc_tuning.py says why).
"""

from __future__ import annotations

import sys
from typing import Any

from config.gc_tuning import freeze_long_lived


def post_worker_init(worker: Any) -> None:
    if "web.aws.model" in sys.modules:  # the watch API: its CloudWatch model loads on first
        sys.modules["web.aws.model"].service_model()  # use; load it now so it is frozen too
    freeze_long_lived()
