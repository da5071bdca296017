"""CloudWatch tagging and dashboard operations (cloudwatch-api.md §3.13, §3.14)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.errors import MissingParameterError
from models.identity.tenants import Principal
from models.watch import dashboards, tags
from models.watch.alarm_validation import normalised_tags, tag_problems
from models.watch.dashboard_validation import (
    DashboardBodyError,
    validate_dashboard_body,
    validate_dashboard_name,
    validate_dashboard_name_prefix,
)
from web.aws import errors
from web.context import web_context
from web.sessions import db_session


def _now() -> datetime:
    return datetime.now(UTC)


def _required(params: dict[str, Any], name: str) -> Any:
    if not params.get(name):
        raise MissingParameterError(f"The parameter {name} is required.")
    return params[name]


def _resource(principal: Principal, params: dict[str, Any]) -> tuple[str, str]:
    arn = _required(params, "ResourceARN")
    return tags.parse_arn(arn, web_context().settings.region, principal.tenant_id)


def _check_tags(params: dict[str, Any], member: str) -> None:
    problems = tag_problems(params.get(member), member)
    if problems:
        raise problems[0][0]("\n".join(message for _, message in problems))


def tag_resource(principal: Principal, params: dict[str, Any]) -> None:
    kind, name = _resource(principal, params)
    _required(params, "Tags")
    _check_tags(params, "Tags")
    session = db_session("watch")
    tags.tag_resource(session, principal.tenant_id, kind, name, normalised_tags(params["Tags"]))
    session.commit()


def untag_resource(principal: Principal, params: dict[str, Any]) -> None:
    kind, name = _resource(principal, params)
    keys = _required(params, "TagKeys")
    session = db_session("watch")
    tags.untag_resource(session, principal.tenant_id, kind, name, keys)
    session.commit()


def list_tags_for_resource(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    kind, name = _resource(principal, params)
    found = tags.list_tags(db_session("watch"), principal.tenant_id, kind, name)
    return {"Tags": [{"Key": key, "Value": value} for key, value in found]}


def put_dashboard(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    name = _required(params, "DashboardName")
    validate_dashboard_name(name)
    body = _required(params, "DashboardBody")
    _check_tags(params, "Tags")
    try:
        warnings = validate_dashboard_body(body)
    except DashboardBodyError as exc:
        raise errors.DashboardInvalidInputError(
            exc.message,
            dashboardValidationMessages=[
                {"DataPath": m.data_path, "Message": m.message} for m in exc.messages
            ],
        ) from exc
    session = db_session("watch")
    dashboards.put_dashboard(
        session, principal.tenant_id, name, body, normalised_tags(params.get("Tags")), _now()
    )
    session.commit()
    return {
        "DashboardValidationMessages": [
            {"DataPath": m.data_path, "Message": m.message} for m in warnings
        ]
    }


def get_dashboard(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    name = _required(params, "DashboardName")
    found = dashboards.get_dashboard(db_session("watch"), principal.tenant_id, name)
    return {
        "DashboardArn": dashboards.dashboard_arn(principal.tenant_id, found.name),
        "DashboardBody": found.body,
        "DashboardName": found.name,
    }


def list_dashboards(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    prefix = params.get("DashboardNamePrefix")
    validate_dashboard_name_prefix(prefix)
    entries, next_token = dashboards.list_dashboards(
        db_session("watch"), principal.tenant_id, prefix, params.get("NextToken")
    )
    result: dict[str, Any] = {
        "DashboardEntries": [
            {
                "DashboardName": entry.name,
                "DashboardArn": dashboards.dashboard_arn(principal.tenant_id, entry.name),
                "LastModified": entry.last_modified,
                "Size": entry.size,
            }
            for entry in entries
        ]
    }
    if next_token:
        result["NextToken"] = next_token
    return result


def delete_dashboards(principal: Principal, params: dict[str, Any]) -> None:
    names = _required(params, "DashboardNames")
    session = db_session("watch")
    dashboards.delete_dashboards(session, principal.tenant_id, names)
    session.commit()


HANDLERS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "PutDashboard": put_dashboard,
    "GetDashboard": get_dashboard,
    "ListDashboards": list_dashboards,
    "DeleteDashboards": delete_dashboards,
}
