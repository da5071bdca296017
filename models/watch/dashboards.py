"""Dashboards (cloudwatch-api.md §3.14): stored per tenant, global across regions.

The body is stored byte for byte as given; validation is in dashboard_validation.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import NotFoundError
from models.watch import paging, tags
from models.watch.tables import Dashboard

PAGE_SIZE = 1000
_TOKEN_PREFIX = "d1:"


class DashboardNotFoundError(NotFoundError):
    pass


@dataclass(frozen=True)
class DashboardEntry:
    name: str
    last_modified: datetime
    size: int


def dashboard_arn(tenant_id: str, name: str) -> str:
    return f"arn:aws:cloudwatch::{tenant_id}:dashboard/{name}"


def put_dashboard(
    session: Session,
    tenant_id: str,
    name: str,
    body: str,
    dashboard_tags: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    found = session.scalar(
        select(Dashboard).where(Dashboard.tenant_id == tenant_id, Dashboard.name == name)
    )
    if found is None:
        session.add(Dashboard(tenant_id=tenant_id, name=name, body=body, updated_at=now))
        session.flush()
        tags.replace_tags(session, tenant_id, "dashboard", name, dashboard_tags)  # create only
    else:
        found.body = body
        found.updated_at = now
        session.flush()


def get_dashboard(session: Session, tenant_id: str, name: str) -> Dashboard:
    found = session.scalar(
        select(Dashboard).where(Dashboard.tenant_id == tenant_id, Dashboard.name == name)
    )
    if found is None:
        raise DashboardNotFoundError(f"Dashboard {name} does not exist")
    return found


def list_dashboards(
    session: Session, tenant_id: str, prefix: str | None, next_token: str | None
) -> tuple[list[DashboardEntry], str | None]:
    query = select(Dashboard).where(Dashboard.tenant_id == tenant_id)
    if prefix:
        query = query.where(Dashboard.name >= prefix, Dashboard.name < prefix + "\x7f")
    if next_token is not None:
        query = query.where(Dashboard.name > _decode_token(next_token))
    rows = list(session.scalars(query.order_by(Dashboard.name).limit(PAGE_SIZE + 1)))
    entries = [
        DashboardEntry(row.name, row.updated_at, len(row.body.encode())) for row in rows[:PAGE_SIZE]
    ]
    if len(rows) > PAGE_SIZE:
        return entries, _encode_token(entries[-1].name)
    return entries, None


def delete_dashboards(session: Session, tenant_id: str, names: Sequence[str]) -> None:
    """All or nothing: one unknown name deletes none (moto's behaviour, §3.14)."""
    found = list(
        session.scalars(
            select(Dashboard).where(Dashboard.tenant_id == tenant_id, Dashboard.name.in_(names))
        )
    )
    missing = sorted(set(names) - {row.name for row in found})
    if missing:
        raise DashboardNotFoundError(
            f"The specified dashboard does not exist. [{', '.join(missing)}]"
        )
    for row in found:
        tags.replace_tags(session, tenant_id, "dashboard", row.name, ())
        session.delete(row)
    session.flush()


def _encode_token(last: str) -> str:
    return paging.encode_token(_TOKEN_PREFIX, last)


def _decode_token(token: str) -> str:
    return paging.decode_token(_TOKEN_PREFIX, token)
