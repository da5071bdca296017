"""The one read the console needs that models/watch has no service for yet.

`state_counts` belongs beside `describe_alarms` in models/watch/alarms.py; it lives here only
because that package was being changed by someone else when the console was written.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.watch.tables import Alarm


def state_counts(
    session: Session, tenant_id: str, alarm_types: Sequence[str], name_prefix: str | None = None
) -> dict[str, int]:
    """How many of the tenant's alarms are in each state (states with none are left out),
    among those whose name starts with `name_prefix`, matched as `describe_alarms` does."""
    query = select(Alarm.state_value, func.count()).where(
        Alarm.tenant_id == tenant_id, Alarm.alarm_type.in_(list(alarm_types))
    )
    if name_prefix is not None:
        # A range, not LIKE: names may hold % and _, and LIKE ignores case on SQLite.
        query = query.where(Alarm.name >= name_prefix, Alarm.name < name_prefix + "\U0010ffff")
    rows = session.execute(query.group_by(Alarm.state_value))
    return {state: int(count) for state, count in rows}
