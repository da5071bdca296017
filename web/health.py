"""GET /healthz: are this frontend's databases (at the migrated schema) and the broker reachable?

200 with every check "ok", or 503 naming what failed. Checks are cheap (SELECT 1, one broker
connection with a short timeout) so load balancers can poll them.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify
from kombu import Connection

from models.migrate import current_revision, head_revision
from web.context import web_context

log = logging.getLogger("heatwatch.health")

blueprint = Blueprint("health", __name__)

BROKER_TIMEOUT_SECONDS = 2.0


def _check_database(store: str) -> dict[str, Any]:
    database = web_context().databases[store]
    try:
        with database.engine.connect() as connection:
            revision = current_revision(connection)
    except Exception as exc:
        log.warning("database check failed", extra={"store": store, "error": type(exc).__name__})
        return {"ok": False, "error": f"unreachable ({type(exc).__name__})"}
    expected = head_revision(store)
    if revision != expected:
        return {"ok": False, "error": f"schema at {revision}, expected {expected}"}
    return {"ok": True, "revision": revision}


def _check_broker() -> dict[str, Any]:
    url = web_context().settings.broker_url
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            if connection.transport.driver_type == "redis":
                # kombu's Redis transport connects lazily; ask for a real round trip.
                connection.default_channel.client.ping()
    except Exception as exc:
        log.warning("broker check failed", extra={"error": type(exc).__name__})
        return {"ok": False, "error": f"unreachable ({type(exc).__name__})"}
    return {"ok": True}


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    checks = {f"{store}_db": _check_database(store) for store in web_context().databases}
    checks["broker"] = _check_broker()
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    return jsonify(body), 503 if failing else 200
