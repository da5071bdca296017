"""Queue names and task routes: one queue per workload, each with its own worker pool.

Task names carry their queue as a prefix; anything unrouted is an error in the tests
(tests/unit/tasks/test_routing.py), never a silent trip to a queue nobody consumes.
"""

from __future__ import annotations

from kombu import Exchange, Queue

ENGINE_QUEUE = "engine"  # stack operations
METRICS_QUEUE = "metrics"  # metric ingestion
WATCH_QUEUE = "watch"  # alarm evaluation and actions

QUEUES = (ENGINE_QUEUE, METRICS_QUEUE, WATCH_QUEUE)

# Task name prefix -> queue.
PREFIX_ROUTES = {
    "engine.": ENGINE_QUEUE,
    "stacks.": ENGINE_QUEUE,
    "metrics.": METRICS_QUEUE,
    "watch.": WATCH_QUEUE,
}


def task_queues() -> tuple[Queue, ...]:
    return tuple(Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES)


def queue_for(task_name: str) -> str | None:
    for prefix, queue in PREFIX_ROUTES.items():
        if task_name.startswith(prefix):
            return queue
    return None


def route_task(name: str, args, kwargs, options, task=None, **kw):  # type: ignore[no-untyped-def]
    """Celery router: send each heatwatch task to its workload's queue.

    The queue alone, no exchange: Celery then publishes to the default (anonymous) exchange
    with the queue's name as routing key. Naming the queue's direct exchange made kombu's
    Redis transport look the exchange's bindings up in Redis (SMEMBERS) on every publish,
    an extra round trip per PutMetricData. RabbitMQ binds every queue to the default
    exchange by its name, so both brokers deliver to the same queue as before."""
    queue = queue_for(name)
    if queue is None:
        return None
    return {"queue": queue}
