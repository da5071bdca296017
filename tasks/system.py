"""Tasks every pool answers, for health checks, build info and routing tests."""

from __future__ import annotations

import socket

from celery import shared_task

from config.version import heatwatch_version


def _whoami(task) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "hostname": task.request.hostname or socket.gethostname(),
        "queue": (task.request.delivery_info or {}).get("routing_key", ""),
        "revision": heatwatch_version(),
    }


@shared_task(name="engine.ping", bind=True, ignore_result=False)
def engine_ping(self) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return _whoami(self)


@shared_task(name="metrics.ping", bind=True, ignore_result=False)
def metrics_ping(self) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return _whoami(self)


@shared_task(name="watch.ping", bind=True, ignore_result=False)
def watch_ping(self) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return _whoami(self)
