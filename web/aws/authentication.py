"""SigV4 on the CloudWatch endpoint, verified against the identity store's access keys."""

from __future__ import annotations

from collections.abc import Sequence

from models.identity.tenants import Principal, lookup_access_key, lookup_writes
from web.aws import errors
from web.aws.request import AwsRequest
from web.aws.sigv4 import VerifiedCredential, verify_request
from web.context import web_context


def authenticate(request: AwsRequest, form_params: Sequence[tuple[str, str]] = ()) -> Principal:
    """The principal whose key signed this request; raises the SigV4 error classes otherwise."""
    context = web_context()
    found: dict[str, Principal] = {}
    # A pooled connection of its own, not the request's identity session: the lookup is one
    # Core query, and a session's transaction bookkeeping around it cost more than the query.
    with context.databases["identity"].engine.connect() as connection:

        def lookup_secret(access_key_id: str) -> str | None:
            entry = lookup_access_key(connection, context.secret_box, access_key_id)
            if entry is None:
                return None
            secret, principal = entry
            found["principal"] = principal
            return secret

        credential = verify_request(
            request,
            lookup_secret,
            service="monitoring",
            regions={context.settings.region},
            form_params=form_params,
        )
        check_session_token(credential)
        principal = found["principal"]
        if lookup_writes(principal):
            connection.commit()  # a rotated key's first use retired its predecessor
    return principal


def check_session_token(credential: VerifiedCredential) -> None:
    """§2.6: a session token is looked up together with its (temporary) key. This identity
    store issues no temporary keys, tenant and instance keys being long-term, so a request
    that carries a token carries one we never issued: InvalidClientTokenId, as AWS answers
    an unknown token. Accepting it would let a signature over a forged token pass."""
    if credential.session_token is not None:
        raise errors.InvalidClientTokenId("The security token included in the request is invalid.")


# What keys narrower than a tenant's may do on the CloudWatch endpoint (issue 7): an
# instance pushes its metrics, nothing else (no reading, no alarms).
INSTANCE_OPERATIONS = frozenset({"PutMetricData"})


def authorize(principal: Principal, operation: str) -> None:
    if principal.kind == "tenant":
        return
    if operation not in INSTANCE_OPERATIONS:
        raise errors.AccessDenied(
            f"The credentials of {principal.kind} {principal.resource_name or ''} are not "
            f"allowed to call {operation}."
        )
