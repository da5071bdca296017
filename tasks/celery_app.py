"""The worker-side Celery application: `celery -A tasks.celery_app ...`.

`celery -A tasks.celery_app worker -Q watch -n watch@%h` (and likewise engine, metrics) runs
one pool per workload; `celery -A tasks.celery_app beat` runs the single scheduler. This module
reads Settings from the environment and wires the worker signals: structured logs with the
task id bound, stores reopened and the heap frozen after fork.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import signals

from config import logging as hw_logging
from config.gc_tuning import freeze_long_lived
from config.settings import from_env
from tasks.factory import context_of, make_celery

log = logging.getLogger("heatwatch.tasks")

app = make_celery(from_env())


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:
    settings = context_of(app).settings
    hw_logging.configure(settings.log_level, settings.log_format, service="celery")


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    context_of(app).dispose(after_fork=True)
    # A pool child has imported every task module by now: freeze that heap, as the API
    # workers do (config/gc_tuning.py).
    freeze_long_lived()


_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id: str, task: Any, **_: Any) -> None:
    _started[task_id] = time.monotonic()
    hw_logging.bind(task_id=task_id, task_name=task.name)


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    duration_ms = None if started is None else round((time.monotonic() - started) * 1000, 1)
    log.info("task finished", extra={"state": state, "duration_ms": duration_ms})
    hw_logging.clear()
