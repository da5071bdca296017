"""Structured logging: one JSON object per line, with the request or task id bound to it.

Context (request_id, task_id, tenant_id, ...) lives in a contextvar so that every line logged
while serving a request or running a task carries it without threading it through calls.
A filter masks fields whose names look like secrets: a last line of defence, not a licence
to log them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "heatwatch_log_context", default=None
)

SECRET_FIELD_MARKERS = ("secret", "password", "token", "authorization", "signature")
MASK = "***"


def bind(**fields: Any) -> None:
    """Add fields to the log context of the current request or task."""
    _context.set({**(_context.get() or {}), **fields})


def clear() -> None:
    _context.set(None)


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def _looks_secret(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_FIELD_MARKERS)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        for key in list(vars(record)):
            if _looks_secret(key):
                setattr(record, key, MASK)
        return True


def configure(
    level: str = "INFO",
    fmt: str = "json",
    service: str = "heatwatch",
    stream: IO[str] | None = None,
) -> None:
    """Install our handler on the root logger (idempotent: safe to call per process)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "ts", "name": "logger"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_heatwatch", False):
            root.removeHandler(existing)
    handler._heatwatch = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic narrates every migration context at INFO, including health-check revision reads.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
