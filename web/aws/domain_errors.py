"""The one mapping from domain errors to CloudWatch error codes (Heat's map_remote_error).

Anything not listed becomes InternalFailure at the endpoint, logged with the request id.

Two domain errors depend on the operation, because AWS answers with a modelled code only
where the operation's model lists it (cloudwatch-api.md §1.6, §3.0):
- A missing member is MissingParameter only in PutMetricData and GetMetricStatistics, the
  operations that model MissingRequiredParameterException. Elsewhere it is a model
  constraint (`required`) that Coral reports as ValidationError, as AWS does for
  PutMetricAlarm ("ValidationError: MetricName must not be null" [aws-rec, issue logs]).
- A bad NextToken is InvalidNextToken where the model lists that error (GetMetricData,
  DescribeAlarms, DescribeAlarmHistory), else InvalidParameterValue (ListMetrics,
  ListDashboards).
"""

from __future__ import annotations

from models import errors as domain
from models.watch.alarm_validation import InvalidStateReasonDataError
from models.watch.alarms import AlarmBusyError
from models.watch.dashboards import DashboardNotFoundError
from models.watch.tags import ResourceNotFoundError
from web.aws import errors as aws
from web.aws import model

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

# The modelled error a domain error needs, and what it becomes where that error is not modelled.
_WHERE_MODELLED: dict[type[aws.CloudWatchError], type[aws.CloudWatchError]] = {
    aws.MissingParameter: aws.ValidationError,
    aws.InvalidNextToken: aws.InvalidParameterValue,
}


def map_domain_error(
    error: domain.DomainError, operation: str | None = None
) -> aws.CloudWatchError:
    """The AWS error for `error`; `operation` (when known) decides the codes above."""
    for domain_class, aws_class in _MAPPING:
        if isinstance(error, domain_class):
            if (
                operation is not None
                and aws_class in _WHERE_MODELLED
                and aws_class.shape not in model.modelled_errors(operation)
            ):
                aws_class = _WHERE_MODELLED[aws_class]
            # Members the error's shape models beside the message (ResourceNotFoundException's).
            return aws_class(error.message, **getattr(error, "error_members", {}))
    return aws.InternalFailure()
