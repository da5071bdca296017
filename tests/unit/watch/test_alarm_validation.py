"""PutMetricAlarm / PutCompositeAlarm / SetAlarmState validation (cloudwatch-api.md §3.5,
§3.6, §3.10) as a table: each bad request and the error class (hence AWS code) it gets."""

from __future__ import annotations

import pytest

from models.errors import (
    ConstraintViolationError,
    InvalidParameterCombinationError,
    InvalidParameterError,
    MissingParameterError,
)
from models.watch.alarm_validation import (
    InvalidStateReasonDataError,
    validate_alarm_names,
    validate_put_composite_alarm,
    validate_put_metric_alarm,
    validate_set_alarm_state,
)

GOOD = {
    "AlarmName": "cpu",
    "Namespace": "App",
    "MetricName": "CPU",
    "Statistic": "Average",
    "Period": 60,
    "EvaluationPeriods": 3,
    "Threshold": 80.0,
    "ComparisonOperator": "GreaterThanThreshold",
}
MATH = [
    {"Id": "m1", "ReturnData": False,
     "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "CPU"}, "Period": 60,
                    "Stat": "Average"}},
    {"Id": "e1", "Expression": "m1 * 100"},
]  # fmt: skip


def without(*names: str, **changes: object) -> dict:
    params = {k: v for k, v in GOOD.items() if k not in names}
    params.update(changes)
    return params


def test_a_good_alarm_is_normalised_with_defaults() -> None:
    config = validate_put_metric_alarm(
        {**GOOD, "Dimensions": [{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}]}
    )
    assert config.actions_enabled is True
    assert config.datapoints_to_alarm is None  # not echoed when left out, as on AWS
    assert config.treat_missing_data is None
    assert config.dimensions == (("a", "1"), ("b", "2"))
    assert config.threshold == 80.0


@pytest.mark.parametrize("period", [10, 20, 30, 60, 120, 3600])
def test_alarm_periods_that_are_allowed(period: int) -> None:
    validate_put_metric_alarm(without(Period=period, EvaluationPeriods=1))


@pytest.mark.parametrize(
    ("params", "error", "text"),
    [
        (without("AlarmName"), MissingParameterError, "AlarmName is required"),
        (without(AlarmName="x" * 256), InvalidParameterError, "shorter than 256"),
        (without(AlarmName="a\x01b"), InvalidParameterError, "control characters"),
        (without(AlarmDescription="d" * 1025), InvalidParameterError, "shorter than 1025"),
        (without(Period=45), InvalidParameterError, "10, 20, 30 or a multiple of 60"),
        (without(Period=0), InvalidParameterError, "greater than 0"),
        (without("Period"), MissingParameterError, "Period is required"),
        (without(Period=60, EvaluationPeriods=1441), ConstraintViolationError, "86400 seconds"),
        (without(Period=3600, EvaluationPeriods=169), ConstraintViolationError, "604800"),
        (without(EvaluationPeriods=0), InvalidParameterError, "greater than 0"),
        (without(DatapointsToAlarm=4), ConstraintViolationError, "less than or equal to"),
        (without("Threshold"), MissingParameterError, "Threshold is required"),
        (without("ComparisonOperator"), MissingParameterError, "ComparisonOperator"),
        (without(ComparisonOperator="Bigger"), ConstraintViolationError, "enum value set"),
        (without(ComparisonOperator="GreaterThanUpperThreshold"), ConstraintViolationError,
         "anomaly detection band"),
        (without(Statistic="Mean"), ConstraintViolationError, "at 'statistic'"),
        (without(ExtendedStatistic="p99"), InvalidParameterCombinationError, "Exactly one"),
        (without("Statistic"), MissingParameterError, "Statistic or ExtendedStatistic"),
        (without("Statistic", ExtendedStatistic="p101"), InvalidParameterError,
         "ExtendedStatistic is not supported"),
        (without(EvaluateLowSampleCountPercentile="ignore"), ConstraintViolationError,
         "percentile statistics"),
        (without("Statistic", ExtendedStatistic="p90", EvaluateLowSampleCountPercentile="x"),
         ConstraintViolationError, "Option x is not supported"),
        (without(TreatMissingData="zero"), ConstraintViolationError,
         "Supported values are [breaching, notBreaching, ignore, missing]"),
        (without(Unit="Parsecs"), ConstraintViolationError, "at 'unit'"),
        (without(AlarmActions=[f"http://h/{n}" for n in range(6)]), ConstraintViolationError,
         "greater than 5"),
        (without(OKActions=["mailto:ops@example.com"]), ConstraintViolationError,
         "Invalid arn syntax"),
        (without(Tags=[{"Key": "k" * 129, "Value": "v"}]), InvalidParameterError, "129"),
        (without(Dimensions=[{"Name": "a", "Value": "v"}] * 31), InvalidParameterError,
         "Dimensions must not have a size greater than 30"),
        (without(Namespace=":x"), InvalidParameterError, "must not start with ':'"),
        (without("Namespace"), MissingParameterError, "Namespace is required"),
        (without(ThresholdMetricId="t1"), ConstraintViolationError, "ThresholdMetricId"),
        (without(EvaluationCriteria={"x": 1}), InvalidParameterError, "not supported"),
        # The math form excludes the single-metric members.
        (without("MetricName", "Namespace", "Period", Metrics=MATH), ConstraintViolationError,
         "Statistic should not be set if list of Metrics is set."),
        (without("MetricName", "Namespace", "Period", "Statistic",
                 Metrics=[{**MATH[0], "ReturnData": True}, MATH[1]]),
         ConstraintViolationError, "exactly one query must have ReturnData"),
        (without("MetricName", "Namespace", "Period", "Statistic",
                 Metrics=[{**MATH[0], "Id": "M1"}, MATH[1]]),
         ConstraintViolationError, "Invalid metrics list"),
    ],
)  # fmt: skip
def test_bad_put_metric_alarm_requests(params: dict, error: type, text: str) -> None:
    with pytest.raises(error) as raised:
        validate_put_metric_alarm(params)
    assert type(raised.value) is error
    assert text in raised.value.message


