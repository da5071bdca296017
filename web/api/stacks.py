"""The stacks API, /v1/<tenant_id>/stacks/..., in the shapes python-heatclient reads.

The API validates the template and parameters (400 naming the problem), records the stack
and its operation, commits, and only then sends `stacks.run_operation` to the engine queue.
Nothing here runs engine logic (Heat's rule: API controllers go through the engine client).

`GET /stacks/<name or id>` answers 302 to `/stacks/<name>/<id>` (heatclient relies on it);
every other path accepts the name, the id, or both.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import requests
from flask import redirect, request
from flask_restx import Namespace, Resource

from models.identity import instance_keys
from models.orchestration import presentation, signals, stacks
from models.orchestration.context import validate_template
from models.orchestration.tables import Stack
from models.orchestration.templates import parse_template
from tasks.routing import ENGINE_QUEUE
from web.api.errors import HttpError
from web.api.instance_auth import require_principal, require_same_stack
from web.auth import require_tenant
from web.context import web_context
from web.sessions import db_session

MAX_TEMPLATE_BYTES = 1024 * 1024
TEMPLATE_URL_TIMEOUT = 10

ns = Namespace("stacks", path="/<string:tenant_id>", description="Stacks, resources, events")
SUB_COLLECTIONS = ("resources", "events", "outputs", "template")


def _now() -> datetime:
    return datetime.now(UTC)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise HttpError(400, "The request body must be a JSON object.")
    return body


def _template_text(body: dict[str, Any]) -> str:
    template = body.get("template")
    if template is None and body.get("template_url"):
        template = _fetch_template(str(body["template_url"]))
    if template is None:
        raise HttpError(400, "Need more arguments: one of template or template_url.")
    text = template if isinstance(template, str) else json.dumps(template)
    if len(text.encode()) > MAX_TEMPLATE_BYTES:
        raise HttpError(413, "The template is larger than 1 MB.")
    return text


def _fetch_template(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise HttpError(400, f"template_url must be an http(s) URL: {url}")
    try:
        response = requests.get(url, timeout=TEMPLATE_URL_TIMEOUT, stream=True)
        content = response.raw.read(MAX_TEMPLATE_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise HttpError(400, f"Could not retrieve template from {url}: {exc}") from exc
    if response.status_code != 200:
        raise HttpError(400, f"Could not retrieve template from {url}: HTTP {response.status_code}")
    if len(content) > MAX_TEMPLATE_BYTES:
        raise HttpError(413, "The template is larger than 1 MB.")
    return content.decode("utf-8", "replace")


def _parameters(body: dict[str, Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    environment = body.get("environment") or {}
    if isinstance(environment, str):
        try:
            environment = json.loads(environment)
        except ValueError as exc:
            raise HttpError(400, "environment must be a JSON object.") from exc
    parameters.update((environment or {}).get("parameters") or {})
    parameters.update(body.get("parameters") or {})
    return {str(k): v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list))
            else str(v) for k, v in parameters.items()}  # fmt: skip


def _tags(body: dict[str, Any]) -> list[str]:
    tags = body.get("tags") or []
    if isinstance(tags, str):
        tags = [tag.strip() for tag in tags.split(",") if tag.strip()]
    return [str(tag) for tag in tags]


def _timeout(body: dict[str, Any]) -> int | None:
    value = body.get("timeout_mins")
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError) as exc:
        raise HttpError(400, "timeout_mins must be an integer.") from exc
    if minutes < 1:
        raise HttpError(400, "timeout_mins must be at least 1.")
    return minutes


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes")


def _validated(text: str, parameters: dict[str, Any]) -> Any:
    template = parse_template(text)
    validate_template(template, parameters)
    return template


def _enqueue(task: str, args: list[Any]) -> None:
    web_context().celery.send_task(task, args=args, queue=ENGINE_QUEUE)


def _send_operation(operation_id: int) -> None:
    web_context().celery.send_task("stacks.run_operation", args=[operation_id], queue=ENGINE_QUEUE)


def _secret_lookup(stack: Stack):  # type: ignore[no-untyped-def]
    """For outputs that ask for a stack key's secret; only the owner's token gets here."""

    def lookup(access_key_id: str) -> str | None:
        return instance_keys.stack_key_secret(
            db_session("identity"), web_context().secret_box, stack.id, access_key_id
        )

    return lookup


def _stack(tenant_id: str, name_or_id: str) -> Stack:
    return stacks.find_stack(db_session("orchestration"), tenant_id, name_or_id)


def _base() -> str:
    return request.host_url.rstrip("/") + "/v1"


@ns.route("/stacks")
class StackCollection(Resource):
    def get(self, tenant_id: str) -> dict:
        """List stacks (filters, sort_keys, sort_dir, limit, marker, show_deleted)."""
        require_tenant(tenant_id)
        filters = {
            key: request.args.getlist(key)
            for key in ("name", "status", "action", "id")
            if key in request.args
        }
        limit = request.args.get("limit")
        found = stacks.list_stacks(
            db_session("orchestration"),
            tenant_id,
            filters=filters,
            sort_keys=request.args.getlist("sort_keys") or ["created_at"],
            sort_dir=request.args.get("sort_dir", "desc"),
            limit=int(limit) if limit and limit.isdigit() else None,
            marker=request.args.get("marker"),
            show_deleted=_flag(request.args.get("show_deleted"), False),
        )
        return {"stacks": [presentation.stack_summary(s, _base()) for s in found]}

    def post(self, tenant_id: str) -> tuple[dict, int]:
        """Create a stack: validate, record, and hand the operation to the engine."""
        require_tenant(tenant_id)
        body = _body()
        name = stacks.check_stack_name(body.get("stack_name"))
        parameters = _parameters(body)
        template = _validated(_template_text(body), parameters)
        session = db_session("orchestration")
        stack, operation = stacks.create_stack(
            session,
            tenant_id,
            name=name,
            template=dict(template.document),
            parameters=parameters,
            timeout_mins=_timeout(body),
            disable_rollback=_flag(body.get("disable_rollback"), True),
            tags=_tags(body),
            now=_now(),
        )
        stack_id, operation_id = stack.id, operation.id
        session.commit()
        _send_operation(operation_id)
        link = f"{_base()}/{tenant_id}/stacks/{name}/{stack_id}"
        return {"stack": {"id": stack_id, "links": [{"href": link, "rel": "self"}]}}, 201


def _update(tenant_id: str, name_or_id: str, *, patch: bool) -> tuple[dict, int]:
    """PUT replaces template and parameters; PATCH keeps what is not given (existing)."""
    require_tenant(tenant_id)
    body = _body()
    session = db_session("orchestration")
    stack = stacks.find_stack(session, tenant_id, name_or_id, live_only=True)
    if patch:
        parameters = {**(stack.parameters or {}), **_parameters(body)}
        for name in body.get("clear_parameters") or []:
            parameters.pop(name, None)
        has_template = body.get("template") is not None or body.get("template_url")
        text = _template_text(body) if has_template else json.dumps(stack.template)
    else:
        parameters = _parameters(body)
        text = _template_text(body)
    template = _validated(text, parameters)
    if body.get("timeout_mins") is not None:
        stack.timeout_mins = _timeout(body)
    if "disable_rollback" in body:
        stack.disable_rollback = _flag(body.get("disable_rollback"), True)
    if "tags" in body:
        stack.tags = _tags(body)
    operation = stacks.start_operation(
        session, stack, "UPDATE", dict(template.document), parameters, _now()
    )
    operation_id = operation.id
    session.commit()
    _send_operation(operation_id)
    return {}, 202


def _delete(tenant_id: str, name_or_id: str) -> tuple[str, int]:
    require_tenant(tenant_id)
    session = db_session("orchestration")
    stack = stacks.find_stack(session, tenant_id, name_or_id, live_only=True)
    operation = stacks.start_operation(
        session, stack, "DELETE", stack.template, stack.parameters or {}, _now()
    )
    operation_id = operation.id
    session.commit()
    _send_operation(operation_id)
    return "", 204


@ns.route("/stacks/<string:stack_ref>")
class StackLookup(Resource):
    def get(self, tenant_id: str, stack_ref: str):  # type: ignore[no-untyped-def]
        """302 to the stack's canonical /stacks/<name>/<id> (heatclient's stacks:lookup)."""
        require_tenant(tenant_id)
        stack = _stack(tenant_id, stack_ref)
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        return redirect(f"{_base()}/{tenant_id}/stacks/{stack.name}/{stack.id}{query}", 302)

    def put(self, tenant_id: str, stack_ref: str) -> tuple[dict, int]:
        return _update(tenant_id, stack_ref, patch=False)

    def patch(self, tenant_id: str, stack_ref: str) -> tuple[dict, int]:
        return _update(tenant_id, stack_ref, patch=True)

    def delete(self, tenant_id: str, stack_ref: str) -> tuple[str, int]:
        return _delete(tenant_id, stack_ref)


@ns.route("/stacks/<string:stack_name>/<string:stack_id>")
class StackItem(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str):  # type: ignore[no-untyped-def]
        require_tenant(tenant_id)
        if stack_id in SUB_COLLECTIONS:  # /stacks/<name or id>/resources and the like
            stack = _stack(tenant_id, stack_name)
            return redirect(f"{_base()}/{tenant_id}/stacks/{stack.name}/{stack.id}/{stack_id}", 302)
        stack = _stack(tenant_id, stack_id)
        resolve = _flag(request.args.get("resolve_outputs"), True)
        detail = presentation.stack_detail(
            db_session("orchestration"), stack, _base(), web_context().settings,
            resolve_outputs=resolve, secret_lookup=_secret_lookup(stack),
        )  # fmt: skip
        return {"stack": detail}

    def put(self, tenant_id: str, stack_name: str, stack_id: str) -> tuple[dict, int]:
        return _update(tenant_id, stack_id, patch=False)

    def patch(self, tenant_id: str, stack_name: str, stack_id: str) -> tuple[dict, int]:
        return _update(tenant_id, stack_id, patch=True)

    def delete(self, tenant_id: str, stack_name: str, stack_id: str) -> tuple[str, int]:
        return _delete(tenant_id, stack_id)


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/resources")
class ResourceCollection(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str) -> dict:
        require_tenant(tenant_id)
        session = db_session("orchestration")
        stack = _stack(tenant_id, stack_id)
        return {
            "resources": [
                presentation.resource_view(stack, r, _base())
                for r in stacks.current_resources(session, stack.id)
            ]
        }


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/resources/<string:resource_name>")
class ResourceItem(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str, resource_name: str) -> dict:
        require_tenant(tenant_id)
        session = db_session("orchestration")
        stack = _stack(tenant_id, stack_id)
        resource = stacks.find_resource(session, stack, resource_name)
        view = presentation.resource_view(stack, resource, _base())
        view["attributes"] = presentation.resource_attributes(stack, resource)
        return {"resource": view}


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/resources/<string:resource_name>/metadata")
class ResourceMetadata(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str, resource_name: str) -> dict:
        """The resource's metadata: for the tenant, and for its own stack's instances."""
        principal = require_principal(tenant_id)
        stack = _stack(tenant_id, stack_id)
        require_same_stack(principal, stack)
        resource = stacks.find_resource(db_session("orchestration"), stack, resource_name)
        return {"metadata": resource.resource_metadata or {}}


@ns.route(
    "/stacks/<string:stack_name>/<string:stack_id>/resources/<string:resource_name>/credentials"
)
class ResourceCredentials(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str, resource_name: str):  # type: ignore[no-untyped-def]
        """A rotated key waiting for this instance (200), or nothing (204). Only the instance
        itself may ask, signing with its current key (cfn-hup polls this)."""
        principal = require_principal(tenant_id)
        if principal.kind != "instance":
            raise HttpError(403, "Only the instance's own key may fetch its credentials.")
        stack = _stack(tenant_id, stack_id)
        require_same_stack(principal, stack, resource_name)
        waiting = instance_keys.pending_successor(
            db_session("identity"), web_context().secret_box, principal.access_key_id or ""
        )
        if waiting is None:
            return "", 204
        return {"AccessKeyId": waiting[0], "SecretAccessKey": waiting[1]}, 200


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/resources/<string:resource_name>/signal")
class ResourceSignal(Resource):
    def post(self, tenant_id: str, stack_name: str, stack_id: str, resource_name: str):  # type: ignore[no-untyped-def]
        """Signal a resource (heatclient's resource-signal, or an instance of the stack)."""
        principal = require_principal(tenant_id)
        stack = _stack(tenant_id, stack_id)
        require_same_stack(principal, stack)
        payload = request.get_json(silent=True) or {}
        signals.deliver_signal(
            db_session("orchestration"), stack, resource_name, payload, _now(), _enqueue
        )
        return None, 200


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/events")
class StackEvents(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str) -> dict:
        return _events(tenant_id, stack_id, None)


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/resources/<string:resource_name>/events")
class ResourceEvents(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str, resource_name: str) -> dict:
        return _events(tenant_id, stack_id, resource_name)


def _events(tenant_id: str, stack_id: str, resource_name: str | None) -> dict:
    require_tenant(tenant_id)
    stack = _stack(tenant_id, stack_id)
    limit = request.args.get("limit")
    found = stacks.events(
        db_session("orchestration"),
        stack,
        resource_name=resource_name,
        limit=int(limit) if limit and limit.isdigit() else None,
        marker=request.args.get("marker"),
        sort_dir=request.args.get("sort_dir", "asc"),
    )
    return {"events": [presentation.event_view(stack, e, _base()) for e in found]}


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/outputs")
class StackOutputs(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str) -> dict:
        require_tenant(tenant_id)
        stack = _stack(tenant_id, stack_id)
        outputs = presentation.outputs(
            db_session("orchestration"), stack, web_context().settings, _secret_lookup(stack)
        )
        return {"outputs": [{k: o[k] for k in ("output_key", "description")} for o in outputs]}


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/outputs/<string:output_key>")
class StackOutput(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str, output_key: str) -> dict:
        require_tenant(tenant_id)
        stack = _stack(tenant_id, stack_id)
        for output in presentation.outputs(
            db_session("orchestration"), stack, web_context().settings
        ):
            if output["output_key"] == output_key:
                return {"output": output}
        raise HttpError(404, f"Specified output key {output_key} not found.")


@ns.route("/stacks/<string:stack_name>/<string:stack_id>/template")
class StackTemplate(Resource):
    def get(self, tenant_id: str, stack_name: str, stack_id: str) -> dict:
        require_tenant(tenant_id)
        return dict(_stack(tenant_id, stack_id).template)


@ns.route("/validate")
class Validate(Resource):
    def post(self, tenant_id: str) -> dict:
        """Validate a template (and parameters, if given); 400 names the problem."""
        require_tenant(tenant_id)
        body = _body()
        text = _template_text(body)
        template = parse_template(text)
        parameters = _parameters(body)
        validate_template(template, parameters or None)
        return presentation.validation_view(template)
