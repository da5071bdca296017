"""Tags on alarms and dashboards (cloudwatch-api.md §3.13), addressed by ARN.

ARNs: alarms `arn:aws:cloudwatch:<region>:<tenant>:alarm:<name>`, dashboards
`arn:aws:cloudwatch::<tenant>:dashboard/<name>` (dashboards are global: no region).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from models.errors import InvalidParameterError, NotFoundError
from models.watch.tables import Alarm, Dashboard, ResourceTag

MAX_TAGS = 50


def parse_arn(arn: str, region: str, tenant_id: str) -> tuple[str, str]:
    """(kind, name) of one of this tenant's taggable resources; InvalidParameterValue else.

    An ARN of another account or region names nothing this tenant can see: it is refused
    the same way as a malformed one, so it reveals nothing about other tenants.
    """
    alarm_prefix = f"arn:aws:cloudwatch:{region}:{tenant_id}:alarm:"
    dashboard_prefix = f"arn:aws:cloudwatch::{tenant_id}:dashboard/"
    if arn.startswith(alarm_prefix) and len(arn) > len(alarm_prefix):
        return "alarm", arn.removeprefix(alarm_prefix)
    if arn.startswith(dashboard_prefix) and len(arn) > len(dashboard_prefix):
        return "dashboard", arn.removeprefix(dashboard_prefix)
    raise InvalidParameterError(f"The value {arn} for parameter ResourceARN is not valid.")


def _exists(session: Session, tenant_id: str, kind: str, name: str) -> bool:
    table = Alarm if kind == "alarm" else Dashboard
    found = session.scalar(select(table.id).where(table.tenant_id == tenant_id, table.name == name))
    return found is not None


def list_tags(session: Session, tenant_id: str, kind: str, name: str) -> list[tuple[str, str]]:
    # A deleted alarm's ARN lists no tags rather than failing, as AWS does [aws-rec].
    rows = session.scalars(
        select(ResourceTag)
        .where(
            ResourceTag.tenant_id == tenant_id,
            ResourceTag.resource_kind == kind,
            ResourceTag.resource_name == name,
        )
        .order_by(ResourceTag.key)
    )
    return [(row.key, row.value) for row in rows]


def replace_tags(
    session: Session, tenant_id: str, kind: str, name: str, tags: Sequence[tuple[str, str]]
) -> None:
    session.execute(
        delete(ResourceTag).where(
            ResourceTag.tenant_id == tenant_id,
            ResourceTag.resource_kind == kind,
            ResourceTag.resource_name == name,
        )
    )
    add_tags(session, tenant_id, kind, name, tags)
    session.flush()


def add_tags(
    session: Session, tenant_id: str, kind: str, name: str, tags: Sequence[tuple[str, str]]
) -> None:
    """Tags of a resource that has none yet (a new alarm or dashboard); the last value of a
    repeated key wins."""
    session.add_all(
        ResourceTag(tenant_id=tenant_id, resource_kind=kind, resource_name=name, key=k, value=v)
        for k, v in dict(tags).items()
    )


def insert_new_tags(
    connection: Connection, tenant_id: str, kind: str, name: str, tags: Sequence[tuple[str, str]]
) -> None:
    """`add_tags` as one Core insert, for a resource created with Core (a new alarm)."""
    if tags:
        rows = [
            {"tenant_id": tenant_id, "resource_kind": kind, "resource_name": name, "key": k,
             "value": v}
            for k, v in dict(tags).items()
        ]  # fmt: skip
        connection.execute(insert(ResourceTag.__table__), rows)


def tag_resource(
    session: Session, tenant_id: str, kind: str, name: str, tags: Sequence[tuple[str, str]]
) -> None:
    if not _exists(session, tenant_id, kind, name):
        raise ResourceNotFoundError(kind, name)
    merged = dict(list_tags(session, tenant_id, kind, name))
    merged.update(dict(tags))
    if len(merged) > MAX_TAGS:
        raise InvalidParameterError(
            f"A resource can have at most {MAX_TAGS} tags; this request would make {len(merged)}."
        )
    replace_tags(session, tenant_id, kind, name, list(merged.items()))


def untag_resource(
    session: Session, tenant_id: str, kind: str, name: str, keys: Sequence[str]
) -> None:
    if not _exists(session, tenant_id, kind, name):
        raise ResourceNotFoundError(kind, name)
    remaining = [(k, v) for k, v in list_tags(session, tenant_id, kind, name) if k not in keys]
    replace_tags(session, tenant_id, kind, name, remaining)


class ResourceNotFoundError(NotFoundError):
    """Tag/Untag on an unknown ARN: ResourceNotFoundException, not ResourceNotFound. Its
    modelled members name the resource: ResourceType (alarm, dashboard) and ResourceId."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"The {kind} {name} does not exist.")
        self.error_members = {"ResourceType": kind, "ResourceId": name}
