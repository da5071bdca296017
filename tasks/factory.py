"""Build a configured Celery application from Settings.

Workers use the module-level app in tasks/celery_app.py; the web frontends call
`make_celery(settings)` and send tasks by name, so they never import task code.
"""

from __future__ import annotations

from celery import Celery

from config.settings import Settings
from tasks import routing
from tasks.context import WorkerContext
from tasks.schedules import AlignedEvery
from tasks.serializers import BATCH_SERIALIZER, register_serializers

TASK_MODULES = ("tasks.system", "tasks.metrics", "tasks.watch", "tasks.stacks")
# Seconds after each mark: room for the last datapoints of the window to be committed.
_TICK_OFFSET = 1.5


def make_celery(settings: Settings) -> Celery:
    register_serializers()
    app = Celery("heatwatch", broker=settings.broker_url, backend=settings.redis_url)
    app.conf.update(
        include=list(TASK_MODULES),
        task_queues=routing.task_queues(),
        task_routes=(routing.route_task,),
        # Nothing lands in Celery's default queue: every task has a route, and an unrouted
        # one goes to a queue no worker reads, which the routing test forbids.
        task_default_queue="unrouted",
        task_create_missing_queues=False,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json", BATCH_SERIALIZER],
        result_expires=3600,
        # One message at a time per process: long and short tasks share pools fairly, and
        # a killed process holds at most one unacked message.
        worker_prefetch_multiplier=1,
        # acks_late tasks (idempotent by design) go back to the queue if their process dies.
        task_reject_on_worker_lost=True,
        broker_transport_options={
            "visibility_timeout": settings.broker_visibility_timeout,
            # kombu scans Redis for unacked messages of dead workers only every Nth sweep;
            # without these a message held by a killed worker waits ~100 s past its timeout.
            "unacked_restore_interval": min(10, settings.broker_visibility_timeout),
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
        broker_connection_retry_on_startup=True,
        # Events for Flower.
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "metrics-retention": {"task": "metrics.prune", "schedule": 3600.0},
            "watch-retention": {"task": "watch.prune", "schedule": 3600.0},
            # Resumes stack operations whose worker died mid-step.
            "engine-sweep": {"task": "stacks.sweep", "schedule": 15.0},
            # Instance keys never expire on their own; they are replaced daily.
            "instance-key-rotation": {"task": "stacks.rotate_keys", "schedule": 86400.0},
            "watch-tick": {
                "task": "watch.tick",
                # Just after each 10-second mark, when a window has closed (tasks/schedules.py).
                "schedule": AlignedEvery(settings.watch_tick_seconds, offset=_TICK_OFFSET),
                # A tick is useless once the next one is due; don't let a backlog pile up.
                "options": {"expires": settings.watch_tick_seconds},
            },
        },
        timezone="UTC",
        enable_utc=True,
    )
    app.heatwatch = WorkerContext(settings)  # type: ignore[attr-defined]
    return app


def context_of(app: Celery) -> WorkerContext:
    return app.heatwatch  # type: ignore[attr-defined,no-any-return]
