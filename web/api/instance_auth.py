"""Who may call the stacks API: tenants with X-Auth-Token, and instances with SigV4.

An instance signs with its own access key (service `cloudformation`, as heat-cfntools'
tools did against Heat's CFN API). Its key is scoped (issue 7): it may read the metadata of
its own stack's resources, fetch its own rotated credentials, and signal its own stack's
resources — and nothing else, not another stack, not another tenant.
"""

from __future__ import annotations

from flask import g, request

from models.identity.tenants import Principal, lookup_access_key
from models.orchestration.tables import Stack
from web.api.errors import HttpError
from web.auth import require_tenant
from web.aws import errors as aws_errors
from web.aws.request import AwsRequest, path_as_sent
from web.aws.sigv4 import verify_request
from web.context import web_context
from web.sessions import db_session

SIGV4_SERVICE = "cloudformation"


def _sigv4_principal() -> Principal:
    context = web_context()
    found: dict[str, Principal] = {}

    def lookup_secret(access_key_id: str) -> str | None:
        entry = lookup_access_key(db_session("identity"), context.secret_box, access_key_id)
        if entry is None:
            return None
        found["principal"] = entry[1]
        return entry[0]

    aws_request = AwsRequest(
        method=request.method,
        path=path_as_sent(request.environ),
        query_string=request.query_string.decode("latin-1"),
        headers=tuple(request.headers.items()),
        body=request.get_data(cache=True),
        request_id=g.request_id,
    )
    try:
        verify_request(
            aws_request, lookup_secret, service=SIGV4_SERVICE, regions={context.settings.region}
        )
    except aws_errors.CloudWatchError as exc:
        raise HttpError(401 if exc.status in (400, 403) else exc.status, exc.message) from exc
    db_session("identity").commit()  # a rotated key's first use retired its predecessor
    return found["principal"]


def require_principal(tenant_id: str) -> Principal:
    """A tenant (token) or a narrower key (SigV4) acting inside tenant `tenant_id`."""
    if request.headers.get("X-Auth-Token") or not request.headers.get(
        "Authorization", ""
    ).startswith("AWS4-HMAC-SHA256"):
        return require_tenant(tenant_id)
    principal = _sigv4_principal()
    if principal.tenant_id != tenant_id:
        raise HttpError(403, "These credentials do not grant access to this tenant.")
    g.principal = principal
    return principal


def require_same_stack(
    principal: Principal, stack: Stack, resource_name: str | None = None
) -> None:
    """Instance keys reach only their own stack (and, with `resource_name`, own resource)."""
    if principal.kind == "tenant":
        return
    if principal.stack_id != stack.id:
        raise HttpError(403, "These credentials are limited to another stack.")
    if resource_name is not None and principal.resource_name != resource_name:
        raise HttpError(403, "These credentials are limited to another resource.")
