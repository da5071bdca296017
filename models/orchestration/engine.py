"""The engine: one short step of a stack operation at a time.

`stacks.run_operation` (tasks/stacks.py) calls `run_step` and, unless the operation ended,
sends itself again a moment later. A step never waits: it starts what can start (resources
whose dependencies are complete) and polls what is in progress (`check_*_complete`), so a
handful of engine workers drive hundreds of stacks, and an instance booting or a
WaitCondition's timeout costs no worker any time.

Exclusivity: a step first claims the operation (`claimed_until`, a conditional UPDATE), so two
copies of the step message never run at once; a worker that dies mid-step loses its claim when
the lease ends, and the engine sweep sends the next step. Steps are idempotent: they read the
resources' states and act on them, and each resource moves through its states with its row.

Operations:
- CREATE / UPDATE: converge the resources towards the operation's template, in dependency
  order (independent resources in parallel). UPDATE changes a resource in place when every
  changed property is one its type can update, else replaces it (the new one is created
  first, the old one deleted after), and deletes resources the template no longer has.
- DELETE / ROLLBACK: delete every resource, dependents first. A CREATE that fails rolls back
  unless disable_rollback; an UPDATE that fails stops at UPDATE_FAILED (decision: no
  automatic rollback of updates).
- SIGNAL: converge the resources a signal changed (an autoscaling group a policy resized),
  under the stack's lock, without changing the stack's visible status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.errors import DomainError
from models.orchestration import stacks
from models.orchestration.context import LiveStack
from models.orchestration.resources.base import EngineServices, ResourceFailure
from models.orchestration.resources.registry import plugin_for
from models.orchestration.tables import Resource, Stack, StackOperation
from models.orchestration.templates import ResourceDef, deletion_order

log = logging.getLogger("heatwatch.engine")

LEASE = timedelta(seconds=60)
STEP_INTERVAL = 1.0  # seconds between polls of an operation with work in progress


@dataclass(frozen=True)
class StepOutcome:
    finished: bool
    next_step_in: float | None = None


def claim(session: Session, operation_id: int, now: datetime) -> StackOperation | None:
    claimed = session.execute(
        update(StackOperation)
        .where(
            StackOperation.id == operation_id,
            StackOperation.status == "IN_PROGRESS",
            or_(StackOperation.claimed_until.is_(None), StackOperation.claimed_until < now),
        )
        .values(claimed_until=now + LEASE, heartbeat_at=now, steps=StackOperation.steps + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(StackOperation, operation_id, populate_existing=True)


def stale_operations(session: Session, now: datetime) -> list[int]:
    """Operations in progress whose last step is long past (a lost message, a dead worker)."""
    return list(
        session.scalars(
            select(StackOperation.id).where(
                StackOperation.status == "IN_PROGRESS",
                or_(StackOperation.claimed_until.is_(None), StackOperation.claimed_until < now),
                StackOperation.heartbeat_at < now - timedelta(seconds=30),
            )
        )
    )


def start_healing(session: Session, svc: EngineServices, now: datetime) -> list[int]:
    """Autoscaling groups that lost members (an instance died or vanished) get a SIGNAL
    operation that converges them back to their desired capacity; stacks that are busy are
    left for a later sweep."""
    groups = session.scalars(
        select(Resource)
        .join(Stack, Stack.id == Resource.stack_id)
        .where(
            Resource.type == "AWS::AutoScaling::AutoScalingGroup",
            Resource.current.is_(True),
            Resource.status == "COMPLETE",
            Stack.deleted_at.is_(None),
            Stack.lock_operation_id.is_(None),
        )
    )
    started = []
    for group in groups:
        members = (group.data or {}).get("members", [])
        lost = [m for m in members if svc.compute.status(m).state in ("ERROR", "DELETED",
                                                                      "SHUTOFF")]  # fmt: skip
        if not lost:
            continue
        stack = session.get(Stack, group.stack_id)
        assert stack is not None
        try:
            operation = stacks.start_operation(
                session, stack, "SIGNAL", stack.template, stack.parameters or {}, now,
                visible=False,
            )  # fmt: skip
        except DomainError:
            continue
        operation.parameters = {**(operation.parameters or {}), "__converge__": [group.name]}
        stacks.record_event(
            session, stack, group, "HEAL", "IN_PROGRESS",
            f"Replacing {len(lost)} lost instance(s)", now,
        )  # fmt: skip
        started.append(operation.id)
    return started


def run_step(
    session: Session,
    operation: StackOperation,
    services: Callable[[Stack], EngineServices],
    now: datetime,
) -> StepOutcome:
    stack = session.get(Stack, operation.stack_id)
    assert stack is not None
    svc = services(stack)
    try:
        if operation.deadline and now > operation.deadline and operation.action in (
            "CREATE", "UPDATE",
        ):  # fmt: skip
            raise ResourceFailure(f"Timed out after {stack.timeout_mins} minutes")
        if operation.action in ("CREATE", "UPDATE"):
            done = _converge_up(session, stack, operation, svc, now)
        elif operation.action in ("DELETE", "ROLLBACK"):
            done = _converge_down(session, stack, operation, svc, now)
        else:
            done = _converge_signalled(session, stack, operation, svc, now)
    except (ResourceFailure, DomainError) as exc:
        reason = str(exc) if isinstance(exc, ResourceFailure) else exc.message
        return _fail(session, stack, operation, reason, now)
    operation.claimed_until = None
    if done:
        _finish(session, stack, operation, now)
        return StepOutcome(finished=True)
    return StepOutcome(finished=False, next_step_in=STEP_INTERVAL)


# --- Creating and updating -------------------------------------------------------------------


def _converge_up(
    session: Session, stack: Stack, operation: StackOperation, svc: EngineServices, now: datetime
) -> bool:
    context = LiveStack(session, stack, svc, operation.template, operation.parameters)
    wanted = context.active_resources()
    graph = context.dependencies()
    rows = {r.name: r for r in stacks.current_resources(session, stack.id)}
    # A resource starts only once its dependencies were complete at the start of this step,
    # i.e. committed: what it is given (a handle's URL, say) must already be visible to the
    # instance or service that uses it, which may call back before this step commits.
    ready = {name for name, row in rows.items()
             if row.status == "COMPLETE" and row.action in ("CREATE", "UPDATE")}  # fmt: skip
    all_done = True
    for name in context.creation_order():
        if name not in wanted:
            continue
        definition = wanted[name]
        row = rows.get(name)
        plugin = plugin_for(definition.type, name)
        if row is not None and row.action in ("CREATE", "UPDATE") and row.status == "IN_PROGRESS":
            if not _poll(session, stack, row, svc, now):
                all_done = False
            continue
        if row is not None and row.status == "FAILED":
            raise ResourceFailure(f"Resource {row.action} failed: {row.status_reason}")
        deps_ready = all(dep in ready for dep in graph.get(name, ()) if dep in wanted)
        if not deps_ready:
            all_done = False
            continue
        if row is None or row.action == "INIT":
            props = plugin.validate(name, context.resolve_properties(definition))
            row = row or _new_row(session, stack, name, definition.type, 0)
            rows[name] = row
            _start(session, stack, row, "CREATE", props, definition, context, svc, now)
            if not _poll(session, stack, row, svc, now):
                all_done = False
            continue
        # An existing, complete resource: does the new template change it?
        props = plugin.validate(name, context.resolve_properties(definition))
        row.resource_metadata = context.resolve_metadata(definition)
        if row.type == definition.type and props == row.properties:
            continue
        changed = {key for key in set(props) | set(row.properties or {})
                   if props.get(key) != (row.properties or {}).get(key)}  # fmt: skip
        if row.type == definition.type and changed <= plugin.update_in_place:
            row.action, row.status, row.updated_at = "UPDATE", "IN_PROGRESS", now
            row.status_reason = "state changed"
            stacks.record_event(session, stack, row, "UPDATE", "IN_PROGRESS", "state changed", now)
            plugin.update(svc, stack, row, props)
            if not _poll(session, stack, row, svc, now):
                all_done = False
            continue
        # Replace: the new generation is created now, the old one deleted at the end.
        row.current = False
        replacement = _new_row(session, stack, name, definition.type, row.generation + 1)
        rows[name] = replacement
        _start(session, stack, replacement, "CREATE", props, definition, context, svc, now)
        all_done = all_done and _poll(session, stack, replacement, svc, now)
    if not all_done:
        return False
    # Everything wanted is complete: remove what the template no longer has, or replaced.
    obsolete = [r for r in _all_rows(session, stack.id) if not r.current or r.name not in wanted]
    return _delete_rows(session, stack, obsolete, {}, svc, now)


def _new_row(
    session: Session, stack: Stack, name: str, type_name: str, generation: int
) -> Resource:
    row = Resource(
        stack_id=stack.id, name=name, generation=generation, current=True, type=type_name,
        action="INIT", status="COMPLETE", properties={}, data={}, resource_metadata={},
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _start(
    session: Session,
    stack: Stack,
    row: Resource,
    action: str,
    props: dict[str, Any],
    definition: ResourceDef,
    context: LiveStack,
    svc: EngineServices,
    now: datetime,
) -> None:
    row.properties = props
    # Before create: an instance receives its metadata in its boot data (cfn-init reads it).
    row.resource_metadata = context.resolve_metadata(definition)
    row.action, row.status, row.status_reason = action, "IN_PROGRESS", "state changed"
    row.updated_at = now
    stacks.record_event(session, stack, row, action, "IN_PROGRESS", "state changed", now)
    plugin_for(row.type).create(svc, stack, row)
    session.flush()


def _poll(
    session: Session, stack: Stack, row: Resource, svc: EngineServices, now: datetime
) -> bool:
    plugin = plugin_for(row.type)
    try:
        if row.action == "CREATE":
            done = plugin.check_create_complete(svc, stack, row)
        elif row.action == "UPDATE":
            done = plugin.check_update_complete(svc, stack, row)
        else:
            done = plugin.check_delete_complete(svc, stack, row)
    except ResourceFailure as exc:
        row.status, row.status_reason, row.updated_at = "FAILED", str(exc), now
        stacks.record_event(session, stack, row, row.action, "FAILED", str(exc), now)
        session.flush()
        raise ResourceFailure(f"Resource {row.action} failed: {exc}") from exc
    if done:
        row.status, row.status_reason, row.updated_at = "COMPLETE", "state changed", now
        stacks.record_event(session, stack, row, row.action, "COMPLETE", "state changed", now)
    session.flush()
    return done


# --- Deleting --------------------------------------------------------------------------------


def _all_rows(session: Session, stack_id: str) -> list[Resource]:
    return list(session.scalars(select(Resource).where(Resource.stack_id == stack_id)))


def _converge_down(
    session: Session, stack: Stack, operation: StackOperation, svc: EngineServices, now: datetime
) -> bool:
    context = LiveStack(session, stack, svc, operation.template, operation.parameters)
    return _delete_rows(session, stack, _all_rows(session, stack.id), context.dependencies(),
                        svc, now)  # fmt: skip


def _delete_rows(
    session: Session,
    stack: Stack,
    rows: list[Resource],
    graph: dict[str, frozenset[str]],
    svc: EngineServices,
    now: datetime,
) -> bool:
    """Delete `rows`, dependents first; True once they are all gone."""
    remaining = {r.name for r in rows}
    # Dependents first within this very step: a resource whose dependents finished deleting
    # earlier in the loop can start now, so a stack of quick deletes goes in one step.
    order = {name: index for index, name in enumerate(deletion_order(graph))}
    rows = sorted(rows, key=lambda r: order.get(r.name, -1))
    for row in rows:
        if row.action == "DELETE" and row.status == "IN_PROGRESS":
            if _poll(session, stack, row, svc, now):
                remaining.discard(row.name)
                session.delete(row)
            continue
        if row.action == "INIT":
            remaining.discard(row.name)
            session.delete(row)
            continue
        dependents = [n for n, deps in graph.items() if row.name in deps and n in remaining
                      and n != row.name]  # fmt: skip
        if dependents:
            continue
        row.action, row.status, row.status_reason = "DELETE", "IN_PROGRESS", "state changed"
        stacks.record_event(session, stack, row, "DELETE", "IN_PROGRESS", "state changed", now)
        plugin_for(row.type).delete(svc, stack, row)
        if _poll(session, stack, row, svc, now):
            remaining.discard(row.name)
            session.delete(row)
    session.flush()
    return not remaining


# --- Signals ---------------------------------------------------------------------------------


def _converge_signalled(
    session: Session, stack: Stack, operation: StackOperation, svc: EngineServices, now: datetime
) -> bool:
    names = (operation.parameters or {}).get("__converge__", [])
    done = True
    for name in names:
        row = stacks.find_resource(session, stack, name)
        done = plugin_for(row.type).check_update_complete(svc, stack, row) and done
    session.flush()
    return done


# --- Ending ----------------------------------------------------------------------------------


def _finish(session: Session, stack: Stack, operation: StackOperation, now: datetime) -> None:
    operation.status = "COMPLETE"
    operation.claimed_until = None
    action = operation.action
    if action != "SIGNAL":
        stack.action, stack.status = action, "COMPLETE"
        stack.status_reason = f"Stack {action} completed successfully"
        if action == "UPDATE":
            stack.template, stack.parameters = operation.template, operation.parameters
            stack.updated_at = now
        if action == "DELETE":
            stack.deleted_at = now
        stacks.record_event(session, stack, None, action, "COMPLETE", stack.status_reason, now)
    stack.lock_operation_id = None
    log.info("stack operation complete", extra={"stack_id": stack.id, "action": action})


def _fail(
    session: Session, stack: Stack, operation: StackOperation, reason: str, now: datetime
) -> StepOutcome:
    action = operation.action
    log.info("stack operation failed", extra={"stack_id": stack.id, "action": action,
                                              "reason": reason})  # fmt: skip
    if action == "SIGNAL":
        operation.status, operation.reason, operation.claimed_until = "FAILED", reason, None
        stack.lock_operation_id = None
        return StepOutcome(finished=True)
    stack.action, stack.status, stack.status_reason = action, "FAILED", reason
    stacks.record_event(session, stack, None, action, "FAILED", reason, now)
    if action == "CREATE" and not stack.disable_rollback:
        # The same operation carries on as the rollback: it keeps the stack's lock.
        operation.action, operation.reason, operation.claimed_until = "ROLLBACK", reason, None
        operation.deadline = None
        stack.action, stack.status = "ROLLBACK", "IN_PROGRESS"
        stack.status_reason = f"Rollback of a failed create: {reason}"
        stacks.record_event(session, stack, None, "ROLLBACK", "IN_PROGRESS", reason, now)
        return StepOutcome(finished=False, next_step_in=0.0)
    operation.status, operation.reason, operation.claimed_until = "FAILED", reason, None
    stack.lock_operation_id = None
    return StepOutcome(finished=True)
