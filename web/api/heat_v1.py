"""The Heat-style orchestration REST API, /v1/<tenant_id>/... (python-heatclient's v1 paths).

Stacks, resources, events, metadata and signals live in web/api/stacks.py; the pre-signed
signal URLs in web/api/signed_signals.py.
"""

from __future__ import annotations

from flask import Blueprint
from flask_restx import Api, Namespace, Resource

from config.version import heatwatch_version
from tasks.routing import ENGINE_QUEUE
from web.api import signed_signals, stacks
from web.api.errors import HttpError
from web.auth import require_tenant
from web.context import web_context

ENGINE_REPLY_TIMEOUT_SECONDS = 5.0

blueprint = Blueprint("heat_v1", __name__, url_prefix="/v1")
api = Api(
    blueprint,
    title="heatwatch orchestration API",
    version="1",
    description="Heat-compatible stacks API",
    doc="/docs",
)

build_info_ns = Namespace("build_info", path="/<string:tenant_id>/build_info")
api.add_namespace(build_info_ns)
api.add_namespace(stacks.ns)
api.add_namespace(signed_signals.ns)


@build_info_ns.route("")
class BuildInfo(Resource):
    def get(self, tenant_id: str) -> dict:
        """Revisions of this API and of the engine pool (asked over the engine queue)."""
        require_tenant(tenant_id)
        celery = web_context().celery
        result = celery.send_task("engine.ping", queue=ENGINE_QUEUE)
        try:
            engine = result.get(timeout=ENGINE_REPLY_TIMEOUT_SECONDS)
        except Exception as exc:
            raise HttpError(503, "No engine worker answered on the engine queue.") from exc
        finally:
            result.forget()
        return {
            "api": {"revision": heatwatch_version()},
            "engine": {"revision": engine["revision"]},
        }


def errors_as_ours(api_: Api) -> None:
    """flask-restx catches errors before Flask does; hand them back to our handlers."""
    api_.handle_error = _reraise  # type: ignore[method-assign]


def _reraise(exc: Exception):  # type: ignore[no-untyped-def]
    raise exc


errors_as_ours(api)
