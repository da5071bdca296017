"""Orchestration store tables: stacks, their resources, events and operations.

- `stacks`: one row per stack. `action` + `status` is Heat's stack_status (CREATE_COMPLETE...).
  The operation lock lives here: `lock_operation_id` names the operation that owns the stack
  and `lock_expires_at` lets a later step take over from a dead worker (Heat's stack_lock).
  Deleted stacks keep their row (`deleted_at`), as Heat keeps them for show_deleted.
- `stack_operations`: what the engine is doing to a stack (create, update, delete, rollback),
  the template and parameters it is applying, and its deadline.
- `resources`: the stack's resources with their physical ids, resolved properties, plugin
  state (`data`) and metadata (what cfn-hup and cfn-init read).
- `events`: every step the engine takes, as Heat's events API shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import OrchestrationBase, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")

__all__ = ["Event", "OrchestrationBase", "Resource", "Stack", "StackOperation"]


class Stack(OrchestrationBase):
    __tablename__ = "stacks"
    __table_args__ = (Index("ix_stacks_tenant_name", "tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))  # CREATE UPDATE DELETE ROLLBACK
    status: Mapped[str] = mapped_column(String(16))  # IN_PROGRESS COMPLETE FAILED
    status_reason: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[Any] = mapped_column(JSON)  # the parsed template (JSON form)
    parameters: Mapped[Any] = mapped_column(JSON)  # as given by the user
    tags: Mapped[Any] = mapped_column(JSON, default=list)
    disable_rollback: Mapped[bool] = mapped_column(Boolean, default=True)
    timeout_mins: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_operation_id: Mapped[int | None] = mapped_column(BigInteger)
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StackOperation(OrchestrationBase):
    __tablename__ = "stack_operations"
    __table_args__ = (Index("ix_stack_operations_status", "status", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("stacks.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # IN_PROGRESS COMPLETE FAILED
    template: Mapped[Any] = mapped_column(JSON)  # the template this operation applies
    parameters: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A step holds the operation until this time; a worker that dies mid-step loses it when
    # the lease ends, and the engine sweep sends the next step (the lock survives the worker).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")


class Resource(OrchestrationBase):
    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("stack_id", "name", "generation"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("stacks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    # A replacement during an update is a new generation of the same logical resource; the
    # old one is deleted once the new one is complete.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    type: Mapped[str] = mapped_column(String(128))
    physical_id: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16), default="INIT")
    status: Mapped[str] = mapped_column(String(16), default="COMPLETE")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[Any] = mapped_column(JSON, default=dict)  # resolved
    data: Mapped[Any] = mapped_column(JSON, default=dict)  # the plugin's own state
    resource_metadata: Mapped[Any] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Event(OrchestrationBase):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_stack_id", "stack_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("stacks.id", ondelete="CASCADE"))
    resource_name: Mapped[str] = mapped_column(String(255))  # the stack name for stack events
    physical_resource_id: Mapped[str | None] = mapped_column(String(255))
    resource_type: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[Any | None] = mapped_column(JSON)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
