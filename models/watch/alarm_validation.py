"""PutMetricAlarm / PutCompositeAlarm / SetAlarmState validation (cloudwatch-api.md §3.0,
§3.5, §3.6, §3.10), pure: request members in, a normalised configuration out.

Reporting follows PutMetricData's rules (models/watch/metric_validation.py): enum failures
first, as Coral's `ValidationError` text; every other problem collected in request order and
raised as one error whose class is that of the first problem.

Decisions on points the reference leaves open (each marked [?] there):
- Period x EvaluationPeriods over 1 day (Period < 3600) or 7 days (Period >= 3600),
  DatapointsToAlarm > EvaluationPeriods and more than 5 actions: ValidationError.
- Statistic together with ExtendedStatistic: InvalidParameterCombination.
- Actions: `http://` / `https://` URLs (webhooks, and the orchestration engine's signed
  scaling-policy URLs) and well-formed `arn:` strings are accepted. ARN targets other than
  those this deployment can run (none yet) are stored and, on a transition, recorded as a
  failed Action history item saying why, rather than refused: templates written for AWS keep
  working and the history shows what did not happen.
- ThresholdMetricId / anomaly-band operators: refused with ValidationError, since metric math
  here has no ANOMALY_DETECTION_BAND (§4.4 lists it as unsupported).
- The 2025-26 members (EvaluationWindow, EvaluationCriteria, ...) are refused with
  InvalidParameterValue rather than silently ignored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from models.errors import (
    ConstraintViolationError,
    DomainError,
    InvalidParameterCombinationError,
    InvalidParameterError,
    MissingParameterError,
)
from models.watch.constraints import enum_line, length_line, minimum_line, raise_violations
from models.watch.datums import Dimensions, canonical_dimensions
from models.watch.metric_data_validation import query_problems
from models.watch.metric_validation import (
    METRIC_NAME_MAX,
    NAMESPACE_MAX,
    STANDARD_UNITS,
    dimension_problems,
    text_problems,
)
from models.watch.statistics import STATISTICS, parse_statistic

Problem = tuple[type[DomainError], str]

ALARM_NAME_MAX = 255
DESCRIPTION_MAX = 1024
MAX_ACTIONS = 5
ACTION_MAX = 1024
MAX_TAGS = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
MAX_MATH_QUERIES = 20
MAX_MATH_METRIC_STATS = 10
MAX_MATH_EXPRESSIONS = 10
STATE_REASON_MAX = 1023
STATE_REASON_DATA_MAX = 4000
ALARM_PERIODS_SUB_MINUTE = (10, 20, 30)
ONE_DAY = 86_400
SEVEN_DAYS = 7 * ONE_DAY

STATES = ("INSUFFICIENT_DATA", "ALARM", "OK")
STATIC_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
LOW_SAMPLE_OPTIONS = ("evaluate", "ignore")
OUT_OF_SCOPE_MEMBERS = (
    "EvaluationWindow",
    "WarmUpConfiguration",
    "EvaluationCriteria",
    "EvaluationInterval",
    "ActionConfiguration",
)
INVALID_METRICS_LIST = "Invalid metrics list"
_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9a-zA-Z_-]*:.+$")
_ACTION_LISTS = ("OKActions", "AlarmActions", "InsufficientDataActions")


@dataclass(frozen=True)
class CommonAlarmConfig:
    """Members metric and composite alarms share."""

    name: str
    description: str | None = None
    actions_enabled: bool = True
    ok_actions: tuple[str, ...] = ()
    alarm_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MetricAlarmConfig(CommonAlarmConfig):
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: Dimensions = ()
    statistic: str | None = None
    extended_statistic: str | None = None
    unit: str | None = None
    metrics: list[dict[str, Any]] | None = None
    period: int | None = None
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    threshold: float | None = None
    comparison_operator: str = "GreaterThanThreshold"
    treat_missing_data: str | None = None
    evaluate_low_sample_count_percentile: str | None = None

    @property
    def evaluation_period(self) -> int:
        """The period the alarm is evaluated on (a math alarm's is its queries' period)."""
        if self.period is not None:
            return self.period
        return min(_query_periods(self.metrics or []), default=60)


@dataclass(frozen=True)
class CompositeAlarmConfig(CommonAlarmConfig):
    alarm_rule: str = ""
    actions_suppressor: str | None = None
    actions_suppressor_wait_period: int | None = None
    actions_suppressor_extension_period: int | None = None


@dataclass(frozen=True)
class ManualState:
    state_value: str
    state_reason: str
    state_reason_data: str | None = field(default=None)


# --- Shared members ----------------------------------------------------------------------


def _raise(problems: Sequence[Problem]) -> None:
    if problems:
        raise problems[0][0]("\n".join(message for _, message in problems))


def validate_describe_alarms_filters(params: dict[str, Any]) -> None:
    """DescribeAlarms' model constraints (§3.7): StateValue, and the lengths of the name and
    action filters. ValidationError listing every one broken."""
    raise_violations(
        [
            enum_line(params.get("StateValue"), "stateValue", STATES),
            length_line(params.get("AlarmNamePrefix"), "alarmNamePrefix", ALARM_NAME_MAX, 1),
            length_line(params.get("ActionPrefix"), "actionPrefix", ACTION_MAX, 1),
            length_line(
                params.get("ChildrenOfAlarmName"), "childrenOfAlarmName", ALARM_NAME_MAX, 1
            ),
            length_line(params.get("ParentsOfAlarmName"), "parentsOfAlarmName", ALARM_NAME_MAX, 1),
        ]
    )


def validate_describe_alarms_for_metric(params: dict[str, Any]) -> None:
    """DescribeAlarmsForMetric's model constraints (§3.8): the filters are looked up as
    given (a Period no alarm can have matches nothing), but enums and ranges hold."""
    raise_violations(
        [
            enum_line(params.get("Statistic"), "statistic", STATISTICS),
            enum_line(params.get("Unit"), "unit", STANDARD_UNITS),
            minimum_line(params.get("Period"), "period", 1),
        ]
    )


def alarm_name_problems(name: Any, path: str = "AlarmName") -> list[Problem]:
    if not name:
        return [(MissingParameterError, f"The parameter {path} is required.")]
    problems: list[Problem] = []
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        problems.append(
            (InvalidParameterError, f"The parameter {path} contains control characters.")
        )
    if len(name) > ALARM_NAME_MAX:
        problems.append(
            (InvalidParameterError, f"The parameter {path} must be shorter than 256 characters.")
        )
    return problems


def _action_problems(params: dict[str, Any], allow_ec2_and_scaling: bool) -> list[Problem]:
    problems: list[Problem] = []
    for member in _ACTION_LISTS:
        actions = params.get(member) or []
        if len(actions) > MAX_ACTIONS:
            problems.append(
                (
                    ConstraintViolationError,
                    f"The collection {member} must not have a size greater than {MAX_ACTIONS}.",
                )
            )
        for action in actions:
            if not action or len(action) > ACTION_MAX:
                problems.append(
                    (InvalidParameterError, f"The parameter {member} has an action of bad length.")
                )
            elif not (action.startswith(("http://", "https://")) or _ARN.match(action)):
                problems.append((ConstraintViolationError, f"Invalid arn syntax: {action}"))
            elif not allow_ec2_and_scaling and (
                action.startswith("arn:aws:automate:") or ":autoscaling:" in action
            ):
                problems.append(
                    (
                        ConstraintViolationError,
                        f"Composite alarms do not support EC2 or Auto Scaling actions: {action}",
                    )
                )
    return problems


def tag_problems(tags: list[dict[str, Any]] | None, path: str = "Tags") -> list[Problem]:
    tags = tags or []
    problems: list[Problem] = []
    if len(tags) > MAX_TAGS:
        problems.append(
            (InvalidParameterError, f"The collection {path} must not have a size greater than 50.")
        )
    for n, tag in enumerate(tags, start=1):
        key, value = tag.get("Key"), tag.get("Value")
        if not key:
            problems.append(
                (MissingParameterError, f"The parameter {path}.member.{n}.Key is required.")
            )
        elif len(key) > TAG_KEY_MAX:
            problems.append(
                (
                    InvalidParameterError,
                    f"The parameter {path}.member.{n}.Key must be shorter than 129 characters.",
                )
            )
        if value is None:
            problems.append(
                (MissingParameterError, f"The parameter {path}.member.{n}.Value is required.")
            )
        elif len(value) > TAG_VALUE_MAX:
            problems.append(
                (
                    InvalidParameterError,
                    f"The parameter {path}.member.{n}.Value must be shorter than 257 characters.",
                )
            )
    return problems


def normalised_tags(tags: list[dict[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((tag["Key"], tag.get("Value") or "") for tag in tags or [])


def _common(params: dict[str, Any]) -> dict[str, Any]:
    enabled = params.get("ActionsEnabled")
    return {
        "name": params["AlarmName"],
        "description": params.get("AlarmDescription"),
        "actions_enabled": True if enabled is None else bool(enabled),
        "ok_actions": tuple(params.get("OKActions") or ()),
        "alarm_actions": tuple(params.get("AlarmActions") or ()),
        "insufficient_data_actions": tuple(params.get("InsufficientDataActions") or ()),
        "tags": normalised_tags(params.get("Tags")),
    }


def _common_problems(params: dict[str, Any], *, composite: bool) -> list[Problem]:
    problems = alarm_name_problems(params.get("AlarmName"))
    description = params.get("AlarmDescription")
    if description is not None and len(description) > DESCRIPTION_MAX:
        problems.append(
            (
                InvalidParameterError,
                "The parameter AlarmDescription must be shorter than 1025 characters.",
            )
        )
    problems += _action_problems(params, allow_ec2_and_scaling=not composite)
    problems += tag_problems(params.get("Tags"))
    for member in OUT_OF_SCOPE_MEMBERS:
        if params.get(member) is not None:
            problems.append(
                (
                    InvalidParameterError,
                    f"The parameter {member} is not supported by this endpoint.",
                )
            )
    return problems


# --- PutMetricAlarm ----------------------------------------------------------------------


def validate_put_metric_alarm(params: dict[str, Any]) -> MetricAlarmConfig:
    raise_violations(
        [
            enum_line(params.get("Statistic"), "statistic", STATISTICS),
            enum_line(
                params.get("ComparisonOperator"),
                "comparisonOperator",
                STATIC_OPERATORS + BAND_OPERATORS,
            ),
            enum_line(params.get("Unit"), "unit", STANDARD_UNITS),
        ]
    )
    problems = _common_problems(params, composite=False)
    metrics = params.get("Metrics")
    single = [
        m for m in ("MetricName", "Namespace", "Dimensions", "Period", "Unit") if params.get(m)
    ]
    if metrics:
        if params.get("Statistic") is not None:
            problems.append(
                (
                    ConstraintViolationError,
                    "Statistic should not be set if list of Metrics is set.",
                )
            )
        elif params.get("ExtendedStatistic") is not None:
            problems.append(
                (
                    ConstraintViolationError,
                    "ExtendedStatistic should not be set if list of Metrics is set.",
                )
            )
        elif single:
            problems.append(
                (
                    ConstraintViolationError,
                    f"{single[0]} should not be set if list of Metrics is set.",
                )
            )
        problems += _math_problems(metrics)
    else:
        problems += _single_metric_problems(params)
    problems += _evaluation_problems(params, metrics)
    _raise(problems)

    extended = params.get("ExtendedStatistic")
    return MetricAlarmConfig(
        **_common(params),
        namespace=None if metrics else params.get("Namespace"),
        metric_name=None if metrics else params.get("MetricName"),
        dimensions=canonical_dimensions(
            [(d["Name"], d["Value"]) for d in params.get("Dimensions") or []]
        ),
        statistic=params.get("Statistic"),
        extended_statistic=extended,
        unit=params.get("Unit"),
        metrics=metrics or None,
        period=None if metrics else params.get("Period"),
        evaluation_periods=params["EvaluationPeriods"],
        datapoints_to_alarm=params.get("DatapointsToAlarm"),
        threshold=float(params["Threshold"]),
        comparison_operator=params["ComparisonOperator"],
        treat_missing_data=params.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=params.get("EvaluateLowSampleCountPercentile"),
    )


def _single_metric_problems(params: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    namespace, metric_name = params.get("Namespace"), params.get("MetricName")
    if not metric_name:
        problems.append((MissingParameterError, "The parameter MetricName is required."))
    else:
        problems += text_problems("MetricName", metric_name, METRIC_NAME_MAX, ascii_only=False)
    if not namespace:
        problems.append((MissingParameterError, "The parameter Namespace is required."))
    else:
        problems += text_problems("Namespace", namespace, NAMESPACE_MAX, no_leading_colon=True)
    problems += dimension_problems("", params.get("Dimensions") or [])

    statistic, extended = params.get("Statistic"), params.get("ExtendedStatistic")
    if statistic is not None and extended is not None:
        problems.append(
            (
                InvalidParameterCombinationError,
                "Exactly one of Statistic and ExtendedStatistic must be specified.",
            )
        )
    elif statistic is None and extended is None:
        problems.append(
            (
                MissingParameterError,
                "One of the parameters Statistic or ExtendedStatistic must be specified.",
            )
        )
    elif extended is not None and not _percentile_statistic(extended):
        problems.append(
            (
                InvalidParameterError,
                f"The value {extended} for parameter ExtendedStatistic is not supported.",
            )
        )
    period = params.get("Period")
    if period is None:
        problems.append((MissingParameterError, "The parameter Period is required."))
    else:
        problems += _alarm_period_problems("Period", period)
    if params.get("EvaluateLowSampleCountPercentile") is not None and extended is None:
        problems.append(
            (
                ConstraintViolationError,
                "EvaluateLowSampleCountPercentile can only be used with percentile statistics.",
            )
        )
    return problems


def _percentile_statistic(text: str) -> bool:
    try:
        return parse_statistic(text, "ExtendedStatistic").is_percentile_type
    except ConstraintViolationError:
        return False


def _alarm_period_problems(path: str, period: int) -> list[Problem]:
    if period < 1:
        return [(InvalidParameterError, f"The parameter {path} must be greater than 0.")]
    if period not in ALARM_PERIODS_SUB_MINUTE and period % 60:
        return [
            (
                InvalidParameterError,
                f"The parameter {path} must be 10, 20, 30 or a multiple of 60.",
            )
        ]
    return []


def _query_periods(metrics: list[dict[str, Any]]) -> list[int]:
    periods = []
    for query in metrics:
        stat = query.get("MetricStat") or {}
        if stat.get("Period") is not None:
            periods.append(stat["Period"])
        elif query.get("Period") is not None:
            periods.append(query["Period"])
    return periods


def _math_problems(metrics: list[dict[str, Any]]) -> list[Problem]:
    problems, _parsed = query_problems(metrics)
    if problems:
        # AWS answers a malformed list with this text and nothing more [aws-rec] (§3.5).
        return [(ConstraintViolationError, INVALID_METRICS_LIST)]
    stats = [q for q in metrics if q.get("MetricStat")]
    expressions = [q for q in metrics if q.get("Expression")]
    returned = [q for q in metrics if q.get("ReturnData", True)]
    found: list[Problem] = []
    if len(metrics) > MAX_MATH_QUERIES:
        found.append((ConstraintViolationError, "Invalid metrics list: at most 20 queries."))
    if len(stats) > MAX_MATH_METRIC_STATS or len(expressions) > MAX_MATH_EXPRESSIONS:
        found.append(
            (
                ConstraintViolationError,
                "Invalid metrics list: at most 10 MetricStat and 10 Expression queries.",
            )
        )
    if len(returned) != 1:
        found.append(
            (
                ConstraintViolationError,
                "Invalid metrics list: exactly one query must have ReturnData set to true.",
            )
        )
    for query in metrics:
        if "ANOMALY_DETECTION_BAND" in (query.get("Expression") or ""):
            found.append(
                (ConstraintViolationError, "ANOMALY_DETECTION_BAND is not supported here.")
            )
    for n, period in enumerate(_query_periods(metrics), start=1):
        found += _alarm_period_problems(f"Metrics.member.{n}.Period", period)
    return found


def _evaluation_problems(
    params: dict[str, Any], metrics: list[dict[str, Any]] | None
) -> list[Problem]:
    problems: list[Problem] = []
    periods_n = params.get("EvaluationPeriods")
    if periods_n is None:
        problems.append((MissingParameterError, "The parameter EvaluationPeriods is required."))
    elif periods_n < 1:
        problems.append(
            (InvalidParameterError, "The parameter EvaluationPeriods must be greater than 0.")
        )
    datapoints = params.get("DatapointsToAlarm")
    if datapoints is not None:
        if datapoints < 1:
            problems.append(
                (InvalidParameterError, "The parameter DatapointsToAlarm must be greater than 0.")
            )
        elif periods_n is not None and datapoints > periods_n:
            problems.append(
                (
                    ConstraintViolationError,
                    "DatapointsToAlarm must be less than or equal to EvaluationPeriods.",
                )
            )
    period = params.get("Period") if not metrics else min(_query_periods(metrics), default=None)
    if period and periods_n and period >= 1:
        limit = ONE_DAY if period < 3600 else SEVEN_DAYS
        if period * periods_n > limit:
            problems.append(
                (
                    ConstraintViolationError,
                    "The product of EvaluationPeriods and Period must not exceed "
                    f"{limit} seconds ({'1 day' if limit == ONE_DAY else '7 days'}).",
                )
            )
    if params.get("ThresholdMetricId") is not None:
        problems.append(
            (
                ConstraintViolationError,
                "ThresholdMetricId is not supported: metric math here has no "
                "ANOMALY_DETECTION_BAND.",
            )
        )
    elif params.get("Threshold") is None:
        problems.append((MissingParameterError, "The parameter Threshold is required."))
    elif not math.isfinite(params["Threshold"]):
        problems.append((InvalidParameterError, "The parameter Threshold must be a finite number."))
    operator = params.get("ComparisonOperator")
    if operator is None:
        problems.append((MissingParameterError, "The parameter ComparisonOperator is required."))
    elif operator in BAND_OPERATORS:
        problems.append(
            (
                ConstraintViolationError,
                f"ComparisonOperator {operator} needs an anomaly detection band "
                "(ThresholdMetricId), which is not supported.",
            )
        )
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING_DATA:
        problems.append(
            (
                ConstraintViolationError,
                f"The value {treat} is not supported for TreatMissingData parameter. "
                "Supported values are [breaching, notBreaching, ignore, missing].",
            )
        )
    low = params.get("EvaluateLowSampleCountPercentile")
    if low is not None and low not in LOW_SAMPLE_OPTIONS:
        problems.append(
            (
                ConstraintViolationError,
                f"Option {low} is not supported. Supported options for parameter "
                "EvaluateLowSampleCountPercentile are evaluate and ignore.",
            )
        )
    return problems


# --- PutCompositeAlarm -------------------------------------------------------------------


def validate_put_composite_alarm(params: dict[str, Any]) -> CompositeAlarmConfig:
    """Member checks; the rule's grammar and its children's existence are the service's."""
    problems = _common_problems(params, composite=True)
    if not params.get("AlarmRule"):
        problems.append((MissingParameterError, "The parameter AlarmRule is required."))
    suppressor = params.get("ActionsSuppressor")
    wait = params.get("ActionsSuppressorWaitPeriod")
    extension = params.get("ActionsSuppressorExtensionPeriod")
    if suppressor is not None:
        if len(suppressor) > 1600:
            problems.append(
                (
                    InvalidParameterError,
                    "The parameter ActionsSuppressor must be shorter than 1601 characters.",
                )
            )
        if wait is None or extension is None:
            problems.append(
                (
                    ConstraintViolationError,
                    "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are "
                    "required when ActionsSuppressor is set.",
                )
            )
    elif wait is not None or extension is not None:
        problems.append(
            (
                ConstraintViolationError,
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod can only be "
                "set with ActionsSuppressor.",
            )
        )
    for member, value in (
        ("ActionsSuppressorWaitPeriod", wait),
        ("ActionsSuppressorExtensionPeriod", extension),
    ):
        if value is not None and value < 0:
            problems.append(
                (InvalidParameterError, f"The parameter {member} must not be negative.")
            )
    _raise(problems)
    return CompositeAlarmConfig(
        **_common(params),
        alarm_rule=params["AlarmRule"],
        actions_suppressor=suppressor,
        actions_suppressor_wait_period=wait,
        actions_suppressor_extension_period=extension,
    )


