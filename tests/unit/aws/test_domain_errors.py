"""Domain errors to CloudWatch codes, where the code depends on the operation's model (§1.6)."""

from __future__ import annotations

import pytest

from models import errors as domain
from models.watch.tags import ResourceNotFoundError
from web.aws import errors as aws
from web.aws.domain_errors import map_domain_error
from web.aws.model import modelled_errors

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("PutMetricData", aws.MissingParameter),
        ("GetMetricStatistics", aws.MissingParameter),
        # Elsewhere a missing member is Coral's `required` constraint: ValidationError.
        ("GetMetricData", aws.ValidationError),
        ("PutMetricAlarm", aws.ValidationError),
        ("SetAlarmState", aws.ValidationError),
        ("TagResource", aws.ValidationError),
        ("GetMetricWidgetImage", aws.ValidationError),
        (None, aws.MissingParameter),  # operation unknown: the error's own code
    ],
)
def test_a_missing_member_is_missing_parameter_only_where_modelled(
    operation: str | None, expected: type[aws.CloudWatchError]
) -> None:
    error = map_domain_error(
        domain.MissingParameterError("The parameter X is required."), operation
    )
    assert type(error) is expected
    assert error.message == "The parameter X is required."


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("GetMetricData", aws.InvalidNextToken),
        ("DescribeAlarms", aws.InvalidNextToken),
        ("DescribeAlarmHistory", aws.InvalidNextToken),
        # §3.0/§3.4: where the model has no InvalidNextToken, InvalidParameterValue.
        ("ListMetrics", aws.InvalidParameterValue),
        ("ListDashboards", aws.InvalidParameterValue),
    ],
)
def test_a_bad_next_token_is_invalid_next_token_only_where_modelled(
    operation: str, expected: type[aws.CloudWatchError]
) -> None:
    error = map_domain_error(domain.InvalidPageTokenError("bad token"), operation)
    assert type(error) is expected


def test_other_errors_do_not_depend_on_the_operation() -> None:
    error = map_domain_error(domain.InvalidParameterError("bad"), "ListMetrics")
    assert type(error) is aws.InvalidParameterValue
    error = map_domain_error(domain.ConstraintViolationError("bad"), "PutMetricData")
    assert type(error) is aws.ValidationError


def test_modelled_errors_come_from_botocore_model() -> None:
    assert "MissingRequiredParameterException" in modelled_errors("PutMetricData")
    assert "InvalidNextToken" in modelled_errors("DescribeAlarms")
    assert modelled_errors("DescribeAlarmsForMetric") == frozenset()
    assert modelled_errors("PutMetricStream") == frozenset()  # out of scope


def test_tagging_an_unknown_resource_names_it_in_the_modelled_members() -> None:
    error = map_domain_error(ResourceNotFoundError("alarm", "cpu-high"), "TagResource")
    assert type(error) is aws.ResourceNotFoundException
    assert error.message == "The alarm cpu-high does not exist."
    assert error.members == {"ResourceType": "alarm", "ResourceId": "cpu-high"}
