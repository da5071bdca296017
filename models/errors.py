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
