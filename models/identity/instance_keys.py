"""Per-instance access keys: issued at boot, scoped to one stack and resource, rotatable.

How an instance gets and keeps credentials (the question the original proposal left open):
- The engine issues a key for each instance when it boots it (principal_kind "instance",
  with the stack id and the resource name) and delivers it only in the instance's boot data
  (`/etc/cfn/cfn-credentials`, mode 0400). No other channel is trusted before that.
- Keys never expire on their own. Rotation issues a new key and marks the old one
  `replaced_by` the new one with a grace deadline (`retire_at`). The instance learns the new
  key from the credentials endpoint, authenticated with the old key (cfn-hup polls it). The
  old key stops working the first time the new one is used (tenants.lookup_access_key), or
  at the deadline.
- Deleting an instance, or its stack, revokes its keys at once.
Secrets are stored only Fernet-encrypted (SecretBox); they leave the store only towards the
instance they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.identity.crypto import SecretBox
from models.identity.tables import AccessKey
from models.identity.tenants import new_access_key_id, new_secret_access_key

INSTANCE = "instance"
STACK_USER = "stack_user"
STACK_KINDS = (INSTANCE, STACK_USER)
ROTATION_GRACE = timedelta(hours=24)


def issue_instance_key(
    session: Session,
    box: SecretBox,
    tenant_id: str,
    stack_id: str,
    resource_name: str,
    now: datetime,
    kind: str = INSTANCE,
) -> tuple[str, str]:
    """A new key for one instance (or stack user): (access key id, secret)."""
    key_id, secret = new_access_key_id(), new_secret_access_key()
    session.add(
        AccessKey(
            access_key_id=key_id,
            tenant_id=tenant_id,
            secret_ciphertext=box.encrypt(secret),
            principal_kind=kind,
            stack_id=stack_id,
            resource_name=resource_name,
            created_at=now,
        )
    )
    session.flush()
    return key_id, secret


def revoke_instance_keys(
    session: Session, stack_id: str, resource_names: Sequence[str] | None, now: datetime
) -> int:
    """Revoke the stack's instance keys (of the named resources, or all of them)."""
    query = (
        update(AccessKey)
        .where(
            AccessKey.stack_id == stack_id,
            AccessKey.principal_kind.in_(STACK_KINDS),
            AccessKey.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if resource_names is not None:
        query = query.where(AccessKey.resource_name.in_(list(resource_names)))
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def rotate_instance_key(
    session: Session,
    box: SecretBox,
    access_key_id: str,
    now: datetime,
    grace: timedelta = ROTATION_GRACE,
) -> str | None:
    """Issue the successor of an active instance key; its id, or None if there is nothing
    to rotate (revoked, not an instance key, or already rotated)."""
    old = session.get(AccessKey, access_key_id)
    if old is None or old.revoked_at is not None or old.principal_kind != INSTANCE:
        return None
    if old.replaced_by is not None:
        return old.replaced_by
    new_id, _secret = issue_instance_key(
        session, box, old.tenant_id, old.stack_id or "", old.resource_name or "", now
    )
    old.replaced_by = new_id
    old.retire_at = now + grace
    return new_id


def active_instance_keys(session: Session, stack_id: str | None = None) -> list[AccessKey]:
    query = select(AccessKey).where(
        AccessKey.principal_kind == INSTANCE,
        AccessKey.revoked_at.is_(None),
        AccessKey.replaced_by.is_(None),
    )
    if stack_id is not None:
        query = query.where(AccessKey.stack_id == stack_id)
    return list(session.scalars(query))


def pending_successor(
    session: Session, box: SecretBox, access_key_id: str
) -> tuple[str, str] | None:
    """The new key waiting for the holder of `access_key_id`: (id, secret), or None."""
    old = session.get(AccessKey, access_key_id)
    if old is None or old.replaced_by is None:
        return None
    new = session.get(AccessKey, old.replaced_by)
    if new is None or new.revoked_at is not None:
        return None
    return new.access_key_id, box.decrypt(new.secret_ciphertext)


def stack_key_secret(
    session: Session, box: SecretBox, stack_id: str, access_key_id: str
) -> str | None:
    """The secret of a key that belongs to this stack (for Fn::GetAtt SecretAccessKey)."""
    key = session.get(AccessKey, access_key_id)
    if key is None or key.stack_id != stack_id or key.revoked_at is not None:
        return None
    return box.decrypt(key.secret_ciphertext)


def retire_expired(session: Session, now: datetime) -> int:
    """Revoke rotated keys whose grace period has ended."""
    result = session.execute(
        update(AccessKey)
        .where(AccessKey.retire_at <= now, AccessKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
