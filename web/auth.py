"""X-Auth-Token authentication for the REST APIs (the Keystone role, against our identity store)."""

from __future__ import annotations

from flask import g, request

from models.identity.tenants import Principal, authenticate_token
from web.api.errors import HttpError
from web.sessions import db_session


def require_tenant(tenant_id: str) -> Principal:
    """The principal of this request's token, which must belong to the tenant in the path."""
    token = request.headers.get("X-Auth-Token", "")
    if not token:
        raise HttpError(401, "Authentication required: send an X-Auth-Token header.")
    principal = authenticate_token(db_session("identity"), token)
    if principal is None:
        raise HttpError(401, "The X-Auth-Token is invalid, revoked or expired.")
    if principal.tenant_id != tenant_id:
        # The token is good but for another project: Heat answers 403 for this mismatch.
        raise HttpError(403, "The token does not grant access to this tenant.")
    g.principal = principal
    return principal
