"""PutMetricData validation: every rule of cloudwatch-api.md §3.0/§3.1, as a table of cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from models.errors import (
    ConstraintViolationError,
    DomainError,
    InvalidParameterCombinationError,
    InvalidParameterError,
    MissingParameterError,
)
from models.watch.datums import Datum
from models.watch.metric_validation import (
    _PLAIN_MEMBERS,
    STANDARD_UNITS,
    _check_datum,
    _plain_value_datum,
    accept_put_metric_data,
    validate_metric_reference,
    validate_put_metric_data,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
NS = "App/Test"
M1 = "MetricData.member.1"
LIMIT = 2.0**360


def datum(**members: Any) -> dict[str, Any]:
    members.setdefault("MetricName", "Latency")
    if not {"Value", "Values", "StatisticValues"} & members.keys():
        members["Value"] = 1.0
    return members


def dims(count: int) -> list[dict[str, str]]:
    return [{"Name": f"d{i}", "Value": "v"} for i in range(count)]


def stats(**overrides: float) -> dict[str, float]:
    return {"SampleCount": 2.0, "Sum": 3.0, "Minimum": 1.0, "Maximum": 2.0, **overrides}


def failure(
    namespace: str | None, data: list[dict[str, Any]] | None, **kw: Any
) -> tuple[type[DomainError], str]:
    with pytest.raises(DomainError) as caught:
        validate_put_metric_data(namespace, data, NOW, **kw)
    return type(caught.value), caught.value.message


# --- Accepted boundaries -------------------------------------------------------------------

ACCEPTED = {
    "namespace 255 chars": ("N" * 255, [datum()]),
    "namespace with UG characters and space": ("A z/0.9-_#:x", [datum()]),
    "metric name 255 chars": (NS, [datum(MetricName="m" * 255)]),
    "metric name non-ASCII (no charset rule)": (NS, [datum(MetricName="Latenz-ü")]),
    "30 dimensions": (NS, [datum(Dimensions=dims(30))]),
    "dimension name 255, value 1024": (
        NS,
        [datum(Dimensions=[{"Name": "n" * 255, "Value": "v" * 1024}])],
    ),
    "dimension value may start with a colon": (
        NS,
        [datum(Dimensions=[{"Name": "n", "Value": ":v"}])],
    ),
    "1000 metrics": (NS, [datum()] * 1000),
    "150 values": (NS, [datum(Values=[1.0] * 150)]),
    "150 values with counts": (NS, [datum(Values=[1.0] * 150, Counts=[2.0] * 150)]),
    "value +2^360": (NS, [datum(Value=LIMIT)]),
    "value -2^360": (NS, [datum(Value=-LIMIT)]),
    "tiny non-zero value": (NS, [datum(Value=2.0**-400)]),
    "timestamp exactly 14 days old": (NS, [datum(Timestamp=NOW - timedelta(days=14))]),
    "timestamp exactly 2 hours ahead": (NS, [datum(Timestamp=NOW + timedelta(hours=2))]),
    "storage resolution 1": (NS, [datum(StorageResolution=1)]),
    "storage resolution 60": (NS, [datum(StorageResolution=60)]),
    "every standard unit": (NS, [datum(Unit=unit) for unit in STANDARD_UNITS]),
    "statistic set with Minimum == Maximum": (
        NS,
        [datum(StatisticValues=stats(Minimum=2.0, Maximum=2.0))],
    ),
}


@pytest.mark.parametrize(("namespace", "data"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted(namespace: str, data: list[dict[str, Any]]) -> None:
    assert len(validate_put_metric_data(namespace, data, NOW)) == len(data)


# --- Refused, one problem each -------------------------------------------------------------

INVALID = InvalidParameterError
MISSING = MissingParameterError
COMBO = InvalidParameterCombinationError
DIM1 = f"{M1}.Dimensions.member.1"

REFUSED = {
    # Namespace
    "no namespace": (None, [datum()], MISSING, "The parameter Namespace is required."),
    "empty namespace": ("", [datum()], MISSING, "The parameter Namespace is required."),
    "namespace 256 chars": (
        "N" * 256,
        [datum()],
        INVALID,
        "The parameter Namespace must be shorter than 256 characters.",
    ),
    "namespace non-ASCII": (
        "Café",
        [datum()],
        INVALID,
        "The value for parameter Namespace contains non-ASCII characters.",
    ),
    "namespace control character": (
        "a\tb",
        [datum()],
        INVALID,
        "The value for parameter Namespace contains control characters.",
    ),
    "namespace only whitespace": (
        "   ",
        [datum()],
        INVALID,
        "The parameter Namespace must contain at least one non-whitespace character.",
    ),
    "namespace leading colon": (
        ":abc",
        [datum()],
        INVALID,
        "The parameter Namespace must not start with ':'.",
    ),
    "namespace AWS/ reserved": (
        "AWS/EC2",
        [datum()],
        INVALID,
        'The value AWS/EC2 for parameter Namespace is invalid. Namespaces beginning with "AWS/" '
        "are reserved for AWS.",
    ),
    # MetricData presence and count
    "no MetricData": (NS, None, MISSING, "The parameter MetricData is required."),
    "empty MetricData": (NS, [], MISSING, "The parameter MetricData is required."),
    "1001 metrics": (
        NS,
        [datum()] * 1001,
        INVALID,
        "The collection MetricData must not have a size greater than 1000.",
    ),
    # MetricName
    "no metric name": (
        NS,
        [{"Value": 1.0}],
        MISSING,
        f"The parameter {M1}.MetricName is required.",
    ),
    "empty metric name": (
        NS,
        [datum(MetricName="")],
        MISSING,
        f"The parameter {M1}.MetricName is required.",
    ),
    "metric name 256 chars": (
        NS,
        [datum(MetricName="m" * 256)],
        INVALID,
        f"The parameter {M1}.MetricName must be shorter than 256 characters.",
    ),
    # Dimensions
    "31 dimensions": (
        NS,
        [datum(Dimensions=dims(31))],
        INVALID,
        f"The collection {M1}.Dimensions must not have a size greater than 30.",
    ),
    "dimension without name": (
        NS,
        [datum(Dimensions=[{"Value": "v"}])],
        MISSING,
        f"The parameter {DIM1}.Name is required.",
    ),
    "dimension with empty value": (
        NS,
        [datum(Dimensions=[{"Name": "n", "Value": ""}])],
        MISSING,
        f"The parameter {DIM1}.Value is required.",
    ),
    "dimension name 256 chars": (
        NS,
        [datum(Dimensions=[{"Name": "n" * 256, "Value": "v"}])],
        INVALID,
        f"The parameter {DIM1}.Name must be shorter than 256 characters.",
    ),
    "dimension value 1025 chars": (
        NS,
        [datum(Dimensions=[{"Name": "n", "Value": "v" * 1025}])],
        INVALID,
        f"The parameter {DIM1}.Value must be shorter than 1025 characters.",
    ),
    "dimension value non-ASCII": (
        NS,
        [datum(Dimensions=[{"Name": "n", "Value": "é"}])],
        INVALID,
        f"The value for parameter {DIM1}.Value contains non-ASCII characters.",
    ),
    "dimension name control character": (
        NS,
        [datum(Dimensions=[{"Name": "a\x7f", "Value": "v"}])],
        INVALID,
        f"The value for parameter {DIM1}.Name contains control characters.",
    ),
    "dimension value only whitespace": (
        NS,
        [datum(Dimensions=[{"Name": "n", "Value": "  "}])],
        INVALID,
        f"The parameter {DIM1}.Value must contain at least one non-whitespace character.",
    ),
    "dimension name leading colon": (
        NS,
        [datum(Dimensions=[{"Name": ":n", "Value": "v"}])],
        INVALID,
        f"The parameter {DIM1}.Name must not start with ':'.",
    ),
    # Value forms
    "Value and Values": (
        NS,
        [datum(Value=1.0, Values=[1.0])],
        COMBO,
        f"The parameters {M1}.Value and {M1}.Values are mutually exclusive "
        "and you have specified both.",
    ),
    "Value and StatisticValues": (
        NS,
        [datum(Value=1.0, StatisticValues=stats())],
        COMBO,
        f"The parameters {M1}.Value and {M1}.StatisticValues are mutually exclusive "
        "and you have specified both.",
    ),
    "Values and StatisticValues": (
        NS,
        [datum(Values=[1.0], StatisticValues=stats())],
        COMBO,
        f"The parameters {M1}.Values and {M1}.StatisticValues are mutually exclusive "
        "and you have specified both.",
    ),
    "no value at all": (
        NS,
        [{"MetricName": "m"}],
        COMBO,
        f"At least one of the parameters {M1}.Value and {M1}.StatisticValues must be specified.",
    ),
    "151 values": (
        NS,
        [datum(Values=[1.0] * 151)],
        INVALID,
        f"The collection {M1}.Values must not have a size greater than 150.",
    ),
    "counts shorter than values": (
        NS,
        [datum(Values=[1.0, 2.0], Counts=[1.0])],
        INVALID,
        f"The parameters {M1}.Values and {M1}.Counts must be of the same size.",
    ),
    "counts without values": (
        NS,
        [datum(Value=1.0, Counts=[1.0])],
        INVALID,
        f"The parameters {M1}.Values and {M1}.Counts must be of the same size.",
    ),
    "value NaN": (
        NS,
        [datum(Value=math.nan)],
        INVALID,
        f"The value NaN for parameter {M1}.Value is invalid.",
    ),
    "value +Infinity": (
        NS,
        [datum(Value=math.inf)],
        INVALID,
        f"The value Infinity for parameter {M1}.Value is invalid.",
    ),
    "value -Infinity": (
        NS,
        [datum(Value=-math.inf)],
        INVALID,
        f"The value -Infinity for parameter {M1}.Value is invalid.",
    ),
    "value just above 2^360": (
        NS,
        [datum(Value=math.nextafter(LIMIT, math.inf))],
        INVALID,
        f"The value {math.nextafter(LIMIT, math.inf)!r} for parameter {M1}.Value is invalid.",
    ),
    "value just below -2^360": (
        NS,
        [datum(Value=-math.nextafter(LIMIT, math.inf))],
        INVALID,
        f"The value {-math.nextafter(LIMIT, math.inf)!r} for parameter {M1}.Value is invalid.",
    ),
    "second of Values is NaN": (
        NS,
        [datum(Values=[1.0, math.nan])],
        INVALID,
        f"The value NaN for parameter {M1}.Values.member.2 is invalid.",
    ),
    "negative count": (
        NS,
        [datum(Values=[1.0], Counts=[-1.0])],
        INVALID,
        f"The value -1.0 for parameter {M1}.Counts.member.1 is invalid.",
    ),
    "infinite count": (
        NS,
        [datum(Values=[1.0], Counts=[math.inf])],
        INVALID,
        f"The value Infinity for parameter {M1}.Counts.member.1 is invalid.",
    ),
    "statistic set without Sum": (
        NS,
        [datum(StatisticValues={"SampleCount": 1.0, "Minimum": 1.0, "Maximum": 1.0})],
        MISSING,
        f"The parameter {M1}.StatisticValues.Sum is required.",
    ),
    "statistic set with NaN Maximum": (
        NS,
        [datum(StatisticValues=stats(Maximum=math.nan))],
        INVALID,
        f"The value NaN for parameter {M1}.StatisticValues.Maximum is invalid.",
    ),
    "statistic set with SampleCount 0": (
        NS,
        [datum(StatisticValues=stats(SampleCount=0.0))],
        INVALID,
        f"The parameter {M1}.StatisticValues.SampleCount must be greater than 0.",
    ),
    "statistic set with Minimum > Maximum": (
        NS,
        [datum(StatisticValues=stats(Minimum=3.0, Maximum=2.0))],
        INVALID,
        f"The parameter {M1}.StatisticValues.Minimum must be less than or equal to "
        f"the parameter {M1}.StatisticValues.Maximum.",
    ),
    # Timestamp and resolution
    "timestamp 14 days and 1 µs old": (
        NS,
        [datum(Timestamp=NOW - timedelta(days=14, microseconds=1))],
        INVALID,
        f"The parameter {M1}.Timestamp must specify a time within the past two weeks.",
    ),
    "timestamp 2 hours and 1 µs ahead": (
        NS,
        [datum(Timestamp=NOW + timedelta(hours=2, microseconds=1))],
        INVALID,
        f"The parameter {M1}.Timestamp must specify a time no more than two hours in the future.",
    ),
    "storage resolution 5": (
        NS,
        [datum(StorageResolution=5)],
        INVALID,
        f"The value 5 for parameter {M1}.StorageResolution is invalid. Valid values are 1 and 60.",
    ),
    # Unit: a model (enum) constraint, reported in Coral's ValidationError form
    "unknown unit": (
        NS,
        [datum(Unit="Foo")],
        ConstraintViolationError,
        "1 validation error detected: Value 'Foo' at 'metricData.1.member.unit' failed to "
        f"satisfy constraint: Member must satisfy enum value set: [{', '.join(STANDARD_UNITS)}]",
    ),
}


@pytest.mark.parametrize(
    ("namespace", "data", "error", "message"), REFUSED.values(), ids=REFUSED.keys()
)
def test_refused(
    namespace: str | None,
    data: list[dict[str, Any]] | None,
    error: type[DomainError],
    message: str,
) -> None:
    assert failure(namespace, data) == (error, message)


# --- Several problems in one request -------------------------------------------------------


def test_all_problems_are_joined_in_request_order_with_member_numbers_from_one() -> None:
    data = [
        datum(),
        datum(Value=math.nan),
        datum(Timestamp=NOW - timedelta(days=15), Dimensions=[{"Name": "n", "Value": "é" * 1025}]),
    ]
    error, message = failure(NS, data)
    assert error is InvalidParameterError
    assert message.split("\n") == [
        "The value NaN for parameter MetricData.member.2.Value is invalid.",
        "The value for parameter MetricData.member.3.Dimensions.member.1.Value contains "
        "non-ASCII characters.",
        "The parameter MetricData.member.3.Dimensions.member.1.Value must be shorter than "
        "1025 characters.",
        "The parameter MetricData.member.3.Timestamp must specify a time within the past "
        "two weeks.",
    ]


def test_the_error_class_is_that_of_the_first_problem() -> None:
    error, message = failure(None, [datum(Value=1.0, Values=[2.0])])
    assert error is MissingParameterError
    assert message.split("\n") == [
        "The parameter Namespace is required.",
        f"The parameters {M1}.Value and {M1}.Values are mutually exclusive "
        "and you have specified both.",
    ]
    error, _ = failure(NS, [datum(Value=1.0, Values=[2.0]), datum(Value=math.inf)])
    assert error is InvalidParameterCombinationError


def test_all_three_value_forms_give_every_pair() -> None:
    error, message = failure(NS, [datum(Value=1.0, Values=[1.0], StatisticValues=stats())])
    assert error is InvalidParameterCombinationError
    assert [line.split(" are ")[0] for line in message.split("\n")] == [
        f"The parameters {M1}.Value and {M1}.Values",
        f"The parameters {M1}.Value and {M1}.StatisticValues",
        f"The parameters {M1}.Values and {M1}.StatisticValues",
    ]


def test_unit_errors_are_reported_alone_and_counted() -> None:
    data = [datum(Unit="Foo"), datum(Value=math.nan), datum(Unit="bytes")]
    error, message = failure(None, data)
    assert error is ConstraintViolationError
    prefix, _, rest = message.partition(": ")
    assert prefix == "2 validation errors detected"
    assert [part.split(" failed")[0] for part in rest.split("; ")] == [
        "Value 'Foo' at 'metricData.1.member.unit'",
        "Value 'bytes' at 'metricData.3.member.unit'",
    ]


ENTITY = {"KeyAttributes": {"Type": "AWS::Service", "Name": "web", "Environment": "prod"}}
STRICT = {"strict_entity_validation": True}


def test_entity_metric_data_is_counted_and_numbered_separately() -> None:
    entity = [
        {"Entity": ENTITY, "MetricData": [datum()]},
        {"Entity": ENTITY, "MetricData": [datum(Value=math.nan)]},
    ]
    assert failure(NS, [datum()], entity_metric_data=entity, **STRICT) == (
        InvalidParameterError,
        "The value NaN for parameter EntityMetricData.member.2.MetricData.member.1.Value "
        "is invalid.",
    )
    too_many = [{"Entity": ENTITY, "MetricData": [datum()] * 401}]
    assert failure(NS, [datum()] * 600, entity_metric_data=too_many, **STRICT) == (
        InvalidParameterError,
        "The collection MetricData must not have a size greater than 1000.",
    )
    assert len(
        validate_put_metric_data(NS, [datum()] * 599, NOW, entity_metric_data=too_many, **STRICT)
    )
    three = [{"Entity": ENTITY, "MetricData": [datum()]}] * 3
    assert failure(NS, None, entity_metric_data=three, **STRICT) == (
        InvalidParameterError,
        "The collection EntityMetricData must not have a size greater than 2.",
    )
    entity_unit = [{"Entity": ENTITY, "MetricData": [datum(Unit="X")]}]
    _, message = failure(NS, None, entity_metric_data=entity_unit, **STRICT)
    assert "at 'entityMetricData.1.member.metricData.1.member.unit'" in message


def test_strict_entity_validation_is_required_with_entity_metric_data() -> None:
    entity = [{"Entity": ENTITY, "MetricData": [datum()]}]
    assert failure(NS, None, entity_metric_data=entity) == (
        MissingParameterError,
        "The parameter StrictEntityValidation is required when EntityMetricData is given.",
    )
    # Without EntityMetricData the flag means nothing and may be left out.
    assert len(validate_put_metric_data(NS, [datum()], NOW)) == 1


def test_a_strict_request_fails_on_a_bad_entity_and_stores_nothing() -> None:
    bad = {"KeyAttributes": {"Type": "AWS::Resource", "ResourceType": "AWS::S3"}}
    entity = [{"Entity": bad, "MetricData": [datum(Value=math.nan)]}]
    assert failure(NS, [datum(Value=1.0, Values=[1.0])], entity_metric_data=entity, **STRICT) == (
        InvalidParameterCombinationError,
        # Request order: MetricData, then each entry's entity before its datums.
        f"The parameters {M1}.Value and {M1}.Values are mutually exclusive and you have "
        "specified both.\n"
        "The parameter EntityMetricData.member.1.Entity.KeyAttributes.Identifier is required "
        "for Type AWS::Resource.\n"
        "The value NaN for parameter EntityMetricData.member.1.MetricData.member.1.Value "
        "is invalid.",
    )
    only_entity = [{"Entity": bad, "MetricData": [datum()]}]
    assert failure(NS, [datum()], entity_metric_data=only_entity, **STRICT) == (
        InvalidParameterError,
        "The parameter EntityMetricData.member.1.Entity.KeyAttributes.Identifier is required "
        "for Type AWS::Resource.",
    )


def test_a_lenient_request_keeps_its_data_and_reports_the_first_entity_problem() -> None:
    entries = [
        {"Entity": ENTITY, "MetricData": [datum(MetricName="a")]},
        {"Entity": {"KeyAttributes": {"Type": "Nope", "Name": "x"}},
         "MetricData": [datum(MetricName="b")]},
        {"MetricData": [datum(MetricName="c")]},
    ]  # fmt: skip
    accepted = accept_put_metric_data(
        NS, [datum()], NOW, entity_metric_data=entries[1:], strict_entity_validation=False
    )
    assert [d.metric_name for d in accepted.datums] == ["Latency", "b", "c"]
    assert accepted.entity_failure == "InvalidTypeValue"
    three = accept_put_metric_data(
        NS, None, NOW, entity_metric_data=[*entries, entries[0]], strict_entity_validation=False
    )
    assert three.entity_failure == "EntitySizeTooLarge"
    assert len(three.datums) == 4
    fine = accept_put_metric_data(
        NS, None, NOW, entity_metric_data=entries[:1], strict_entity_validation=False
    )
    assert (len(fine.datums), fine.entity_failure) == (1, None)
    strict = accept_put_metric_data(NS, None, NOW, entity_metric_data=entries[:1], **STRICT)
    assert strict.entity_failure is None


def test_a_lenient_request_still_fails_on_bad_metric_data() -> None:
    entity = [{"Entity": {}, "MetricData": [datum(Value=math.inf)]}]
    assert failure(NS, None, entity_metric_data=entity, strict_entity_validation=False) == (
        InvalidParameterError,
        "The value Infinity for parameter EntityMetricData.member.1.MetricData.member.1.Value "
        "is invalid.",
    )


# --- Datum construction --------------------------------------------------------------------


def build(**members: Any) -> Datum:
    (result,) = validate_put_metric_data(NS, [datum(**members)], NOW)
    return result


DATUMS = {
    "single value": (
        {"Value": 2.5},
        (1.0, 2.5, 2.5, 2.5, ((2.5, 1.0),)),
    ),
    "values without counts weigh 1 each": (
        {"Values": [3.0, 1.0, 2.0]},
        (3.0, 6.0, 1.0, 3.0, ((3.0, 1.0), (1.0, 1.0), (2.0, 1.0))),
    ),
    "values with counts (recorded AWS example)": (
        {"Values": [1.0, 10.0], "Counts": [2.0, 4.0]},
        (6.0, 42.0, 1.0, 10.0, ((1.0, 2.0), (10.0, 4.0))),
    ),
    "zero counts add nothing": (
        {"Values": [1.0, 5.0, 9.0], "Counts": [0.0, 2.0, 0.0]},
        (2.0, 10.0, 5.0, 5.0, ((5.0, 2.0),)),
    ),
    "fractional counts": (
        {"Values": [2.0, 4.0], "Counts": [0.5, 1.5]},
        (2.0, 7.0, 2.0, 4.0, ((2.0, 0.5), (4.0, 1.5))),
    ),
    "statistic set keeps no distribution": (
        {"StatisticValues": stats()},
        (2.0, 3.0, 1.0, 2.0, None),
    ),
}


@pytest.mark.parametrize(("members", "expected"), DATUMS.values(), ids=DATUMS.keys())
def test_datum_summary(members: dict[str, Any], expected: tuple[Any, ...]) -> None:
    d = build(**members)
    assert (d.sample_count, d.sum, d.minimum, d.maximum, d.distribution) == expected


def test_datum_defaults_and_canonical_fields() -> None:
    d = build(Dimensions=[{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}])
    assert d.namespace == NS
    assert d.metric_name == "Latency"
    assert d.dimensions == (("a", "1"), ("b", "2"))
    assert d.timestamp == NOW
    assert d.unit == "None"
    assert d.storage_resolution == 60


def test_an_empty_unit_is_no_unit() -> None:
    assert build(Unit="").unit == "None"


def test_datum_keeps_unit_resolution_and_converts_timestamp_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    d = build(
        Unit="Milliseconds",
        StorageResolution=1,
        Timestamp=datetime(2026, 3, 1, 13, 30, tzinfo=plus_two),
    )
    assert (d.unit, d.storage_resolution) == ("Milliseconds", 1)
    assert d.timestamp == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert d.timestamp.tzinfo is UTC


def test_all_zero_counts_are_valid_but_store_nothing() -> None:
    data = [datum(Values=[1.0, 2.0], Counts=[0.0, 0.0]), datum(Value=3.0)]
    assert [d.sum for d in validate_put_metric_data(NS, data, NOW)] == [3.0]


def test_entity_metric_data_datums_follow_metric_data() -> None:
    entity = [{"Entity": ENTITY, "MetricData": [datum(MetricName="e", Value=9.0)]}]
    result = validate_put_metric_data(
        NS, [datum(Value=1.0)], NOW, entity_metric_data=entity, **STRICT
    )
    assert [(d.metric_name, d.sum) for d in result] == [("Latency", 1.0), ("e", 9.0)]
    only_entity = validate_put_metric_data(NS, None, NOW, entity_metric_data=entity, **STRICT)
    assert [d.metric_name for d in only_entity] == ["e"]


def test_datums_round_trip_through_the_queue_message() -> None:
    d = build(Values=[1.0, 10.0], Counts=[2.0, 4.0], Dimensions=dims(2))
    assert Datum.from_message(d.to_message()) == d


# --- Names in read requests (GetMetricStatistics, ListMetrics) ----------------------------


def test_read_requests_check_names_with_put_metric_data_texts() -> None:
    validate_metric_reference("AWS/EC2", "CPUUtilization", [{"Name": "d", "Value": "v"}])
    with pytest.raises(DomainError) as caught:
        validate_metric_reference("N" * 256, "m" * 256, [{"Name": ":d"}])
    assert type(caught.value) is InvalidParameterError
    assert caught.value.message.split("\n") == [
        "The parameter Namespace must be shorter than 256 characters.",
        "The parameter MetricName must be shorter than 256 characters.",
        "The parameter Dimensions.member.1.Name must not start with ':'.",
        "The parameter Dimensions.member.1.Value is required.",
    ]


def test_list_metrics_filters_need_a_name_but_not_a_value() -> None:
    validate_metric_reference(None, None, [{"Name": "d"}], dimension_values_required=False)
    with pytest.raises(MissingParameterError) as caught:
        validate_metric_reference(
            None, None, [{"Value": "v"}, {"Name": "d", "Value": ""}],
            dimension_values_required=False,
        )  # fmt: skip
    assert caught.value.message.split("\n") == [
        "The parameter Dimensions.member.1.Name is required.",
        "The parameter Dimensions.member.2.Value is required.",
    ]
    # The caller counts them (30 dimensions, 10 filters): no count rule here.
    validate_metric_reference(None, None, [{"Name": f"d{i}"} for i in range(40)],
                              dimension_values_required=False)  # fmt: skip


# --- The single-Value screen agrees with the general checks ---------------------------------

PLUS_3 = timezone(timedelta(hours=3))
# fmt: off
PLAIN_VARIANTS = {
    "minimal": {"MetricName": "m", "Value": 1.5},
    "all plain members": {"MetricName": "m", "Value": -2.0, "Unit": "Bytes",
                          "StorageResolution": 1, "Timestamp": NOW - timedelta(hours=1),
                          "Dimensions": [{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}]},
    "empty unit": {"MetricName": "m", "Value": 0.0, "Unit": ""},
    "other time zone": {"MetricName": "m", "Value": 1.0,
                        "Timestamp": datetime(2026, 3, 1, 14, 0, tzinfo=PLUS_3)},
    "naive timestamp": {"MetricName": "m", "Value": 1.0, "Timestamp": datetime(2026, 3, 1, 11, 0)},
    "oldest allowed": {"MetricName": "m", "Value": 1.0, "Timestamp": NOW - timedelta(days=14)},
    "newest allowed": {"MetricName": "m", "Value": 1.0, "Timestamp": NOW + timedelta(hours=2)},
    "value at the limit": {"MetricName": "m", "Value": -(2.0**360)},
    "30 dimensions": {"MetricName": "m", "Value": 1.0,
                      "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(30)]},
    "unicode name": {"MetricName": "latência", "Value": 1.0},
    # Each of these breaks one rule: the screen must leave them to the general checks.
    "too old": {"MetricName": "m", "Value": 1.0, "Timestamp": NOW - timedelta(days=14, seconds=1)},
    "too new": {"MetricName": "m", "Value": 1.0, "Timestamp": NOW + timedelta(hours=2, seconds=1)},
    "NaN": {"MetricName": "m", "Value": math.nan},
    "infinite": {"MetricName": "m", "Value": math.inf},
    "beyond the limit": {"MetricName": "m", "Value": 2.0**361},
    "no name": {"Value": 1.0},
    "empty name": {"MetricName": "", "Value": 1.0},
    "long name": {"MetricName": "m" * 256, "Value": 1.0},
    "31 dimensions": {"MetricName": "m", "Value": 1.0,
                      "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)]},
    "dimension without value": {"MetricName": "m", "Value": 1.0, "Dimensions": [{"Name": "a"}]},
    "dimension name with colon": {"MetricName": "m", "Value": 1.0,
                                  "Dimensions": [{"Name": ":a", "Value": "v"}]},
    "dimension value not ASCII": {"MetricName": "m", "Value": 1.0,
                                  "Dimensions": [{"Name": "a", "Value": "é"}]},
    "dimension value blank": {"MetricName": "m", "Value": 1.0,
                              "Dimensions": [{"Name": "a", "Value": "  "}]},
    "resolution 5": {"MetricName": "m", "Value": 1.0, "StorageResolution": 5},
    "two value members": {"MetricName": "m", "Value": 1.0, "Values": [1.0]},
    "statistic values": {"MetricName": "m", "StatisticValues": stats()},
}
# fmt: on


@pytest.mark.parametrize("members", PLAIN_VARIANTS.values(), ids=PLAIN_VARIANTS.keys())
def test_the_single_value_screen_agrees_with_the_general_checks(members: dict[str, Any]) -> None:
    window = (NOW - timedelta(days=14), NOW + timedelta(hours=2))
    screened = _plain_value_datum(NS, members, NOW, window)
    problems, built = _check_datum("MetricData.member.1", members, NOW)
    if problems or built is None:
        assert screened is None
    elif "Value" in members and set(members) <= _PLAIN_MEMBERS:
        assert screened == Datum(namespace=NS, **built)
    else:
        assert screened is None
