"""Pre-signed signal URLs: /v1/signal/<tenant>/<stack_id>/<resource>?signature=...

No token: the signature is the credential (models/orchestration/signing.py). cfn-signal PUTs
its JSON here (heat-cfntools uses PUT; POST works too); an alarm's webhook POSTs here.
Any altered part of the URL, or a resource that no longer exists, is refused the same way,
so a probe learns nothing about which stacks exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request
from flask_restx import Namespace, Resource

from models.errors import NotFoundError
from models.orchestration import signals, signing
from models.orchestration.tables import Stack
from tasks.routing import ENGINE_QUEUE
from web.api.errors import HttpError
from web.context import web_context
from web.sessions import db_session

ns = Namespace("signal", path="/signal", description="Pre-signed signal URLs (no token)")


def _enqueue(task: str, args: list[Any]) -> None:
    web_context().celery.send_task(task, args=args, queue=ENGINE_QUEUE)


def _refused() -> HttpError:
    return HttpError(403, "The signature of this signal URL is not valid.")


@ns.route("/<string:tenant_id>/<string:stack_id>/<string:resource_name>")
class SignedSignal(Resource):
    def post(self, tenant_id: str, stack_id: str, resource_name: str):  # type: ignore[no-untyped-def]
        settings = web_context().settings
        signature = request.args.get("signature", "")
        if not signing.verify(settings.secret_key, tenant_id, stack_id, resource_name, signature):
            raise _refused()
        session = db_session("orchestration")
        stack = session.get(Stack, stack_id)
        if stack is None or stack.tenant_id != tenant_id or stack.deleted_at is not None:
            raise _refused()
        payload = request.get_json(silent=True, force=True)
        if not isinstance(payload, dict):
            payload = {}
        try:
            outcome = signals.deliver_signal(
                session, stack, resource_name, payload, datetime.now(UTC), _enqueue
            )
        except NotFoundError:
            raise _refused() from None
        return {"signal": outcome}, 200

    def put(self, tenant_id: str, stack_id: str, resource_name: str):  # type: ignore[no-untyped-def]
        return self.post(tenant_id, stack_id, resource_name)
