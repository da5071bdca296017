"""Identity store (the role Keystone plays for OpenStack): tenants and their credentials.

Both frontends read it; the orchestration engine will create stack users and instance keys in
it (issue 7). Secret access keys are stored Fernet-encrypted, because SigV4 needs the secret
itself to recompute a signature; API tokens are only ever compared, so only their SHA-256 is
kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import IdentityBase, UTCDateTime, utcnow


class Tenant(IdentityBase):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    access_keys: Mapped[list[AccessKey]] = relationship(back_populates="tenant")
    api_tokens: Mapped[list[ApiToken]] = relationship(back_populates="tenant")


class AccessKey(IdentityBase):
    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # Who holds the key: the tenant itself, a stack user or one instance (issue 7 narrows
    # what the last two may do; the scope columns say which stack and resource).
    principal_kind: Mapped[str] = mapped_column(String(16), default="tenant")
    stack_id: Mapped[str | None] = mapped_column(String(64), index=True)
    resource_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rotation (models/identity/instance_keys.py): the key that replaces this one, and when
    # this one stops working at the latest (the grace period) if the new one is never used.
    replaced_by: Mapped[str | None] = mapped_column(String(32), index=True)
    retire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship(back_populates="access_keys")


class ApiToken(IdentityBase):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship(back_populates="api_tokens")
