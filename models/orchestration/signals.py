"""Signals to resources: a WaitConditionHandle's cfn-signal, a ScalingPolicy's alarm, a
HARestarter's, or heatclient's resource-signal.

A wait condition signal is only data: it is stored on the handle at once (in the request's
transaction) and the WaitCondition sees it on its next poll. Any other signal acts on the
stack, so it goes to the engine queue (`stacks.signal`), which runs it under the stack's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.errors import InvalidInputError
from models.orchestration import stacks
from models.orchestration.resources.base import ResourcePlugin
from models.orchestration.resources.registry import plugin_for
from models.orchestration.resources.waitconditions import WaitConditionHandle, record_signal
from models.orchestration.tables import Stack

Enqueue = Callable[[str, list[Any]], None]


def deliver_signal(
    session: Session,
    stack: Stack,
    resource_name: str,
    payload: dict[str, Any],
    now: datetime,
    enqueue: Enqueue,
) -> str:
    """Store or forward one signal; what happened, for the log."""
    if stack.deleted_at is not None:
        raise InvalidInputError(f"Stack {stack.name} is deleted.")
    resource = stacks.find_resource(session, stack, resource_name)
    if resource.type == WaitConditionHandle.type_name:
        # Row lock: two signals arriving together must both be kept (PostgreSQL; SQLite
        # serialises writers anyway).
        session.refresh(resource, with_for_update=True)
        stored = record_signal(resource, payload, now)
        stacks.record_event(
            session, stack, resource, "SIGNAL", "COMPLETE",
            f"Signal: status:{stored['Status']} reason:{stored['Reason']}", now,
        )  # fmt: skip
        session.commit()
        return "stored"
    plugin = plugin_for(resource.type, resource.name)
    if type(plugin).signal is ResourcePlugin.signal:  # the type takes no signals
        raise InvalidInputError(f"Resource {resource_name} ({resource.type}) takes no signals.")
    session.commit()
    enqueue("stacks.signal", [stack.id, resource_name, payload])
    return "forwarded"
