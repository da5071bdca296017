"""Stack services: records, the operation lock, events, and what the API shows.

The API validates and records; the engine (tasks/stacks.py → engine.py) does the work. A stack
runs one operation at a time: `lock_operation_id` is taken with a conditional UPDATE when an
operation starts, and released when it ends. A lock whose operation's worker died is not
lost: the engine sweep resumes the operation (its steps are idempotent), so the lock is held
until the operation really ends.

Decisions:
- Stack names follow Heat: a letter first, then letters, digits, `_`, `-`, `.`; at most 255.
  Names are unique per tenant among stacks that are not deleted (409 otherwise).
- Deleted stacks keep their rows; listing hides them unless show_deleted is asked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from models.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    OperationInProgressError,
)
from models.orchestration.tables import Event, Resource, Stack, StackOperation

STACK_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$")
LIST_LIMIT_MAX = 1000
SORT_KEYS = {"stack_name": Stack.name, "created_at": Stack.created_at,
             "updated_at": Stack.updated_at, "stack_status": Stack.status}  # fmt: skip


def check_stack_name(name: Any) -> str:
    if not isinstance(name, str) or not STACK_NAME.match(name):
        raise InvalidInputError(
            f"Invalid stack name {name!r}: it must start with a letter and contain only "
            "alphanumeric characters, underscores, dashes and periods (at most 255)."
        )
    return name


def stack_status(stack: Stack) -> str:
    return f"{stack.action}_{stack.status}"


def find_stack(
    session: Session, tenant_id: str, name_or_id: str, *, live_only: bool = False
) -> Stack:
    """A stack by id or by name (Heat accepts either in every path). By name only live
    stacks are found; by id a deleted stack can still be shown (DELETE_COMPLETE), but with
    `live_only` (updates, deletes, signals) it is 404, as in Heat."""
    stack = session.get(Stack, name_or_id)
    if stack is not None and live_only and stack.deleted_at is not None:
        stack = None
    if stack is None or stack.tenant_id != tenant_id:
        stack = session.scalar(
            select(Stack)
            .where(
                Stack.tenant_id == tenant_id, Stack.name == name_or_id, Stack.deleted_at.is_(None)
            )
            .order_by(Stack.created_at.desc())
        )
    if stack is None:
        raise NotFoundError(f"The Stack ({name_or_id}) could not be found.")
    return stack


def create_stack(
    session: Session,
    tenant_id: str,
    *,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, Any],
    timeout_mins: int | None,
    disable_rollback: bool,
    tags: Sequence[str],
    now: datetime,
) -> tuple[Stack, StackOperation]:
    check_stack_name(name)
    taken = session.scalar(
        select(Stack.id).where(
            Stack.tenant_id == tenant_id, Stack.name == name, Stack.deleted_at.is_(None)
        )
    )
    if taken is not None:
        raise ConflictError(f"The Stack ({name}) already exists.")
    stack = Stack(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name=name,
        action="CREATE",
        status="IN_PROGRESS",
        status_reason="Stack CREATE started",
        description=str(template.get("Description", "")),
        template=template,
        parameters=dict(parameters),
        tags=list(tags),
        disable_rollback=disable_rollback,
        timeout_mins=timeout_mins,
        created_at=now,
    )
    session.add(stack)
    session.flush()
    operation = start_operation(session, stack, "CREATE", template, parameters, now)
    return stack, operation


def start_operation(
    session: Session,
    stack: Stack,
    action: str,
    template: dict[str, Any],
    parameters: dict[str, Any],
    now: datetime,
    *,
    visible: bool = True,
) -> StackOperation:
    """Record an operation and take the stack's lock for it; 409 when another one runs.

    `visible=False` (signals) holds the lock without changing the stack's status."""
    operation = StackOperation(
        stack_id=stack.id,
        action=action,
        status="IN_PROGRESS",
        template=template,
        parameters=dict(parameters),
        created_at=now,
        deadline=now + timedelta(minutes=stack.timeout_mins) if stack.timeout_mins else None,
        heartbeat_at=now,
        steps=0,
    )
    session.add(operation)
    session.flush()
    values: dict[str, Any] = {"lock_operation_id": operation.id}
    if visible:
        values.update(
            action=action,
            status="IN_PROGRESS",
            status_reason=f"Stack {action} started",
            updated_at=now if action != "CREATE" else None,
        )
    taken = session.execute(
        update(Stack)
        .where(
            Stack.id == stack.id,
            or_(Stack.lock_operation_id.is_(None), Stack.lock_operation_id == operation.id),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.delete(operation)  # never leave an orphan operation for the sweep to find
        session.flush()
        raise OperationInProgressError(
            f"Stack {stack.name} already has an action ({stack.action}) in progress."
        )
    session.refresh(stack)
    if visible:
        record_event(session, stack, None, action, "IN_PROGRESS", f"Stack {action} started", now)
    return operation


def end_operation(
    session: Session, stack: Stack, operation: StackOperation, status: str, reason: str
) -> None:
    operation.status, operation.reason, operation.claimed_until = status, reason, None
    stack.lock_operation_id = None


def record_event(
    session: Session,
    stack: Stack,
    resource: Resource | None,
    action: str,
    status: str,
    reason: str,
    now: datetime,
) -> Event:
    event = Event(
        uuid=str(uuid.uuid4()),
        stack_id=stack.id,
        resource_name=resource.name if resource else stack.name,
        physical_resource_id=(resource.physical_id if resource else stack.id) or "",
        resource_type=resource.type if resource else "OS::Heat::Stack",
        action=action,
        status=status,
        reason=reason,
        timestamp=now,
    )
    session.add(event)
    return event


def list_stacks(
    session: Session,
    tenant_id: str,
    *,
    filters: dict[str, list[str]],
    sort_keys: Sequence[str] = ("created_at",),
    sort_dir: str = "desc",
    limit: int | None = None,
    marker: str | None = None,
    show_deleted: bool = False,
) -> list[Stack]:
    query = select(Stack).where(Stack.tenant_id == tenant_id)
    if not show_deleted:
        query = query.where(Stack.deleted_at.is_(None))
    for key, values in filters.items():
        if key == "name":
            query = query.where(Stack.name.in_(values))
        elif key in ("status", "stack_status"):
            # "COMPLETE" matches the status alone; "CREATE_COMPLETE" both parts.
            conditions = []
            for value in values:
                action, _, status = value.rpartition("_")
                if value.endswith("IN_PROGRESS"):
                    action, status = value.removesuffix("IN_PROGRESS").rstrip("_"), "IN_PROGRESS"
                if action:
                    conditions.append(and_(Stack.action == action, Stack.status == status))
                else:
                    conditions.append(Stack.status == status)
            query = query.where(or_(*conditions))
        elif key == "action":
            query = query.where(Stack.action.in_(values))
        elif key == "id":
            query = query.where(Stack.id.in_(values))
        else:
            raise InvalidInputError(f"Unknown filter: {key}")
    columns = []
    for key in sort_keys:
        if key not in SORT_KEYS:
            raise InvalidInputError(f"Sorting by {key} is not supported.")
        column = SORT_KEYS[key]
        columns.append(column.desc() if sort_dir == "desc" else column.asc())
    query = query.order_by(*columns, Stack.id)
    stacks = list(session.scalars(query))
    if marker is not None:
        ids = [s.id for s in stacks]
        if marker not in ids:
            raise NotFoundError(f"The marker {marker} could not be found.")
        stacks = stacks[ids.index(marker) + 1 :]
    if limit is not None:
        if limit < 0:
            raise InvalidInputError("limit must not be negative.")
        stacks = stacks[: min(limit, LIST_LIMIT_MAX)]
    return stacks


def current_resources(session: Session, stack_id: str) -> list[Resource]:
    return list(
        session.scalars(
            select(Resource)
            .where(Resource.stack_id == stack_id, Resource.current.is_(True))
            .order_by(Resource.id)
        )
    )


def find_resource(session: Session, stack: Stack, name: str) -> Resource:
    resource = session.scalar(
        select(Resource).where(
            Resource.stack_id == stack.id, Resource.name == name, Resource.current.is_(True)
        )
    )
    if resource is None:
        raise NotFoundError(f"The Resource ({name}) could not be found in Stack {stack.name}.")
    return resource


def events(
    session: Session,
    stack: Stack,
    *,
    resource_name: str | None = None,
    limit: int | None = None,
    marker: str | None = None,
    sort_dir: str = "asc",
) -> list[Event]:
    query = select(Event).where(Event.stack_id == stack.id)
    if resource_name is not None:
        query = query.where(Event.resource_name == resource_name)
    if marker is not None:
        anchor = session.scalar(select(Event.id).where(Event.uuid == marker))
        if anchor is None:
            raise NotFoundError(f"The event {marker} could not be found.")
        query = query.where(Event.id > anchor if sort_dir == "asc" else Event.id < anchor)
    query = query.order_by(Event.id.asc() if sort_dir == "asc" else Event.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
