"""Domain errors. Each frontend maps them once: web/api/errors.py to HTTP statuses,
web/aws/errors.py to AWS error codes."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    pass


class ConflictError(DomainError):
    pass


class InvalidInputError(DomainError):
    pass


class OperationInProgressError(ConflictError):
    pass


class AuthenticationError(DomainError):
    """Credentials are missing, unknown, revoked or wrong."""


class PermissionDeniedError(DomainError):
    """Valid credentials whose principal may not do this."""


# Input errors with CloudWatch's distinctions, which both the CloudWatch endpoint and the watch
# REST API report (the first as AWS codes, the second as HTTP 400 with the same message).
class InvalidParameterError(InvalidInputError):
    """A parameter has a value outside what the operation accepts (InvalidParameterValue)."""


class InvalidParameterCombinationError(InvalidInputError):
    """Parameters that exclude each other were given together (InvalidParameterCombination)."""


class MissingParameterError(InvalidInputError):
    """A required parameter is absent (MissingParameter)."""


class ConstraintViolationError(InvalidInputError):
    """A model constraint (enum, pattern, length) failed (AWS's generic ValidationError)."""


class InvalidPageTokenError(InvalidInputError):
    """A NextToken that this server did not issue, or no longer honours (InvalidNextToken)."""
