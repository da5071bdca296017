"""What the CloudWatch endpoint checks once a SigV4 signature is known to be good."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from web.aws import errors
from web.aws.authentication import check_session_token
from web.aws.sigv4 import VerifiedCredential


def credential(session_token: str | None) -> VerifiedCredential:
    return VerifiedCredential(
        access_key_id="AKIDEXAMPLE",
        region="us-east-1",
        service="monitoring",
        request_time=datetime(2026, 1, 1, tzinfo=UTC),
        session_token=session_token,
    )


def test_a_request_without_a_session_token_passes() -> None:
    check_session_token(credential(None))


def test_any_session_token_is_unknown_since_no_key_here_is_temporary() -> None:
    # §2.6: an unknown token is InvalidClientTokenId (403), even over a valid signature.
    with pytest.raises(errors.InvalidClientTokenId) as caught:
        check_session_token(credential("forged-token"))
    assert caught.value.message == "The security token included in the request is invalid."
    assert caught.value.status == 403
