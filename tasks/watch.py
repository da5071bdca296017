"""Watch pool tasks: the tick that beat sends, shard evaluation, actions, retention.

- `watch.tick` only fans out: it asks which shards (alarm id modulo WATCH_SHARDS) hold due
  alarms and sends one `watch.evaluate_shard` per shard, so adding watch workers adds
  evaluation capacity. A shard still being evaluated is not sent again (a lease in Redis,
  tasks/shard_leases.py). It also re-offers actions a crash left in the outbox.
- `watch.evaluate_shard` evaluates that shard's due alarms in one transaction. It is not
  acks_late: an evaluation lost with its worker leaves the alarms due, and the next tick
  sends them again (aodh's rule: the next cycle is the retry). Duplicates (two beats, a
  redelivery) cannot store anything twice: every write is guarded by the alarm's version.
- `watch.evaluate_alarms` evaluates named alarms at once (after a create or update, or a
  child's transition for composite alarms).
- `watch.run_action` delivers one outbox action, with retries and backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from celery import shared_task
from sqlalchemy.exc import OperationalError

from models.errors import DomainError
from models.sessions import session_scope
from models.watch import alarm_actions, alarm_history, alarms, evaluation, suppression
from models.watch.alarm_validation import validate_put_metric_alarm
from models.watch.alarms import Deployment
from tasks import shard_leases
from tasks.factory import context_of
from tasks.routing import WATCH_QUEUE

log = logging.getLogger("heatwatch.watch")

WEBHOOK_TIMEOUT = 10  # seconds; a slow receiver must not hold a watch worker for long
RETRY_BACKOFF = (5, 15, 45, 120)  # seconds before attempts 2..5


def _now() -> datetime:
    return datetime.now(UTC)


def _deployment(app: Any) -> Deployment:
    settings = context_of(app).settings
    return Deployment(region=settings.region, scaling_url_prefix=f"{settings.heat_url}/v1/signal/")


def send_effects(app: Any, action_ids: Iterable[int], parent_ids: Iterable[int]) -> None:
    """After a commit: deliver the new actions, evaluate the composites a transition touched."""
    for action_id in action_ids:
        app.send_task("watch.run_action", args=[action_id], queue=WATCH_QUEUE)
    parents = sorted(set(parent_ids))
    if parents:
        app.send_task("watch.evaluate_alarms", args=[parents], queue=WATCH_QUEUE)


@shared_task(name="watch.tick", bind=True, ignore_result=True)
def tick(self) -> dict[str, object]:  # type: ignore[no-untyped-def]
    tick_at = _now()
    context = context_of(self.app)
    shards = context.settings.watch_shards
    with session_scope(context.watch_db) as session:
        due = evaluation.due_shards(session, tick_at, shards)
        stale = alarm_actions.stale_actions(session, tick_at)
    sent = 0
    for shard in due:
        lease = shard_leases.acquire(
            context.redis, shard, shards, context.settings.watch_shard_lease_seconds
        )
        if lease is None:
            continue  # still being evaluated: its alarms stay due for the next tick
        self.app.send_task(
            "watch.evaluate_shard",
            args=[shard, shards, tick_at.isoformat(), lease],
            queue=WATCH_QUEUE,
            # A shard message older than a minute is superseded by later ticks.
            expires=60,
        )
        sent += 1
    send_effects(self.app, stale, ())
    log.info(
        "watch tick",
        extra={
            "tick_at": tick_at.isoformat(),
            "shards_due": len(due),
            "shards_enqueued": sent,
            "actions_reoffered": len(stale),
        },
    )
    return {"tick_at": tick_at.isoformat(), "shards_enqueued": sent}


@shared_task(
    name="watch.evaluate_shard",
    bind=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def evaluate_shard(  # type: ignore[no-untyped-def]
    self, shard: int, shards: int, tick_at: str, lease: str | None = None
) -> dict[str, int]:
    due_by = datetime.fromisoformat(tick_at)
    context = context_of(self.app)
    with ExitStack() as stack:
        if lease is not None:  # shards sent by hand carry none
            ttl = context.settings.watch_shard_lease_seconds
            stack.enter_context(shard_leases.held(context.redis, shard, shards, lease, ttl))
        with session_scope(context.watch_db) as session:
            alarms = evaluation.due_alarms(session, due_by, shard=shard, shards=shards)
            report = evaluation.evaluate_alarms(session, _deployment(self.app), alarms, _now())
    send_effects(self.app, report.action_ids, report.parent_ids)
    summary = _summary(report)
    log.info("shard evaluated", extra={"shard": shard, **summary})
    return summary


@shared_task(
    name="watch.evaluate_alarms",
    bind=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def evaluate_alarms(self, alarm_ids: list[int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    now = _now()
    with session_scope(context_of(self.app).watch_db) as session:
        alarms = evaluation.due_alarms(session, now, alarm_ids=alarm_ids)
        report = evaluation.evaluate_alarms(session, _deployment(self.app), alarms, now)
    send_effects(self.app, report.action_ids, report.parent_ids)
    summary = _summary(report)
    log.info("alarms evaluated", extra={"alarm_ids": alarm_ids[:20], **summary})
    return summary


@shared_task(
    name="watch.evaluate_changed",
    bind=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def evaluate_changed(self) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """New and changed alarms, evaluated right away (PutMetricAlarm asks for this)."""
    now = _now()
    with session_scope(context_of(self.app).watch_db) as session:
        due = evaluation.changed_alarms(session, now)
        report = evaluation.evaluate_alarms(session, _deployment(self.app), due, now)
    send_effects(self.app, report.action_ids, report.parent_ids)
    summary = _summary(report)
    log.info("new and changed alarms evaluated", extra=summary)
    return summary


def _summary(report: evaluation.EvaluationReport) -> dict[str, int]:
    return {
        "evaluated": report.evaluated,
        "stored": report.stored,
        "transitions": report.transitions,
        "lost_races": report.lost_races,
        "failed": report.failed,
        "actions": len(report.action_ids),
    }


@shared_task(name="watch.run_action", bind=True, acks_late=True, ignore_result=True)
def run_action(self, action_id: int) -> str:  # type: ignore[no-untyped-def]
    database = context_of(self.app).watch_db
    region = context_of(self.app).settings.region
    with session_scope(database) as session:
        action = alarm_actions.claim(session, action_id, _now())
        if action is None:
            due = alarm_actions.held_until(session, action_id, _now())
            if due is None:
                return "not claimed"  # done already, or another worker holds it
        elif not suppression.still_wanted(session, action, region):
            alarm_actions.drop(session, action, _now())
            log.info("held action dropped", extra={"action_id": action_id})
            return "suppressed"
        else:
            target, payload, attempts = action.target, action.payload, action.attempts
    if action is None:
        # Held for later (suppression period): come back when it is due.
        delay = max(0.0, (due - _now()).total_seconds())
        self.app.send_task("watch.run_action", args=[action_id], queue=WATCH_QUEUE, countdown=delay)
        return "held"
    error = _deliver(action_id, target, payload)
    with session_scope(database) as session:
        action = session.get(alarm_actions.AlarmAction, action_id)
        if action is None:
            return "vanished"
        if error is None or attempts >= alarm_actions.MAX_ATTEMPTS or error.startswith("!"):
            alarm_actions.finish(
                session, action, succeeded=error is None, error=error and error.lstrip("!"),
                now=_now(),
            )  # fmt: skip
            outcome = "succeeded" if error is None else "failed"
            log.info("action finished", extra={"action_id": action_id, "outcome": outcome})
            return outcome
        delay = RETRY_BACKOFF[min(attempts, len(RETRY_BACKOFF)) - 1]
        alarm_actions.release_for_retry(session, action, error, _now() + timedelta(seconds=delay))
    log.info("action will be retried", extra={"action_id": action_id, "in_seconds": delay})
    self.app.send_task("watch.run_action", args=[action_id], queue=WATCH_QUEUE, countdown=delay)
    return "retrying"


def _deliver(action_id: int, target: str, payload: dict[str, Any]) -> str | None:
    """None on success, else the reason; a reason starting with "!" is final (no retry)."""
    if not alarm_actions.is_webhook(target):
        return "!This deployment has no notifier for this action type."
    try:
        response = requests.post(
            target,
            json=payload,
            timeout=WEBHOOK_TIMEOUT,
            headers={"X-Heatwatch-Action-Id": str(action_id), "User-Agent": "heatwatch-watch"},
        )
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        return f"!HTTP {response.status_code} from the receiver"
    return f"HTTP {response.status_code} from the receiver"


@shared_task(name="watch.prune", bind=True, ignore_result=True)
def prune(self) -> dict[str, int]:  # type: ignore[no-untyped-def]
    now = _now()
    with session_scope(context_of(self.app).watch_db) as session:
        removed = {
            "history_items": alarm_history.prune_history(session, now),
            "finished_actions": alarm_actions.prune_finished(session, now),
        }
    log.info("alarm history retention applied", extra=removed)
    return removed


# --- Alarms that stacks own (AWS::CloudWatch::Alarm), sent by the engine pool ------------


@shared_task(name="watch.put_stack_alarm", bind=True, acks_late=True)
def put_stack_alarm(self, tenant_id: str, stack_id: str, params: dict[str, Any]) -> dict:  # type: ignore[no-untyped-def]
    """Create or replace an alarm for a stack; the engine polls this task's result.

    Idempotent (PutMetricAlarm is an upsert), so acks_late is safe."""
    try:
        config = validate_put_metric_alarm(params)
        with session_scope(context_of(self.app).watch_db) as session:
            alarm = alarms.put_metric_alarm(
                session, _deployment(self.app), tenant_id, config, _now()
            )
            alarm_id = alarm.id
    except DomainError as exc:
        log.info("stack alarm refused", extra={"stack_id": stack_id, "error": exc.message})
        return {"error": exc.message}
    self.app.send_task("watch.evaluate_alarms", args=[[alarm_id]], queue=WATCH_QUEUE)
    return {"ok": True, "alarm_id": alarm_id}


@shared_task(name="watch.delete_stack_alarms", bind=True, acks_late=True)
def delete_stack_alarms(self, tenant_id: str, stack_id: str, names: list[str]) -> dict:  # type: ignore[no-untyped-def]
    try:
        with session_scope(context_of(self.app).watch_db) as session:
            alarms.delete_alarms(session, _deployment(self.app), tenant_id, names, _now())
    except DomainError as exc:
        return {"error": exc.message}
    return {"ok": True}
