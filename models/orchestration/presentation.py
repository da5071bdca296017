"""Stacks, resources and events in the JSON shapes of Heat's v1 API (what heatclient reads)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from config.settings import Settings
from models.orchestration import stacks
from models.orchestration.context import LiveStack, ReadOnlyServices
from models.orchestration.tables import Event, Resource, Stack
from models.orchestration.templates import Template

NO_ECHO = "******"


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def stack_link(stack: Stack, base: str) -> str:
    return f"{base}/{stack.tenant_id}/stacks/{stack.name}/{stack.id}"


def stack_summary(stack: Stack, base: str) -> dict[str, Any]:
    return {
        "id": stack.id,
        "stack_name": stack.name,
        "description": stack.description,
        "stack_status": stacks.stack_status(stack),
        "stack_status_reason": stack.status_reason,
        "creation_time": iso(stack.created_at),
        "updated_time": iso(stack.updated_at),
        "deletion_time": iso(stack.deleted_at),
        "tags": stack.tags or None,
        "stack_owner": None,
        "stack_user_project_id": stack.tenant_id,
        "parent": None,
        "project": stack.tenant_id,
        "links": [{"href": stack_link(stack, base), "rel": "self"}],
    }


SecretLookup = Callable[[str], str | None]


def live(
    session: Session, stack: Stack, settings: Settings, secret_lookup: SecretLookup | None = None
) -> LiveStack:
    services = ReadOnlyServices(settings=settings, session=session, secret_lookup=secret_lookup)
    return LiveStack(session, stack, services, stack.template, stack.parameters or {})


def stack_detail(
    session: Session,
    stack: Stack,
    base: str,
    settings: Settings,
    *,
    resolve_outputs: bool = True,
    secret_lookup: SecretLookup | None = None,
) -> dict[str, Any]:
    context = live(session, stack, settings, secret_lookup)
    detail = stack_summary(stack, base)
    detail.update(
        {
            "parameters": context.shown_parameters(NO_ECHO),
            "disable_rollback": stack.disable_rollback,
            "timeout_mins": stack.timeout_mins,
            "capabilities": [],
            "notification_topics": [],
            "template_description": stack.description,
        }
    )
    if resolve_outputs:
        detail["outputs"] = context.outputs()
    return detail


def outputs(
    session: Session, stack: Stack, settings: Settings, secret_lookup: SecretLookup | None = None
) -> list[dict[str, Any]]:
    return live(session, stack, settings, secret_lookup).outputs()


def resource_view(stack: Stack, resource: Resource, base: str) -> dict[str, Any]:
    link = stack_link(stack, base)
    required_by = sorted(
        name
        for name, definition in (stack.template.get("Resources") or {}).items()
        if resource.name in _depends_on(definition)
    )
    return {
        "resource_name": resource.name,
        "logical_resource_id": resource.name,
        "physical_resource_id": resource.physical_id or "",
        "resource_type": resource.type,
        "resource_status": f"{resource.action}_{resource.status}",
        "resource_status_reason": resource.status_reason,
        "creation_time": iso(resource.created_at),
        "updated_time": iso(resource.updated_at or resource.created_at),
        "required_by": required_by,
        "description": "",
        "links": [
            {"href": f"{link}/resources/{resource.name}", "rel": "self"},
            {"href": link, "rel": "stack"},
        ],
    }


def _depends_on(definition: dict[str, Any]) -> list[str]:
    depends = definition.get("DependsOn") or []
    return [depends] if isinstance(depends, str) else list(depends)


def resource_attributes(stack: Stack, resource: Resource) -> dict[str, Any]:
    return dict((resource.data or {}).get("attributes") or {})


def event_view(stack: Stack, event: Event, base: str) -> dict[str, Any]:
    link = stack_link(stack, base)
    return {
        "id": event.uuid,
        "event_time": iso(event.timestamp),
        "resource_name": event.resource_name,
        "logical_resource_id": event.resource_name,
        "physical_resource_id": event.physical_resource_id or "",
        "resource_status": f"{event.action}_{event.status}",
        "resource_status_reason": event.reason,
        "resource_type": event.resource_type,
        "links": [
            {"href": f"{link}/resources/{event.resource_name}/events/{event.uuid}",
             "rel": "self"},
            {"href": f"{link}/resources/{event.resource_name}", "rel": "resource"},
            {"href": link, "rel": "stack"},
        ],
    }  # fmt: skip


def validation_view(template: Template) -> dict[str, Any]:
    """POST /validate's answer: the description and the parameters' definitions."""
    parameters = {}
    for name, definition in template.parameters.items():
        shown: dict[str, Any] = {
            "Type": definition.type,
            "Description": definition.description or "",
            "NoEcho": "true" if definition.no_echo else "false",
            "Label": name,
        }
        if definition.default is not None:
            shown["Default"] = definition.default
        if definition.allowed_values is not None:
            shown["AllowedValues"] = list(definition.allowed_values)
        if definition.constraint_description:
            shown["ConstraintDescription"] = definition.constraint_description
        parameters[name] = shown
    return {"Description": template.description or "", "Parameters": parameters}
