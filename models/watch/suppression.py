"""Composite alarm action suppression (cloudwatch-api.md §4.9).

- While the ActionsSuppressor S is in ALARM, a transition of the composite C runs no actions.
- Otherwise C's actions wait ActionsSuppressorWaitPeriod seconds ("wait" rows in the outbox);
  if S reaches ALARM meanwhile, or C changes state again, they are dropped at delivery time.
- When S leaves ALARM, C's actions for its current state are offered again after
  ActionsSuppressorExtensionPeriod seconds ("extension" rows), under the same checks.

Decisions: a suppressor that no longer exists suppresses nothing; a dropped action writes no
history item (nothing was executed), its outbox row is kept with status "suppressed".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.watch.tables import Alarm, AlarmAction

WAIT, EXTENSION = "wait", "extension"


def arn_prefix(region: str, tenant_id: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{tenant_id}:alarm:"


def suppressor_of(session: Session, composite: Alarm, region: str) -> Alarm | None:
    reference = composite.actions_suppressor
    if not reference:
        return None
    name = reference.removeprefix(arn_prefix(region, composite.tenant_id))
    return session.scalar(
        select(Alarm).where(Alarm.tenant_id == composite.tenant_id, Alarm.name == name)
    )


def action_hold(session: Session, composite: Alarm, region: str) -> timedelta | None:
    """How long a new transition's actions wait; None when they are suppressed outright."""
    suppressor = suppressor_of(session, composite, region)
    if suppressor is None:
        return timedelta(0)
    if suppressor.state_value == "ALARM":
        return None
    return timedelta(seconds=composite.actions_suppressor_wait_period or 0)


def suppressed_composites(session: Session, suppressor: Alarm, region: str) -> list[Alarm]:
    """Composites, with actions enabled, whose ActionsSuppressor is this alarm."""
    references = [suppressor.name, arn_prefix(region, suppressor.tenant_id) + suppressor.name]
    return list(
        session.scalars(
            select(Alarm).where(
                Alarm.tenant_id == suppressor.tenant_id,
                Alarm.actions_suppressor.in_(references),
                Alarm.actions_enabled.is_(True),
            )
        )
    )


def has_actions_for(session: Session, composite: Alarm) -> bool:
    found = session.scalar(
        select(func.count()).where(
            AlarmAction.alarm_id == composite.id,
            AlarmAction.transition_version == composite.version,
        )
    )
    return bool(found)


def still_wanted(session: Session, action: AlarmAction, region: str) -> bool:
    """At delivery: a held action runs only if its composite has not changed state since and
    its suppressor is not in ALARM."""
    if action.suppression is None:
        return True
    composite = session.get(Alarm, action.alarm_id)
    if composite is None or composite.version != action.transition_version:
        return False
    suppressor = suppressor_of(session, composite, region)
    return suppressor is None or suppressor.state_value != "ALARM"


def status(session: Session, composite: Alarm, region: str, now: datetime) -> dict[str, Any]:
    """ActionsSuppressedBy / ActionsSuppressedReason for DescribeAlarms (§3.7)."""
    suppressor = suppressor_of(session, composite, region)
    if suppressor is None:
        return {}
    if suppressor.state_value == "ALARM":
        return {
            "ActionsSuppressedBy": "Alarm",
            "ActionsSuppressedReason": f"Alarm {suppressor.name} is in ALARM state.",
        }
    held = session.scalar(
        select(AlarmAction.suppression)
        .where(
            AlarmAction.alarm_id == composite.id,
            AlarmAction.status == "pending",
            AlarmAction.not_before > now,
            or_(AlarmAction.suppression == WAIT, AlarmAction.suppression == EXTENSION),
        )
        .limit(1)
    )
    if held == WAIT:
        return {
            "ActionsSuppressedBy": "WaitPeriod",
            "ActionsSuppressedReason": "Actions are held for the ActionsSuppressorWaitPeriod.",
        }
    if held == EXTENSION:
        return {
            "ActionsSuppressedBy": "ExtensionPeriod",
            "ActionsSuppressedReason": (
                "Actions are held for the ActionsSuppressorExtensionPeriod."
            ),
        }
    return {}
