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


class SenderError(CloudWatchError):
    """A client fault answered 400 unless the catalogue (§1.6) says otherwise."""

    status = 400
    sender_fault = True


# --- Modelled CloudWatch errors (§1.6): code = awsQuery code, shape = Smithy shape name ---


class InvalidParameterValue(SenderError):
    code = "InvalidParameterValue"
    shape = "InvalidParameterValueException"


class InvalidParameterCombination(SenderError):
    code = "InvalidParameterCombination"
    shape = "InvalidParameterCombinationException"


class MissingParameter(SenderError):
    code = "MissingParameter"
    shape = "MissingRequiredParameterException"


class InternalServiceError(CloudWatchError):
    code = "InternalServiceError"
    shape = "InternalServiceFault"
    status = 500


class InvalidNextToken(SenderError):
    code = shape = "InvalidNextToken"


class LimitExceeded(SenderError):
    code = "LimitExceeded"
    shape = "LimitExceededFault"


class ResourceNotFound(SenderError):
    code = shape = "ResourceNotFound"
    status = 404


class InvalidFormat(SenderError):
    code = "InvalidFormat"
    shape = "InvalidFormatFault"


class ResourceNotFoundException(SenderError):
    """Members: ResourceType, ResourceId (the shape has no message member of its own)."""

    code = shape = "ResourceNotFoundException"
    status = 404


class ConcurrentModificationException(SenderError):
    code = shape = "ConcurrentModificationException"
    status = 429


class ConflictException(SenderError):
    # The model gives no senderFault here; a 409 is still the caller's conflict, and the
    # awsQuery envelope needs a side, so it is reported as Sender like every other 4xx.
    code = shape = "ConflictException"
    status = 409


class DashboardInvalidInputError(SenderError):
    """Member: dashboardValidationMessages, a list of {DataPath, Message}."""

    code = "InvalidParameterInput"
    shape = "DashboardInvalidInputError"


class DashboardNotFoundError(SenderError):
    # Same awsQuery code as ResourceNotFound (alarms); only the shape differs.
    code = "ResourceNotFound"
    shape = "DashboardNotFoundError"
    status = 404


class ResourceConflict(SenderError):
    code = shape = "ResourceConflict"
    status = 409


class ValidationError(SenderError):
    """Model constraint failures, reported by Coral's validation layer, not by CloudWatch."""

    code = "ValidationError"
    shape = "ValidationException"
    namespace = "com.amazon.coral.validate"


# --- Protocol-level errors: raised before an operation runs ---


class InvalidAction(SenderError):
    """awsQuery: the Action names no operation we serve."""

    code = shape = "InvalidAction"


class MissingAction(SenderError):
    """awsQuery: neither Action nor Operation was sent."""

    code = shape = "MissingAction"


class MalformedQueryString(SenderError):
    """awsQuery: the form body or query string is not decodable text."""

    code = shape = "MalformedQueryString"
    # AWS's common-errors list gives 404 for this code; kept as documented.
    status = 404


class UnknownOperationException(SenderError):
    """awsJson1_0 / rpcv2Cbor: the target or path names no operation we serve."""

    code = shape = "UnknownOperationException"
    namespace = "com.amazon.coral.service"


class SerializationException(SenderError):
    """awsJson1_0 / rpcv2Cbor: the body is not a readable JSON object or CBOR map."""

    code = shape = "SerializationException"
    namespace = "com.amazon.coral.service"
