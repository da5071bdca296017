"""Engine pool tasks: stack operations as short, re-scheduled steps; signals; the sweep.

- `stacks.run_operation(operation_id)`: one step (engine.run_step); unless the operation
  ended, it sends itself again in a second. acks_late: a step killed with its worker is
  redelivered, and steps are idempotent.
- `stacks.signal(stack_id, resource, payload)`: a scaling policy's or HARestarter's signal,
  run under the stack's lock as a SIGNAL operation; if the stack is busy it is retried.
- `stacks.sweep` (beat, every 15 s): resumes operations whose steps stopped (lost message,
  dead worker): the lock survives the worker that held it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import shared_task
from celery.result import AsyncResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models.errors import DomainError, NotFoundError, OperationInProgressError
from models.identity import instance_keys
from models.identity.crypto import SecretBox
from models.orchestration import engine, stacks
from models.orchestration.context import SettingsServices
from models.orchestration.resources.autoscaling import CooldownError
from models.orchestration.resources.registry import plugin_for
from models.orchestration.tables import Stack
from models.sessions import session_scope
from tasks.factory import context_of
from tasks.routing import ENGINE_QUEUE, WATCH_QUEUE

log = logging.getLogger("heatwatch.engine")

SIGNAL_RETRY_SECONDS = 5
SIGNAL_MAX_RETRIES = 120  # ten minutes of a busy stack


def _now() -> datetime:
    return datetime.now(UTC)


class WorkerServices(SettingsServices):
    """EngineServices for a worker: adds the watch queue and the identity store."""

    def __init__(self, app: Any, session: Session, now: datetime) -> None:
        super().__init__(settings=context_of(app).settings, session=session, now=now)
        self.app = app

    def send_watch_task(self, name: str, args: list[Any]) -> str:
        return str(self.app.send_task(name, args=args, queue=WATCH_QUEUE).id)

    def task_outcome(self, task_id: str) -> tuple[bool, Any]:
        result = AsyncResult(task_id, app=self.app)
        if not result.ready():
            return False, None
        if result.failed():
            return True, {"error": f"{type(result.result).__name__}: {result.result}"}
        return True, result.result

    def issue_instance_key(
        self, stack: Stack, resource_name: str, kind: str = "instance"
    ) -> tuple[str, str]:
        context = context_of(self.app)
        # Its own transaction in the identity store, committed at once: the instance may use
        # the key before this step's orchestration transaction commits.
        with session_scope(context.identity_db) as identity:
            return instance_keys.issue_instance_key(
                identity, SecretBox(self.settings.secret_key), stack.tenant_id, stack.id,
                resource_name, self.now, kind=kind,
            )  # fmt: skip

    def secret_of(self, access_key_id: str) -> str | None:
        return None  # the engine never needs a secret back; templates read it via the API

    def revoke_instance_keys(self, stack: Stack, resource_names: list[str] | None) -> None:
        with session_scope(context_of(self.app).identity_db) as identity:
            instance_keys.revoke_instance_keys(identity, stack.id, resource_names, self.now)


@shared_task(
    name="stacks.run_operation",
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=10,
)
def run_operation(self, operation_id: int) -> str:  # type: ignore[no-untyped-def]
    now = _now()
    with session_scope(context_of(self.app).orchestration_db) as session:
        operation = engine.claim(session, operation_id, now)
        if operation is None:
            return "not claimed"  # finished, or another step holds it
        services = WorkerServices(self.app, session, now)
        outcome = engine.run_step(session, operation, lambda _stack: services, now)
        if outcome.finished and operation.action == "DELETE" and operation.status == "COMPLETE":
            stack = session.get(Stack, operation.stack_id)
            if stack is not None:
                services.revoke_instance_keys(stack, None)  # every key of the stack, at once
    if not outcome.finished:
        self.app.send_task(
            "stacks.run_operation", args=[operation_id], queue=ENGINE_QUEUE,
            countdown=outcome.next_step_in,
        )  # fmt: skip
        return "stepping"
    return "finished"


@shared_task(name="stacks.signal", bind=True, acks_late=True, ignore_result=True)
def signal(self, stack_id: str, resource_name: str, payload: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    now = _now()
    with session_scope(context_of(self.app).orchestration_db) as session:
        stack = session.get(Stack, stack_id)
        if stack is None or stack.deleted_at is not None:
            return "no such stack"
        try:
            resource = stacks.find_resource(session, stack, resource_name)
            operation = stacks.start_operation(
                session, stack, "SIGNAL", stack.template, stack.parameters or {}, now,
                visible=False,
            )  # fmt: skip
        except NotFoundError:
            return "no such resource"
        except OperationInProgressError:
            session.rollback()
            if self.request.retries >= SIGNAL_MAX_RETRIES:
                log.warning("signal dropped: stack busy", extra={"stack_id": stack_id})
                return "dropped"
            raise self.retry(
                countdown=SIGNAL_RETRY_SECONDS, max_retries=SIGNAL_MAX_RETRIES
            ) from None
        services = WorkerServices(self.app, session, now)
        try:
            converge = plugin_for(resource.type).signal(services, stack, resource, payload)
        except DomainError as exc:
            outcome = "ignored: " + exc.message
            reason = (
                exc.message if isinstance(exc, CooldownError) else f"Signal refused: {exc.message}"
            )
            stacks.record_event(session, stack, resource, "SIGNAL", "COMPLETE", reason, now)
            stacks.end_operation(session, stack, operation, "COMPLETE", reason)
            return outcome
        stacks.record_event(
            session, stack, resource, "SIGNAL", "COMPLETE", f"Signal: {payload or 'alarm'}", now
        )
        operation.parameters = {**(operation.parameters or {}), "__converge__": converge}
        operation_id = operation.id
    self.app.send_task("stacks.run_operation", args=[operation_id], queue=ENGINE_QUEUE)
    return "signalled"


@shared_task(name="stacks.sweep", bind=True, ignore_result=True)
def sweep(self) -> int:  # type: ignore[no-untyped-def]
    now = _now()
    with session_scope(context_of(self.app).orchestration_db) as session:
        stale = engine.stale_operations(session, now)
        healing = engine.start_healing(session, WorkerServices(self.app, session, now), now)
    for operation_id in [*stale, *healing]:
        self.app.send_task("stacks.run_operation", args=[operation_id], queue=ENGINE_QUEUE)
    if stale or healing:
        log.info(
            "stack operations resumed or healing started",
            extra={"resumed": stale[:20], "healing": healing[:20]},
        )
    return len(stale) + len(healing)


@shared_task(name="stacks.rotate_keys", bind=True, ignore_result=True)
def rotate_keys(self, stack_id: str | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rotate every active instance key (of one stack, or all); retire expired old keys.

    On beat's schedule (daily) and on demand (`heatwatch-admin stack rotate-keys`). Each new
    key waits at the credentials endpoint for its instance's cfn-hup."""
    now = _now()
    context = context_of(self.app)
    box = SecretBox(context.settings.secret_key)
    with session_scope(context.identity_db) as identity:
        retired = instance_keys.retire_expired(identity, now)
        keys = instance_keys.active_instance_keys(identity, stack_id)
        rotated = sum(
            instance_keys.rotate_instance_key(identity, box, key.access_key_id, now) is not None
            for key in keys
        )
    log.info("instance keys rotated", extra={"rotated": rotated, "retired": retired,
                                             "stack_id": stack_id})  # fmt: skip
    return {"rotated": rotated, "retired": retired}
