"""/v1/<tenant_id>/dashboards: PutDashboard, GetDashboard, ListDashboards, DeleteDashboards,
with CloudWatch's dashboard validation (models/watch/dashboard_validation.py)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_restx import Namespace, Resource

from models.errors import InvalidInputError
from models.watch import dashboards
from models.watch.alarm_validation import normalised_tags, tag_problems
from models.watch.dashboard_validation import (
    DashboardBodyError,
    validate_dashboard_body,
    validate_dashboard_name,
    validate_dashboard_name_prefix,
)
from web.api.schemas import watches as schemas
from web.api.watch.http import (
    READ_ERRORS,
    WRITE_ERRORS,
    DetailedError,
    documented,
    dump,
    http_error,
    json_body,
    load,
    no_content,
    now,
    query_args,
)
from web.auth import require_tenant
from web.sessions import db_session

ns = Namespace("dashboards", path="/<string:tenant_id>/dashboards", description="Dashboards")


def _dashboard_name(name: str) -> str:
    try:
        validate_dashboard_name(name)
    except InvalidInputError as exc:
        raise http_error(404, f"Dashboard {name} does not exist.", "NotFound") from exc
    return name


def _dashboard_view(tenant_id: str, name: str) -> dict[str, Any]:
    found = dashboards.get_dashboard(db_session("watch"), tenant_id, name)
    return {
        "name": found.name,
        "dashboard_id": dashboards.dashboard_arn(tenant_id, found.name),
        "body": json.loads(found.body),
        "last_modified": found.updated_at,
    }


@ns.route("")
class DashboardList(Resource):
    @documented(
        ns, ok=(200, "A page of dashboards", schemas.DashboardPageSchema),
        errors=(400, *READ_ERRORS), query=schemas.DashboardListQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """List dashboards by name."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.DashboardListQuery)
        prefix = query.get("name_prefix")
        validate_dashboard_name_prefix(prefix)
        entries, next_token = dashboards.list_dashboards(
            db_session("watch"), principal.tenant_id, prefix, query.get("marker")
        )
        page: dict[str, Any] = {
            "dashboards": [
                {
                    "name": entry.name,
                    "dashboard_id": dashboards.dashboard_arn(principal.tenant_id, entry.name),
                    "last_modified": entry.last_modified,
                    "size": entry.size,
                }
                for entry in entries
            ]
        }
        if next_token:
            page["next_marker"] = next_token
        return dump(schemas.DashboardPageSchema, page)


@ns.route("/<string:name>")
class DashboardItem(Resource):
    @documented(ns, ok=(200, "The dashboard", schemas.DashboardSchema), errors=(401, 403, 404))
    def get(self, tenant_id: str, name: str) -> Any:
        """Show a dashboard."""
        principal = require_tenant(tenant_id)
        view = _dashboard_view(principal.tenant_id, _dashboard_name(name))
        return dump(schemas.DashboardSchema, view)

    @documented(
        ns,
        ok=[(200, "Replaced", schemas.DashboardPutSchema),
            (201, "Created", schemas.DashboardPutSchema)],
        errors=WRITE_ERRORS, body=("DashboardWrite", schemas.DashboardWriteSchema),
    )  # fmt: skip
    def put(self, tenant_id: str, name: str) -> Any:
        """Create or replace a dashboard (PutDashboard); tags count only on create."""
        principal = require_tenant(tenant_id)
        validate_dashboard_name(name)
        loaded = load(schemas.DashboardWriteSchema, json_body())
        tags = [{"Key": t["key"], "Value": t["value"]} for t in loaded.get("tags") or []]
        problems = tag_problems(tags)
        if problems:
            raise problems[0][0]("\n".join(message for _, message in problems))
        body = json.dumps(loaded["body"], separators=(",", ":"))
        try:
            warnings = validate_dashboard_body(body)
        except DashboardBodyError as exc:
            raise DetailedError(
                400, exc.message, "InvalidParameterInput",
                messages=[{"data_path": m.data_path, "message": m.message} for m in exc.messages],
            ) from exc  # fmt: skip
        session = db_session("watch")
        try:
            dashboards.get_dashboard(session, principal.tenant_id, name)
            created = False
        except dashboards.DashboardNotFoundError:
            created = True
        dashboards.put_dashboard(
            session, principal.tenant_id, name, body, normalised_tags(tags), now()
        )
        session.commit()
        view = {
            **_dashboard_view(principal.tenant_id, name),
            "messages": [{"data_path": m.data_path, "message": m.message} for m in warnings],
        }
        return dump(schemas.DashboardPutSchema, view), 201 if created else 200

    @documented(ns, ok=(204, "Deleted", None), errors=(401, 403, 404))
    def delete(self, tenant_id: str, name: str) -> Response:
        """Delete a dashboard."""
        principal = require_tenant(tenant_id)
        session = db_session("watch")
        dashboards.delete_dashboards(session, principal.tenant_id, [_dashboard_name(name)])
        session.commit()
        return no_content()
