"""SigV4 on the CloudWatch endpoint, verified against the identity store's access keys."""

from __future__ import annotations

from collections.abc import Sequence

from models.identity.tenants import Principal, lookup_access_key
from web.aws.request import AwsRequest
from web.aws.sigv4 import verify_request
from web.context import web_context
from web.sessions import db_session


def authenticate(request: AwsRequest, form_params: Sequence[tuple[str, str]] = ()) -> Principal:
    """The principal whose key signed this request; raises the SigV4 error classes otherwise."""
    context = web_context()
    found: dict[str, Principal] = {}

    def lookup_secret(access_key_id: str) -> str | None:
        entry = lookup_access_key(db_session("identity"), context.secret_box, access_key_id)
        if entry is None:
            return None
        secret, principal = entry
        found["principal"] = principal
        return secret

    verify_request(
        request,
        lookup_secret,
        service="monitoring",
        regions={context.settings.region},
        form_params=form_params,
    )
    return found["principal"]