def test_a_malformed_metrics_list_gets_exactly_the_recorded_text() -> None:
    # §3.5 [aws-rec]: `Invalid metrics list`, with nothing appended.
    params = without("MetricName", "Namespace", "Period", "Statistic",
                     Metrics=[{**MATH[0], "Id": "M1"}, MATH[1]])  # fmt: skip
    with pytest.raises(ConstraintViolationError) as raised:
        validate_put_metric_alarm(params)
    assert raised.value.message == "Invalid metrics list"


def test_a_math_alarm_takes_its_period_from_its_queries() -> None:
    config = validate_put_metric_alarm(
        without("MetricName", "Namespace", "Period", "Statistic", Metrics=MATH)
    )
    assert config.metrics == MATH
    assert config.evaluation_period == 60


@pytest.mark.parametrize(
    ("params", "error", "text"),
    [
        ({"AlarmName": "c"}, MissingParameterError, "AlarmRule is required"),
        ({"AlarmName": "c", "AlarmRule": "TRUE", "ActionsSuppressor": "s"},
         ConstraintViolationError, "required when ActionsSuppressor is set"),
        ({"AlarmName": "c", "AlarmRule": "TRUE", "ActionsSuppressorWaitPeriod": 60},
         ConstraintViolationError, "can only be set with ActionsSuppressor"),
        ({"AlarmName": "c", "AlarmRule": "TRUE",
          "AlarmActions": ["arn:aws:automate:us-east-1:ec2:stop"]},
         ConstraintViolationError, "do not support EC2 or Auto Scaling"),
    ],
)  # fmt: skip
def test_bad_put_composite_alarm_requests(params: dict, error: type, text: str) -> None:
    with pytest.raises(error) as raised:
        validate_put_composite_alarm(params)
    assert text in raised.value.message


def test_set_alarm_state_checks_the_enum_like_coral_and_the_json() -> None:
    with pytest.raises(ConstraintViolationError) as raised:
        validate_set_alarm_state({"AlarmName": "a", "StateValue": "INVALID", "StateReason": "r"})
    assert raised.value.message == (
        "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy "
        "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
    )
    with pytest.raises(InvalidStateReasonDataError):
        validate_set_alarm_state(
            {"AlarmName": "a", "StateValue": "OK", "StateReason": "r", "StateReasonData": "{"}
        )
    manual = validate_set_alarm_state(
        {"AlarmName": "a", "StateValue": "OK", "StateReason": "", "StateReasonData": '{"x":1}'}
    )
    assert (manual.state_value, manual.state_reason_data) == ("OK", '{"x":1}')


def test_alarm_name_lists_are_bounded() -> None:
    with pytest.raises(InvalidParameterError):
        validate_alarm_names([f"a{n}" for n in range(101)])
    with pytest.raises(MissingParameterError):
        validate_alarm_names([])
