"""What both frontends share: logging, request ids, request log lines, errors, health."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, Response, g, request

from config import logging as hw_logging
from config.settings import Settings
from models.sessions import Database
from web import health, sessions
from web.api import errors
from web.context import WebContext, install

log = logging.getLogger("heatwatch.web")


def create_base_app(name: str, settings: Settings, stores: dict[str, str]) -> Flask:
    """A Flask app wired with our context; `stores` maps store name -> database URL."""
    hw_logging.configure(settings.log_level, settings.log_format, service=name)
    app = Flask(name)
    app.config["JSON_SORT_KEYS"] = False
    databases = {store: Database(url, store) for store, url in stores.items()}
    install(app, WebContext(settings=settings, databases=databases))
    sessions.init_app(app)
    errors.register(app)
    app.register_blueprint(health.blueprint)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    return app


def _start_request() -> None:
    g.request_id = str(uuid.uuid4())
    g.request_id_header = f"req-{g.request_id}"
    g.started = time.monotonic()
    hw_logging.clear()
    hw_logging.bind(request_id=g.request_id)


def _finish_request(response: Response) -> Response:
    if "x-amzn-RequestId" not in response.headers:
        response.headers["X-OpenStack-Request-ID"] = g.get("request_id_header", "")
    if not log.isEnabledFor(logging.INFO):
        return response  # the line's fields are read from the request: only when it is written
    principal = g.get("principal")
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 1),
            "tenant_id": principal.tenant_id if principal else None,
            "remote_addr": request.remote_addr,
        },
    )
    return response
