"""Schemas of the watch REST API: alarms, their state and history, metrics, dashboards.

Input schemas load Aodh-style snake_case JSON and hand the services what the CloudWatch
protocol layer would have handed them: `AlarmWriteSchema` loads into an `AlarmRequest` whose
`params` are PutMetricAlarm / PutCompositeAlarm members, so `validate_put_metric_alarm` and
`validate_put_composite_alarm` judge both APIs' alarms with the same rules and messages.
Output schemas dump the views that `alarm_view()` and friends build from stored rows.

The mapping between the two vocabularies lives here and only here (see web/api/watch/'s
docstring, in its __init__.py, for the table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from models.watch import alarms, graphs
from models.watch.alarm_validation import LOW_SAMPLE_OPTIONS, TREAT_MISSING_DATA
from models.watch.metric_validation import STANDARD_UNITS
from models.watch.metrics import LIST_PAGE_SIZE
from models.watch.statistics import STATISTICS
from models.watch.tables import Alarm, AlarmHistoryItem
from web.api.schemas import (
    Bool,
    Int,
    Number,
    QueryBool,
    QueryInt,
    StrictSchema,
    Text,
    UtcDateTime,
)

# --- Vocabulary: REST value <-> CloudWatch value ------------------------------------------------

STATES = {"ok": "OK", "alarm": "ALARM", "insufficient data": "INSUFFICIENT_DATA"}
STATE_NAMES = {aws: rest for rest, aws in STATES.items()}
OPERATORS = {
    "gt": "GreaterThanThreshold",
    "ge": "GreaterThanOrEqualToThreshold",
    "lt": "LessThanThreshold",
    "le": "LessThanOrEqualToThreshold",
}
OPERATOR_NAMES = {aws: rest for rest, aws in OPERATORS.items()}
THRESHOLD, COMPOSITE = "threshold", "composite"
ALARM_TYPES = {THRESHOLD: alarms.METRIC_ALARM, COMPOSITE: alarms.COMPOSITE_ALARM}
ALARM_TYPE_NAMES = {aws: rest for rest, aws in ALARM_TYPES.items()}
# "metric" is accepted as a filter value too: it is what CloudWatch calls these alarms.
ALARM_TYPE_FILTERS = {**ALARM_TYPES, "metric": alarms.METRIC_ALARM}
HISTORY_TYPES = {
    "configuration": "ConfigurationUpdate",
    "state transition": "StateUpdate",
    "action": "Action",
}  # the history service's ITEM_TYPES, each under its REST name
HISTORY_TYPE_NAMES = {aws: rest for rest, aws in HISTORY_TYPES.items()}

# MetricDataQuery members (math alarms) and their snake_case names, nested objects included.
_QUERY_KEYS = {
    "Id": "id",
    "Expression": "expression",
    "Label": "label",
    "ReturnData": "return_data",
    "Period": "period",
    "AccountId": "account_id",
    "MetricStat": "metric_stat",
    "Metric": "metric",
    "Stat": "stat",
    "Unit": "unit",
    "Namespace": "namespace",
    "MetricName": "metric_name",
    "Dimensions": "dimensions",
    "Name": "name",
    "Value": "value",
}
_QUERY_MEMBERS = {snake: camel for camel, snake in _QUERY_KEYS.items()}


def _renamed(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {table.get(k, k): _renamed(v, table) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_renamed(item, table) for item in value]
    return value


def _dimension_members(dimensions: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [{"Name": d["name"], "Value": d["value"]} for d in dimensions or []]


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # history data is cut at 4 KB, which can leave it unparsable


# --- Shared pieces ------------------------------------------------------------------------------


class DimensionSchema(StrictSchema):
    name = Text(required=True)
    value = Text(required=True)


class TagSchema(StrictSchema):
    key = Text(required=True)
    value = Text(required=True)


def _actions(description: str) -> fields.List:
    return fields.List(Text(), allow_none=True, metadata={"description": description})


# --- Alarms: input ------------------------------------------------------------------------------


class MetricSchema(StrictSchema):
    namespace = Text(allow_none=True)
    metric_name = Text(allow_none=True)
    dimensions = fields.List(fields.Nested(DimensionSchema), allow_none=True)


class MetricStatSchema(StrictSchema):
    metric = fields.Nested(MetricSchema, allow_none=True)
    period = Int(allow_none=True)
    stat = Text(allow_none=True)
    unit = Text(allow_none=True, validate=validate.OneOf(STANDARD_UNITS))


class MetricQuerySchema(StrictSchema):
    """One query of a metric math alarm (CloudWatch's MetricDataQuery, in snake_case)."""

    id = Text(allow_none=True)
    expression = Text(allow_none=True)
    label = Text(allow_none=True)
    return_data = Bool(allow_none=True)
    period = Int(allow_none=True)
    account_id = Text(allow_none=True)
    metric_stat = fields.Nested(MetricStatSchema, allow_none=True)


class ThresholdRuleSchema(StrictSchema):
    """What a threshold (metric) alarm watches and when it fires.

    Either one metric (`namespace`, `metric_name`, `dimensions`, `statistic`, `period`,
    `unit`) or metric math (`metrics`).
    """

    namespace = Text(allow_none=True)
    metric_name = Text(allow_none=True)
    dimensions = fields.List(fields.Nested(DimensionSchema), allow_none=True)
    statistic = Text(
        allow_none=True,
        metadata={"description": "SampleCount, Average, Sum, Minimum, Maximum or a percentile "
                  "such as p99 (CloudWatch's Statistic or ExtendedStatistic)"},
    )  # fmt: skip
    period = Int(allow_none=True, metadata={"description": "seconds: 10, 20, 30 or n x 60"})
    evaluation_periods = Int(allow_none=True)
    datapoints_to_alarm = Int(allow_none=True)
    threshold = Number(allow_none=True)
    comparison_operator = Text(allow_none=True, validate=validate.OneOf(list(OPERATORS)))
    treat_missing_data = Text(allow_none=True, validate=validate.OneOf(TREAT_MISSING_DATA))
    unit = Text(allow_none=True, validate=validate.OneOf(STANDARD_UNITS))
    evaluate_low_sample_count_percentile = Text(
        allow_none=True, validate=validate.OneOf(LOW_SAMPLE_OPTIONS)
    )
    metrics = fields.List(fields.Nested(MetricQuerySchema), allow_none=True)


@dataclass(frozen=True)
class AlarmRequest:
    """A loaded alarm body: its kind and the PutMetricAlarm / PutCompositeAlarm members."""

    alarm_type: str  # alarms.METRIC_ALARM | alarms.COMPOSITE_ALARM
    params: dict[str, Any]


_COMPOSITE_ONLY = (
    "alarm_rule",
    "actions_suppressor",
    "actions_suppressor_wait_period",
    "actions_suppressor_extension_period",
)


class AlarmFieldsSchema(StrictSchema):
    """The configuration members every alarm write shares (PUT, PATCH and POST)."""

    description = Text(allow_none=True)
    enabled = Bool(allow_none=True, metadata={"description": "whether actions run"})
    alarm_actions = _actions("URLs or ARNs notified on entering ALARM")
    ok_actions = _actions("URLs or ARNs notified on entering OK")
    insufficient_data_actions = _actions("URLs or ARNs notified on entering INSUFFICIENT_DATA")
    rule = fields.Nested(ThresholdRuleSchema, allow_none=True)
    alarm_rule = Text(allow_none=True, metadata={"description": "composite alarms only"})
    actions_suppressor = Text(allow_none=True)
    actions_suppressor_wait_period = Int(allow_none=True)
    actions_suppressor_extension_period = Int(allow_none=True)


class AlarmWriteSchema(AlarmFieldsSchema):
    """An alarm's configuration, as PUT replaces it (the name is the path's).

    A `threshold` alarm has a `rule`; a `composite` alarm has an `alarm_rule` expression
    (and optionally an actions suppressor) instead.
    """

    type = Text(load_default=THRESHOLD, validate=validate.OneOf(list(ALARM_TYPES)))

    @validates_schema
    def _rule_matches_type(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("type", THRESHOLD) == THRESHOLD:
            if data.get("rule") is None:
                raise ValidationError("A threshold alarm needs a rule.", "rule")
            extra = [key for key in _COMPOSITE_ONLY if data.get(key) is not None]
            if extra:
                raise ValidationError("Only composite alarms have this field.", extra[0])
        else:
            if data.get("alarm_rule") is None:
                raise ValidationError("A composite alarm needs an alarm_rule.", "alarm_rule")
            if data.get("rule") is not None:
                raise ValidationError("Composite alarms have an alarm_rule, not a rule.", "rule")

    @post_load
    def _to_request(self, data: dict[str, Any], **_kwargs: Any) -> AlarmRequest:
        params: dict[str, Any] = {
            "AlarmName": data.get("name"),
            "AlarmDescription": data.get("description"),
            "ActionsEnabled": data.get("enabled"),
            "AlarmActions": data.get("alarm_actions"),
            "OKActions": data.get("ok_actions"),
            "InsufficientDataActions": data.get("insufficient_data_actions"),
        }
        if data.get("tags") is not None:
            params["Tags"] = [{"Key": t["key"], "Value": t["value"]} for t in data["tags"]]
        if data["type"] == COMPOSITE:
            params.update(
                AlarmRule=data.get("alarm_rule"),
                ActionsSuppressor=data.get("actions_suppressor"),
                ActionsSuppressorWaitPeriod=data.get("actions_suppressor_wait_period"),
                ActionsSuppressorExtensionPeriod=data.get("actions_suppressor_extension_period"),
            )
        else:
            params.update(_rule_members(data["rule"]))
        return AlarmRequest(
            ALARM_TYPES[data["type"]], {k: v for k, v in params.items() if v is not None}
        )


def _rule_members(rule: dict[str, Any]) -> dict[str, Any]:
    statistic = rule.get("statistic")
    standard = statistic in STATISTICS
    operator = rule.get("comparison_operator")
    dimensions, metrics = rule.get("dimensions"), rule.get("metrics")
    return {
        "Namespace": rule.get("namespace"),
        "MetricName": rule.get("metric_name"),
        "Dimensions": None if dimensions is None else _dimension_members(dimensions),
        "Statistic": statistic if standard else None,
        "ExtendedStatistic": None if standard else statistic,
        "Period": rule.get("period"),
        "EvaluationPeriods": rule.get("evaluation_periods"),
        "DatapointsToAlarm": rule.get("datapoints_to_alarm"),
        "Threshold": rule.get("threshold"),
        "ComparisonOperator": None if operator is None else OPERATORS[operator],
        "TreatMissingData": rule.get("treat_missing_data"),
        "Unit": rule.get("unit"),
        "EvaluateLowSampleCountPercentile": rule.get("evaluate_low_sample_count_percentile"),
        "Metrics": None if metrics is None else _renamed(metrics, _QUERY_MEMBERS),
    }  # fmt: skip


class AlarmCreateSchema(AlarmWriteSchema):
    """A new alarm: a configuration plus its name and tags (tags count only on create)."""

    name = Text(required=True)
    tags = fields.List(fields.Nested(TagSchema), allow_none=True)


class AlarmPatchSchema(AlarmFieldsSchema):
    """Members to change (RFC 7396 merge patch: `null` removes an optional member).

    The patch is checked for shape on its own, then merged into the stored configuration;
    the result is loaded with the PUT schema and validated like any other write.
    """

    type = Text(allow_none=True, validate=validate.OneOf(list(ALARM_TYPES)))


def alarm_document(alarm: Alarm) -> dict[str, Any]:
    """A stored alarm in AlarmWriteSchema's shape: the base a PATCH is merged into."""
    doc: dict[str, Any] = {
        "type": ALARM_TYPE_NAMES.get(alarm.alarm_type, THRESHOLD),
        "description": alarm.description,
        "enabled": alarm.actions_enabled,
        "alarm_actions": list(alarm.alarm_actions),
        "ok_actions": list(alarm.ok_actions),
        "insufficient_data_actions": list(alarm.insufficient_data_actions),
    }
    if alarm.alarm_type == alarms.COMPOSITE_ALARM:
        doc.update(
            alarm_rule=alarm.alarm_rule,
            actions_suppressor=alarm.actions_suppressor,
            actions_suppressor_wait_period=alarm.actions_suppressor_wait_period,
            actions_suppressor_extension_period=alarm.actions_suppressor_extension_period,
        )
    else:
        doc["rule"] = {k: v for k, v in rule_view(alarm).items() if v is not None}
    return {k: v for k, v in doc.items() if v is not None}


# --- Alarms: output -----------------------------------------------------------------------------


class AlarmSchema(StrictSchema):
    """An alarm, with Aodh's field names where the concept is the same."""

    alarm_id = Text(required=True, metadata={"description": "the alarm's ARN"})
    name = Text(required=True)
    type = Text(required=True, validate=validate.OneOf(list(ALARM_TYPES)))
    description = Text(required=True, allow_none=True)
    enabled = Bool(required=True, metadata={"description": "whether actions run"})
    alarm_actions = fields.List(Text(), required=True)
    ok_actions = fields.List(Text(), required=True)
    insufficient_data_actions = fields.List(Text(), required=True)
    state = Text(required=True, validate=validate.OneOf(list(STATES)))
    state_reason = Text(required=True)
    state_reason_data = fields.Raw(required=True, allow_none=True)
    state_timestamp = UtcDateTime(required=True, metadata={"description": "last state update"})
    state_transitioned_timestamp = UtcDateTime(required=True)
    timestamp = UtcDateTime(required=True, metadata={"description": "last configuration change"})
    rule = fields.Nested(ThresholdRuleSchema, metadata={"description": "threshold alarms"})
    alarm_rule = Text(metadata={"description": "composite alarms"})
    actions_suppressor = Text(allow_none=True)
    actions_suppressor_wait_period = Int(allow_none=True)
    actions_suppressor_extension_period = Int(allow_none=True)
    actions_suppressed_by = Text(allow_none=True)
    actions_suppressed_reason = Text(allow_none=True)


def rule_view(alarm: Alarm) -> dict[str, Any]:
    dimensions = json.loads(alarm.dimensions) if alarm.dimensions else []
    return {
        "namespace": alarm.namespace,
        "metric_name": alarm.metric_name,
        "dimensions": None
        if alarm.metrics is not None
        else [{"name": name, "value": value} for name, value in dimensions],
        "statistic": alarm.statistic or alarm.extended_statistic,
        "period": alarm.period,
        "evaluation_periods": alarm.evaluation_periods,
        "datapoints_to_alarm": alarm.datapoints_to_alarm,
        "threshold": alarm.threshold,
        "comparison_operator": OPERATOR_NAMES.get(alarm.comparison_operator or ""),
        "treat_missing_data": alarm.treat_missing_data,
        "unit": alarm.unit,
        "evaluate_low_sample_count_percentile": alarm.evaluate_low_sample_count_percentile,
        "metrics": None if alarm.metrics is None else _renamed(alarm.metrics, _QUERY_KEYS),
    }


def alarm_view(alarm: Alarm, arn: str, suppression: dict[str, Any] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "alarm_id": arn,
        "name": alarm.name,
        "type": ALARM_TYPE_NAMES.get(alarm.alarm_type, THRESHOLD),
        "description": alarm.description,
        "enabled": alarm.actions_enabled,
        "alarm_actions": list(alarm.alarm_actions),
        "ok_actions": list(alarm.ok_actions),
        "insufficient_data_actions": list(alarm.insufficient_data_actions),
        **state_view(alarm, prefix="state_"),
        "timestamp": alarm.config_updated_at,
    }
    if alarm.alarm_type == alarms.COMPOSITE_ALARM:
        suppression = suppression or {}
        view.update(
            alarm_rule=alarm.alarm_rule,
            actions_suppressor=alarm.actions_suppressor,
            actions_suppressor_wait_period=alarm.actions_suppressor_wait_period,
            actions_suppressor_extension_period=alarm.actions_suppressor_extension_period,
            actions_suppressed_by=suppression.get("ActionsSuppressedBy"),
            actions_suppressed_reason=suppression.get("ActionsSuppressedReason"),
        )
    else:
        view["rule"] = rule_view(alarm)
    return view


class AlarmPageSchema(StrictSchema):
    alarms = fields.List(fields.Nested(AlarmSchema), required=True)
    next_marker = Text(metadata={"description": "the marker of the next page, when there is one"})


# --- Alarm state --------------------------------------------------------------------------------


class AlarmStateSchema(StrictSchema):
    """An alarm's state. PUT sets it until the next evaluation, as SetAlarmState does."""

    state = Text(required=True, validate=validate.OneOf(list(STATES)))
    reason = Text(required=True)
    reason_data = fields.Raw(
        allow_none=True,
        load_default=None,
        metadata={"description": "any JSON (StateReasonData), usually an object"},
    )
    timestamp = UtcDateTime(dump_only=True, metadata={"description": "last state update"})
    transitioned_timestamp = UtcDateTime(dump_only=True)

    @post_load
    def _to_params(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """SetAlarmState members (the alarm's name is added by the view)."""
        params = {"StateValue": STATES[data["state"]], "StateReason": data["reason"]}
        if data.get("reason_data") is not None:
            params["StateReasonData"] = json.dumps(data["reason_data"], separators=(",", ":"))
        return params


def state_view(alarm: Alarm, prefix: str = "") -> dict[str, Any]:
    """The state members: `reason`, ... for the state resource, `state_reason`, ... in an alarm."""
    return {
        "state": STATE_NAMES.get(alarm.state_value, alarm.state_value),
        f"{prefix}reason": alarm.state_reason,
        f"{prefix}reason_data": _json_or_text(alarm.state_reason_data),
        f"{prefix}timestamp": alarm.state_updated_at,
        f"{prefix}transitioned_timestamp": alarm.state_transitioned_at,
    }


# --- Alarm history ------------------------------------------------------------------------------


class HistoryItemSchema(StrictSchema):
    alarm_id = Text(required=True)
    name = Text(required=True)
    alarm_type = Text(required=True, validate=validate.OneOf(list(ALARM_TYPES)))
    timestamp = UtcDateTime(required=True)
    type = Text(required=True, validate=validate.OneOf(list(HISTORY_TYPES)))
    summary = Text(required=True)
    detail = fields.Raw(
        required=True,
        allow_none=True,
        metadata={"description": "the change as CloudWatch's HistoryData records it"},
    )


def history_view(item: AlarmHistoryItem, arn: str) -> dict[str, Any]:
    return {
        "alarm_id": arn,
        "name": item.alarm_name,
        "alarm_type": ALARM_TYPE_NAMES.get(item.alarm_type, THRESHOLD),
        "timestamp": item.timestamp,
        "type": HISTORY_TYPE_NAMES.get(item.item_type, item.item_type),
        "summary": item.summary,
        "detail": _json_or_text(item.data),
    }


class HistoryPageSchema(StrictSchema):
    history = fields.List(fields.Nested(HistoryItemSchema), required=True)
    next_marker = Text()


# --- Query strings ------------------------------------------------------------------------------


def _limit(maximum: int, default: int) -> QueryInt:
    return QueryInt(
        minimum=1, maximum=maximum, metadata={"description": f"page size (default {default})"}
    )


class AlarmListQuery(StrictSchema):
    state = Text(validate=validate.OneOf(list(STATES)))
    name_prefix = Text()
    type = Text(validate=validate.OneOf(list(ALARM_TYPE_FILTERS)))
    limit = _limit(alarms.MAX_RECORDS, alarms.DEFAULT_MAX_RECORDS)
    marker = Text(metadata={"description": "the name of the last alarm of the previous page"})


class HistoryQuery(StrictSchema):
    type = Text(validate=validate.OneOf(list(HISTORY_TYPES)))
    start = UtcDateTime(metadata={"description": "items at or after this time"})
    end = UtcDateTime(metadata={"description": "items at or before this time"})
    limit = _limit(alarms.MAX_RECORDS, alarms.DEFAULT_MAX_RECORDS)
    marker = Text(metadata={"description": "next_marker of the previous page"})


class DimensionParam(Text):
    """`Name:Value`, split at the first colon (so a name cannot hold one, a value can);
    with `value_optional`, a bare `Name` matches any value of that dimension."""

    default_error_messages = {"format": "Must be Name:Value."}

    def __init__(self, *, value_optional: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_optional = value_optional

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        name, colon, dimension_value = text.partition(":")
        if not colon:
            if not self.value_optional:
                raise self.make_error("format")
            return (name, None)
        return (name, dimension_value)


def _dimension_param(description: str, *, value_optional: bool = False) -> fields.List:
    return fields.List(
        DimensionParam(value_optional=value_optional), metadata={"description": description}
    )


class MetricListQuery(StrictSchema):
    namespace = Text()
    name = Text()
    dimension = _dimension_param(
        "`Name:Value`, or `Name` for any value; repeat for several (all must match)",
        value_optional=True,
    )
    recently_active = QueryBool(metadata={"description": "only metrics with data in 3 hours"})
    limit = _limit(LIST_PAGE_SIZE, LIST_PAGE_SIZE)
    marker = Text(metadata={"description": "next_marker of the previous page"})


class StatisticsQuery(StrictSchema):
    namespace = Text(required=True)
    name = Text(required=True)
    dimension = _dimension_param("`Name:Value`; repeat for each dimension of the metric")
    statistics = fields.List(
        Text(),
        metadata={"description": "SampleCount, Average, Sum, Minimum, Maximum "
                  "(default: all five, unless percentiles are asked for)"},
    )  # fmt: skip
    percentiles = fields.List(
        Text(), metadata={"description": "extended statistics: p99, tm90, TM(10%:90%)..."}
    )
    period = QueryInt(metadata={"description": "seconds (default 60)"})
    start = UtcDateTime(metadata={"description": "default: an hour before end"})
    end = UtcDateTime(metadata={"description": "default: now (exclusive)"})
    unit = Text(validate=validate.OneOf(STANDARD_UNITS))


def _pixels(default: int) -> QueryInt:
    return QueryInt(
        minimum=1, maximum=graphs.MAX_SIDE, metadata={"description": f"pixels (default {default})"}
    )


class MetricGraphQuery(StrictSchema):
    namespace = Text(required=True)
    name = Text(required=True)
    dimension = _dimension_param("`Name:Value`; repeat for each dimension of the metric")
    statistic = Text(
        metadata={"description": "SampleCount, Average (default), Sum, Minimum, Maximum, or a "
                  "percentile-type statistic such as p99"},
    )  # fmt: skip
    period = QueryInt(metadata={"description": "seconds (default 60)"})
    start = UtcDateTime(metadata={"description": "default: three hours before end"})
    end = UtcDateTime(metadata={"description": "default: now"})
    width = _pixels(600)
    height = _pixels(300)
    title = Text(metadata={"description": "default: the metric name, statistic and period"})


class AlarmGraphQuery(StrictSchema):
    start = UtcDateTime(
        metadata={"description": "default: three hours before end, or the evaluation window "
                  "when that is longer"},
    )  # fmt: skip
    end = UtcDateTime(metadata={"description": "default: now"})
    width = _pixels(600)
    height = _pixels(300)


class DashboardListQuery(StrictSchema):
    name_prefix = Text()
    marker = Text(metadata={"description": "next_marker of the previous page"})


# --- Metrics --------------------------------------------------------------------------------


class MetricOutSchema(StrictSchema):
    namespace = Text(required=True)
    metric_name = Text(required=True)
    dimensions = fields.List(fields.Nested(DimensionSchema), required=True)


def metric_view(metric: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespace": metric["Namespace"],
        "metric_name": metric["MetricName"],
        "dimensions": [{"name": d["Name"], "value": d["Value"]} for d in metric["Dimensions"]],
    }


class MetricPageSchema(StrictSchema):
    metrics = fields.List(fields.Nested(MetricOutSchema), required=True)
    next_marker = Text()


class StatisticValuesSchema(StrictSchema):
    sample_count = Number(required=True)
    sum = Number(required=True)
    minimum = Number(required=True)
    maximum = Number(required=True)


class DatumSchema(StrictSchema):
    """One datapoint: `value`, or `values` (with optional `counts`), or `statistic_values`."""

    metric_name = Text(required=True)
    dimensions = fields.List(fields.Nested(DimensionSchema), allow_none=True)
    timestamp = UtcDateTime(allow_none=True, metadata={"description": "default: now"})
    value = Number(allow_none=True)
    values = fields.List(Number(), allow_none=True)
    counts = fields.List(Number(), allow_none=True)
    statistic_values = fields.Nested(StatisticValuesSchema, allow_none=True)
    unit = Text(allow_none=True, validate=validate.OneOf(STANDARD_UNITS))
    storage_resolution = Int(allow_none=True, metadata={"description": "1 or 60 (default)"})


@dataclass(frozen=True)
class MetricDataRequest:
    namespace: str
    metric_data: list[dict[str, Any]]  # PutMetricData MetricData members


class MetricDataSchema(StrictSchema):
    """Datapoints to store, as PutMetricData takes them."""

    namespace = Text(required=True)
    metric_data = fields.List(fields.Nested(DatumSchema), required=True)

    @post_load
    def _to_request(self, data: dict[str, Any], **_kwargs: Any) -> MetricDataRequest:
        members = []
        for datum in data["metric_data"]:
            stats = datum.get("statistic_values")
            member = {
                "MetricName": datum["metric_name"],
                "Dimensions": _dimension_members(datum.get("dimensions")),
                "Timestamp": datum.get("timestamp"),
                "Value": datum.get("value"),
                "Values": datum.get("values"),
                "Counts": datum.get("counts"),
                "StatisticValues": None
                if stats is None
                else {
                    "SampleCount": stats["sample_count"],
                    "Sum": stats["sum"],
                    "Minimum": stats["minimum"],
                    "Maximum": stats["maximum"],
                },
                "Unit": datum.get("unit"),
                "StorageResolution": datum.get("storage_resolution"),
            }
            members.append({k: v for k, v in member.items() if v is not None})
        return MetricDataRequest(data["namespace"], members)


class MetricDataAcceptedSchema(StrictSchema):
    batch_id = Text(required=True, metadata={"description": "the request id: the batch's key"})
    accepted = Int(required=True, metadata={"description": "datapoints queued for storage"})


class DatapointSchema(StrictSchema):
    timestamp = UtcDateTime(required=True)
    unit = Text(required=True)
    sample_count = Number(allow_none=True)
    average = Number(allow_none=True)
    sum = Number(allow_none=True)
    minimum = Number(allow_none=True)
    maximum = Number(allow_none=True)
    percentiles = fields.Dict(keys=fields.String(), values=Number())


_STATISTIC_KEYS = {
    "SampleCount": "sample_count",
    "Average": "average",
    "Sum": "sum",
    "Minimum": "minimum",
    "Maximum": "maximum",
}


def datapoint_view(point: dict[str, Any]) -> dict[str, Any]:
    view = {"timestamp": point["Timestamp"], "unit": point["Unit"]}
    for aws, rest in _STATISTIC_KEYS.items():
        if aws in point:
            view[rest] = point[aws]
    if "ExtendedStatistics" in point:
        view["percentiles"] = point["ExtendedStatistics"]
    return view


class StatisticsSchema(StrictSchema):
    label = Text(required=True)
    datapoints = fields.List(fields.Nested(DatapointSchema), required=True)


# --- Dashboards ---------------------------------------------------------------------------------


class DashboardWriteSchema(StrictSchema):
    """A dashboard's body (CloudWatch's DashboardBody, as a JSON object) and, on create, tags."""

    body = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    tags = fields.List(fields.Nested(TagSchema), allow_none=True)


class DashboardSchema(StrictSchema):
    name = Text(required=True)
    dashboard_id = Text(required=True, metadata={"description": "the dashboard's ARN"})
    body = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    last_modified = UtcDateTime(required=True)


class ValidationMessageSchema(StrictSchema):
    data_path = Text(required=True)
    message = Text(required=True)


class DashboardPutSchema(DashboardSchema):
    messages = fields.List(
        fields.Nested(ValidationMessageSchema),
        required=True,
        metadata={"description": "warnings: the dashboard was saved"},
    )


class DashboardEntrySchema(StrictSchema):
    name = Text(required=True)
    dashboard_id = Text(required=True)
    last_modified = UtcDateTime(required=True)
    size = Int(required=True, minimum=0)


class DashboardPageSchema(StrictSchema):
    dashboards = fields.List(fields.Nested(DashboardEntrySchema), required=True)
    next_marker = Text()


# --- Errors (documentation of web/api/errors.py's body) -----------------------------------------


class ErrorDetailSchema(StrictSchema):
    type = Text(required=True)
    message = Text(required=True)
    traceback = Text(required=True, allow_none=True)
    field_messages = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        data_key="fields",
        metadata={"description": "422: marshmallow's messages per field"},
    )
    messages = fields.List(
        fields.Nested(ValidationMessageSchema),
        metadata={"description": "400 on a dashboard: what is wrong with its body"},
    )


class ErrorSchema(StrictSchema):
    code = Int(required=True)
    title = Text(required=True)
    explanation = Text(required=True)
    error = fields.Nested(ErrorDetailSchema, required=True)
    request_id = Text(required=True, allow_none=True)
