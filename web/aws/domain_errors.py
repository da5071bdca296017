"""The one mapping from domain errors to CloudWatch error codes (Heat's map_remote_error).

Anything not listed becomes InternalFailure at the endpoint, logged with the request id.
"""

from __future__ import annotations

from models import errors as domain
from models.watch.alarm_validation import InvalidStateReasonDataError
from models.watch.alarms import AlarmBusyError
from models.watch.dashboards import DashboardNotFoundError
from models.watch.tags import ResourceNotFoundError
from web.aws import errors as aws

# Most specific first: the first isinstance match wins.
_MAPPING: tuple[tuple[type[domain.DomainError], type[aws.CloudWatchError]], ...] = (
    (InvalidStateReasonDataError, aws.InvalidFormat),
    (AlarmBusyError, aws.ConcurrentModificationException),
    (DashboardNotFoundError, aws.DashboardNotFoundError),
    (ResourceNotFoundError, aws.ResourceNotFoundException),
    (domain.InvalidParameterCombinationError, aws.InvalidParameterCombination),
    (domain.MissingParameterError, aws.MissingParameter),
    (domain.ConstraintViolationError, aws.ValidationError),
    (domain.InvalidPageTokenError, aws.InvalidNextToken),
    (domain.InvalidParameterError, aws.InvalidParameterValue),
    (domain.InvalidInputError, aws.InvalidParameterValue),
    (domain.NotFoundError, aws.ResourceNotFound),
    (domain.PermissionDeniedError, aws.AccessDenied),
)


def map_domain_error(error: domain.DomainError) -> aws.CloudWatchError:
    for domain_class, aws_class in _MAPPING:
        if isinstance(error, domain_class):
            return aws_class(error.message)
    return aws.InternalFailure()
