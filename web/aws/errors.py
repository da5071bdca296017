"""AWS-shaped errors of the CloudWatch endpoint, one class per AWS error code.

Each error knows its awsQuery code (what `Error/Code` and `x-amzn-query-error` carry), the
Smithy shape name (the `__type` suffix in JSON/CBOR), its HTTP status and its fault side.
The protocol serializers turn an instance into bytes; nothing else in the code base should
build an error body. See ../shared/cloudwatch-api.md §1.6 and §2.
"""

from __future__ import annotations


class CloudWatchError(Exception):
    code = "InternalFailure"
    shape = "InternalFailure"
    status = 500
    sender_fault = False
    # Authentication failures keep their status in every protocol (§2.7); operation
    # errors are answered 400 in JSON/CBOR unless the client sent x-amzn-query-mode.
    keeps_status_outside_query_mode = False
    # JSON/CBOR namespace of the error shape; auth errors come from Coral's service layer.
    namespace = "com.amazonaws.cloudwatch.v2010_08_01"

    def __init__(self, message: str = "", **members: object) -> None:
        super().__init__(message)
        self.message = message
        # Extra modelled members of the error shape (e.g. ResourceType, ResourceId).
        self.members = members


class AuthError(CloudWatchError):
    status = 403
    sender_fault = True
    keeps_status_outside_query_mode = True
    namespace = "com.amazon.coral.service"


class MissingAuthenticationToken(AuthError):
    code = shape = "MissingAuthenticationToken"


class IncompleteSignature(AuthError):
    code = shape = "IncompleteSignature"
    status = 400


class SignatureDoesNotMatch(AuthError):
    code = shape = "SignatureDoesNotMatch"


class InvalidClientTokenId(AuthError):
    code = shape = "InvalidClientTokenId"


class ExpiredToken(AuthError):
    code = shape = "ExpiredToken"


class AccessDenied(AuthError):
    """A valid signature whose principal may not call this operation (instance keys)."""

    code = shape = "AccessDenied"


class InternalFailure(CloudWatchError):
    """An unexpected server fault: logged with the request id, never shown as a trace."""

    code = shape = "InternalFailure"
    status = 500