# --- SetAlarmState -----------------------------------------------------------------------


def validate_set_alarm_state(params: dict[str, Any]) -> ManualState:
    raise_violations([enum_line(params.get("StateValue"), "stateValue", STATES)])
    problems = alarm_name_problems(params.get("AlarmName"))
    if params.get("StateValue") is None:
        problems.append((MissingParameterError, "The parameter StateValue is required."))
    reason = params.get("StateReason")
    if reason is None:
        problems.append((MissingParameterError, "The parameter StateReason is required."))
    elif len(reason) > STATE_REASON_MAX:
        problems.append(
            (
                InvalidParameterError,
                "The parameter StateReason must be shorter than 1024 characters.",
            )
        )
    data = params.get("StateReasonData")
    if data is not None and len(data) > STATE_REASON_DATA_MAX:
        problems.append(
            (
                InvalidParameterError,
                "The parameter StateReasonData must be shorter than 4001 characters.",
            )
        )
    _raise(problems)
    if data:
        try:
            json.loads(data)
        except ValueError as exc:
            raise InvalidStateReasonDataError("State reason data must be valid JSON.") from exc
    return ManualState(params["StateValue"], reason or "", data or None)


class InvalidStateReasonDataError(InvalidParameterError):
    """StateReasonData that is not JSON: CloudWatch's InvalidFormat (§3.10)."""


def validate_state_value(value: Any, coral: str = "stateValue") -> None:
    raise_violations([enum_line(value, coral, STATES)])


def validate_alarm_names(names: list[str] | None, *, required: bool = True) -> list[str]:
    names = list(names or [])
    if required and not names:
        raise MissingParameterError("The parameter AlarmNames is required.")
    if len(names) > 100:
        raise InvalidParameterError(
            "The collection AlarmNames must not have a size greater than 100."
        )
    problems: list[Problem] = []
    for n, name in enumerate(names, start=1):
        problems += alarm_name_problems(name, f"AlarmNames.member.{n}")
    _raise(problems)
    return names
