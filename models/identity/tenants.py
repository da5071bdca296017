"""Tenant and credential services: create, look up, authenticate, revoke.

Services take a Session (and a SecretBox where secrets are involved) and never commit.
Plain secrets exist only in the return value of the call that creates them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.errors import ConflictError, InvalidInputError, NotFoundError
from models.identity.crypto import SecretBox
from models.identity.tables import AccessKey, ApiToken, Tenant

_KEY_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Principal:
    """Who a request acts as, once its credentials are verified."""

    tenant_id: str
    tenant_name: str
    kind: str  # "tenant", "stack_user" or "instance"
    access_key_id: str | None = None
    stack_id: str | None = None
    resource_name: str | None = None


@dataclass(frozen=True)
class NewCredentials:
    tenant_id: str
    tenant_name: str
    access_key_id: str
    secret_access_key: str
    auth_token: str

    def as_dict(self) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "auth_token": self.auth_token,
        }


def new_access_key_id() -> str:
    # AWS's shape: AKIA + 16 upper-case alphanumerics, so clients' sanity checks accept it.
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return secrets.token_urlsafe(30)[:40]


def new_auth_token() -> str:
    return secrets.token_urlsafe(32)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _validate_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidInputError("tenant name must be 1-255 characters")
    return name


def create_tenant(
    session: Session,
    box: SecretBox,
    name: str,
    *,
    tenant_id: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    auth_token: str | None = None,
) -> NewCredentials:
    """Create a tenant with one access key and one API token.

    Explicit credentials are for seeding a development tenant from .env; normally they are
    generated here.
    """
    name = _validate_name(name)
    if session.scalar(select(Tenant).where(Tenant.name == name)) is not None:
        raise ConflictError(f"tenant {name!r} already exists")
    tenant = Tenant(id=tenant_id or uuid.uuid4().hex, name=name)
    session.add(tenant)
    key_id = access_key_id or new_access_key_id()
    secret = secret_access_key or new_secret_access_key()
    token = auth_token or new_auth_token()
    session.add(
        AccessKey(
            access_key_id=key_id,
            tenant=tenant,
            secret_ciphertext=box.encrypt(secret),
            principal_kind="tenant",
        )
    )
    session.add(ApiToken(id=uuid.uuid4().hex, tenant=tenant, token_sha256=_token_digest(token)))
    session.flush()
    return NewCredentials(tenant.id, tenant.name, key_id, secret, token)


def get_tenant_by_name(session: Session, name: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        raise NotFoundError(f"tenant {name!r} not found")
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.name)))


def list_access_keys(session: Session, tenant_id: str) -> list[AccessKey]:
    return list(
        session.scalars(
            select(AccessKey).where(AccessKey.tenant_id == tenant_id).order_by(AccessKey.created_at)
        )
    )


def list_api_tokens(session: Session, tenant_id: str) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.tenant_id == tenant_id).order_by(ApiToken.created_at)
        )
    )


def authenticate_token(session: Session, token: str) -> Principal | None:
    """The tenant an X-Auth-Token belongs to, or None if it is unknown, revoked or disabled."""
    if not token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_digest(token)))
    # The lookup is by digest; compare again in constant time so timing says nothing.
    if row is None or not hmac.compare_digest(row.token_sha256, _token_digest(token)):
        return None
    if row.revoked_at is not None or not row.tenant.enabled:
        return None
    return Principal(tenant_id=row.tenant_id, tenant_name=row.tenant.name, kind="tenant")


# Built once: this runs for every signed request, and building the statement (ten columns,
# a join, the criteria) and its cache key cost more than running it on SQLite. One Core
# query with the tenant joined, no ORM objects (an ORM get with the relationship was a
# third of a PutMetricAlarm's time).
_ACCESS_KEY_QUERY = (
    select(
        AccessKey.access_key_id,
        AccessKey.tenant_id,
        AccessKey.secret_ciphertext,
        AccessKey.principal_kind,
        AccessKey.stack_id,
        AccessKey.resource_name,
        AccessKey.revoked_at,
        AccessKey.retire_at,
        Tenant.name.label("tenant_name"),
        Tenant.enabled.label("tenant_enabled"),
    )
    .join(Tenant, Tenant.id == AccessKey.tenant_id)
    .where(AccessKey.access_key_id == bindparam("access_key_id"))
)
_RETIRE_PREDECESSOR = (
    update(AccessKey.__table__)
    .where(
        AccessKey.__table__.c.replaced_by == bindparam("b_key_id"),
        AccessKey.__table__.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("b_now"))
)


def lookup_writes(principal: Principal) -> bool:
    """Whether `lookup_access_key` may have written for this principal's key (so the caller
    must commit): the first use of a rotated instance key retires its predecessor
    (instance_keys.py); a tenant's key lookup only reads."""
    return principal.kind != "tenant"


def lookup_access_key(
    session: Session | Connection, box: SecretBox, access_key_id: str
) -> tuple[str, Principal] | None:
    """The secret and principal of an active access key, for SigV4 verification (on a
    session, or on a plain connection: the CloudWatch endpoint needs no session for it)."""
    if isinstance(session, Session):
        session.flush()  # the Core execute below does not autoflush (a revocation, say)
        connection = session.connection()
    else:
        connection = session
    key = connection.execute(_ACCESS_KEY_QUERY, {"access_key_id": access_key_id}).one_or_none()
    if key is None or key.revoked_at is not None or not key.tenant_enabled:
        return None
    now = utcnow()
    if key.retire_at is not None and key.retire_at <= now:
        return None  # rotated away and its grace period is over
    principal = Principal(
        tenant_id=key.tenant_id,
        tenant_name=key.tenant_name,
        kind=key.principal_kind,
        access_key_id=key.access_key_id,
        stack_id=key.stack_id,
        resource_name=key.resource_name,
    )
    if lookup_writes(principal):
        connection.execute(
            _RETIRE_PREDECESSOR, {"b_key_id": key.access_key_id, "b_now": now}
        )  # the caller commits (web/aws/authentication.py)
    return box.decrypt(key.secret_ciphertext), principal


def revoke_access_key(session: Session, access_key_id: str) -> None:
    key = session.get(AccessKey, access_key_id)
    if key is None:
        raise NotFoundError(f"access key {access_key_id!r} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()


def revoke_api_token(session: Session, token_id: str) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"API token {token_id!r} not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def set_tenant_enabled(session: Session, name: str, enabled: bool) -> Tenant:
    tenant = get_tenant_by_name(session, name)
    tenant.enabled = enabled
    return tenant
