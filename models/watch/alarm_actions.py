"""The alarm action outbox: claiming an action, recording its outcome (§4.5, §4.8).

A transition writes one `alarm_actions` row per target (alarm_state.enqueue_actions); the
`watch.run_action` task claims it here, delivers it, and records the outcome as an `Action`
history item. Delivery is at-least-once with a stable id: a claim is a conditional UPDATE
(pending -> running), so two copies of the task never both send; a worker that dies while
sending leaves a stale claim that the outbox sweep re-offers after ACTION_LEASE, with the same
`X-Heatwatch-Action-Id` header so a receiver can drop the rare repeat.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from models.watch import alarm_history
from models.watch.tables import AlarmAction

ACTION_LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
FINISHED_RETENTION = timedelta(days=2)


def is_webhook(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def claim(session: Session, action_id: int, now: datetime) -> AlarmAction | None:
    """Take the action for delivery; None if it is finished or another worker holds it."""
    result = session.execute(
        update(AlarmAction)
        .where(
            AlarmAction.id == action_id,
            or_(
                and_(AlarmAction.status == "pending", AlarmAction.not_before <= now),
                and_(AlarmAction.status == "running", AlarmAction.claimed_at < now - ACTION_LEASE),
            ),
        )
        .values(status="running", claimed_at=now, attempts=AlarmAction.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(AlarmAction, action_id, populate_existing=True)


def held_until(session: Session, action_id: int, now: datetime) -> datetime | None:
    """When a pending action held for later (retry backoff, suppression period) is due."""
    action = session.get(AlarmAction, action_id)
    if action is None or action.status != "pending" or action.not_before <= now:
        return None
    return action.not_before


def drop(session: Session, action: AlarmAction, now: datetime) -> None:
    """A held composite action that is no longer wanted (suppression.still_wanted)."""
    action.status = "suppressed"
    action.finished_at = now


def release_for_retry(
    session: Session, action: AlarmAction, error: str, retry_at: datetime
) -> None:
    action.status = "pending"
    action.last_error = error
    action.not_before = retry_at


def finish(
    session: Session,
    action: AlarmAction,
    *,
    succeeded: bool,
    error: str | None,
    now: datetime,
) -> None:
    """Mark the action done and write its Action history item (§4.8's shapes)."""
    action.status = "succeeded" if succeeded else "failed"
    action.finished_at = now
    action.last_error = error
    if succeeded:
        summary = f"Successfully executed action {action.target}"
    else:
        summary = f"Failed to execute action {action.target}. Reason: {error}"
    data = {
        "actionState": "Succeeded" if succeeded else "Failed",
        "stateUpdateTimestamp": int(action.created_at.timestamp() * 1000),
        "notificationResource": action.target,
        "publishedMessage": json.dumps(action.payload, separators=(",", ":")),
        "error": error,
    }
    owner = (action.tenant_id, action.alarm_name, action.alarm_type)
    alarm_history.record(session, owner, "Action", summary, data, now)


def stale_actions(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Actions a crash left behind: pending past their due time, or claimed too long ago."""
    rows = session.scalars(
        select(AlarmAction.id)
        .where(
            or_(
                and_(
                    AlarmAction.status == "pending",
                    AlarmAction.not_before <= now - timedelta(seconds=30),
                ),
                and_(AlarmAction.status == "running", AlarmAction.claimed_at < now - ACTION_LEASE),
            )
        )
        .order_by(AlarmAction.id)
        .limit(limit)
    )
    return list(rows)


def prune_finished(session: Session, now: datetime) -> int:
    result = session.execute(
        delete(AlarmAction).where(
            AlarmAction.status.in_(["succeeded", "failed"]),
            AlarmAction.finished_at < now - FINISHED_RETENTION,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
