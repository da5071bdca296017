"""GetMetricData planning and results: cloudwatch-api.md §3.3, §4.2, §4.4, as tables of cases."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.errors import (
    ConstraintViolationError,
    DomainError,
    InvalidPageTokenError,
    InvalidParameterError,
    MissingParameterError,
)
from models.watch.metric_data import (
    Plan,
    assemble_results,
    plan_queries,
    series_from_datapoints,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 13, 0, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=10)
MINUTE = timedelta(minutes=1)
VALIDATION = ConstraintViolationError
MISSING = MissingParameterError
INVALID = InvalidParameterError


def metric(
    query_id: str, name: str = "cpu", stat: str = "Sum", period: int = 60, **extra: Any
) -> dict[str, Any]:
    metric_stat: dict[str, Any] = {
        "Metric": {"Namespace": "App", "MetricName": name},
        "Period": period,
        "Stat": stat,
    }
    for key in ("Unit", "Dimensions"):
        if key in extra:
            target = metric_stat if key == "Unit" else metric_stat["Metric"]
            target[key] = extra.pop(key)
    return {"Id": query_id, "MetricStat": metric_stat, **extra}


def expr(query_id: str, expression: str, **extra: Any) -> dict[str, Any]:
    return {"Id": query_id, "Expression": expression, **extra}


def plan(queries: list[dict[str, Any]], **kwargs: Any) -> Plan:
    args: dict[str, Any] = {"start": T0, "end": T1, "now": NOW}
    return plan_queries(queries, **{**args, **kwargs})


def minutes(*values: float, start: datetime = T0) -> dict[datetime, float]:
    return {start + k * MINUTE: v for k, v in enumerate(values)}


# --- Valid requests ------------------------------------------------------------------------------

ACCEPTED = {
    "one metric": [metric("m1")],
    "500 queries": [metric(f"m{k}") for k in range(500)],
    "255-char Id": [metric("m" * 255)],
    **{f"period {p}": [metric("m1", period=p)] for p in (1, 5, 10, 20, 30, 60, 120, 3600)},
    **{
        f"stat {s}": [metric("m1", stat=s)]
        for s in ("SampleCount", "Average", "Minimum", "Maximum", "p99", "p99.9", "p0.0")
    },
    "stat TM(10%:90%)": [metric("m1", stat="TM(10%:90%)")],
    "stat IQM": [metric("m1", stat="IQM")],
    "unit": [metric("m1", Unit="Milliseconds")],
    "30 dimensions": [
        metric("m1", Dimensions=[{"Name": f"d{k}", "Value": "v"} for k in range(30)])
    ],
    "expression": [metric("m1"), expr("e1", "m1 * 2")],
    "expression read before it is declared": [expr("e2", "e1 + 1"), expr("e1", "m1"), metric("m1")],
    "scalar expression not returned": [
        metric("m1"),
        expr("e1", "SUM(m1)", ReturnData=False),
        expr("e2", "m1 / e1"),
    ],
    "expression with a period": [metric("m1"), expr("e1", "FILL(m1, 0)", Period=300)],
    "2048-char expression": [metric("m1"), expr("e1", "m1" + "+1" * 1023)],
    "Id with underscores and capitals": [metric("cpu_Total_2")],
}


@pytest.mark.parametrize("queries", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_valid_requests(queries: list[dict[str, Any]]) -> None:
    plan(queries)


def test_scan_by_and_max_datapoints_defaults() -> None:
    planned = plan([metric("m1")])
    assert (planned.scan_by, planned.max_datapoints) == ("TimestampDescending", 100_800)
    assert planned.resume_after is None
    ascending = plan([metric("m1")], scan_by="TimestampAscending", max_datapoints=10)
    assert (ascending.scan_by, ascending.max_datapoints) == ("TimestampAscending", 10)


# --- Validation ----------------------------------------------------------------------------------

Q1 = "MetricDataQueries.member.1"
Q2 = "MetricDataQueries.member.2"
UNITS = (
    "Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, Megabytes, Gigabytes, Terabytes, "
    "Bits, Kilobits, Megabits, Gigabits, Terabits, Percent, Count, Bytes/Second, "
    "Kilobytes/Second, Megabytes/Second, Gigabytes/Second, Terabytes/Second, Bits/Second, "
    "Kilobits/Second, Megabits/Second, Gigabits/Second, Terabits/Second, Count/Second, None"
)
SCALAR = "The expression must return a time series or an array of time series, not a single value."

REFUSED: dict[str, tuple[list[dict[str, Any]], dict[str, Any], type[DomainError], str]] = {
    "no queries": ([], {}, MISSING, "The parameter MetricDataQueries is required."),
    "501 queries": (
        [metric(f"m{k}") for k in range(501)],
        {},
        VALIDATION,
        "The collection MetricDataQueries must not have a size greater than 500.",
    ),
    "missing Id": (
        [{"MetricStat": metric("x")["MetricStat"]}],
        {},
        MISSING,
        f"The parameter {Q1}.Id is required.",
    ),
    "Id pattern [aws-rec]": (
        [metric("5xx_error_FooBar_average")],
        {},
        VALIDATION,
        f"The value 5xx_error_FooBar_average for parameter {Q1}.Id is not matching the "
        "expected pattern ^[a-z][a-zA-Z0-9_]*$.",
    ),
    "Id with a dash": (
        [metric("m-1")],
        {},
        VALIDATION,
        f"The value m-1 for parameter {Q1}.Id is not matching the expected pattern "
        "^[a-z][a-zA-Z0-9_]*$.",
    ),
    "Id longer than 255": (
        [metric("m" * 256)],
        {},
        VALIDATION,
        f"1 validation error detected: Value '{'m' * 256}' at 'metricDataQueries.1.member.id' "
        "failed to satisfy constraint: Member must have length less than or equal to 255",
    ),
    "duplicate Id": (
        [metric("m1"), metric("m1", stat="Average")],
        {},
        VALIDATION,
        f"The value m1 for parameter {Q2}.Id is not unique.",
    ),
    "MetricStat and Expression": (
        [{**metric("m1"), "Expression": "1"}],
        {},
        VALIDATION,
        f"Exactly one of the parameters {Q1}.MetricStat and {Q1}.Expression must be specified.",
    ),
    "neither MetricStat nor Expression": (
        [{"Id": "m1", "Expression": ""}],
        {},
        VALIDATION,
        f"Exactly one of the parameters {Q1}.MetricStat and {Q1}.Expression must be specified.",
    ),
    "missing Metric": (
        [{"Id": "m1", "MetricStat": {"Period": 60, "Stat": "Sum"}}],
        {},
        MISSING,
        f"The parameter {Q1}.MetricStat.Metric is required.",
    ),
    "missing Namespace and MetricName": (
        [{"Id": "m1", "MetricStat": {"Metric": {"Dimensions": []}, "Period": 60, "Stat": "Sum"}}],
        {},
        MISSING,
        f"The parameter {Q1}.MetricStat.Metric.Namespace is required.\n"
        f"The parameter {Q1}.MetricStat.Metric.MetricName is required.",
    ),
    "31 dimensions": (
        [metric("m1", Dimensions=[{"Name": f"d{k}", "Value": "v"} for k in range(31)])],
        {},
        INVALID,
        f"The collection {Q1}.MetricStat.Metric.Dimensions must not have a size greater than 30.",
    ),
    "dimension without a value, dimension value too long": (
        [metric("m1", Dimensions=[{"Name": "a"}, {"Name": "b", "Value": "v" * 1025}])],
        {},
        MISSING,
        f"The parameter {Q1}.MetricStat.Metric.Dimensions.member.1.Value is required.\n"
        f"The parameter {Q1}.MetricStat.Metric.Dimensions.member.2.Value must be shorter than "
        "1025 characters.",
    ),
    "namespace longer than 255": (
        [
            {
                "Id": "m1",
                "MetricStat": {
                    **metric("m1")["MetricStat"],
                    "Metric": {"Namespace": "n" * 256, "MetricName": "cpu"},
                },
            }
        ],
        {},
        VALIDATION,
        f"1 validation error detected: Value '{'n' * 256}' at "
        "'metricDataQueries.1.member.metricStat.metric.namespace' failed to satisfy "
        "constraint: Member must have length less than or equal to 255",
    ),
    "missing Period": (
        [
            {
                "Id": "m1",
                "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "b"}, "Stat": "Sum"},
            }
        ],
        {},
        MISSING,
        f"The parameter {Q1}.MetricStat.Period is required.",
    ),
    "Period 0": (
        [metric("m1", period=0)],
        {},
        INVALID,
        f"The parameter {Q1}.MetricStat.Period must be greater than 0.",
    ),
    "Period 45": (
        [metric("m1", period=45)],
        {},
        INVALID,
        f"The parameter {Q1}.MetricStat.Period must be a multiple of 60.",
    ),
    "missing Stat [aws-rec]": (
        [
            {
                "Id": "m1",
                "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "b"}, "Period": 60},
            }
        ],
        {},
        VALIDATION,
        f"The value None for parameter {Q1}.MetricStat.Stat is not a valid statistic.",
    ),
    "bad Stat": (
        [metric("m1", stat="Mean"), metric("m2", stat="p101")],
        {},
        VALIDATION,
        f"The value Mean for parameter {Q1}.MetricStat.Stat is not a valid statistic.\n"
        f"The value p101 for parameter {Q2}.MetricStat.Stat is not a valid statistic.",
    ),
    "bad Unit": (
        [metric("m1", Unit="Foo")],
        {},
        VALIDATION,
        "1 validation error detected: Value 'Foo' at 'metricDataQueries.1.member.metricStat"
        f".unit' failed to satisfy constraint: Member must satisfy enum value set: [{UNITS}]",
    ),
    "bad ScanBy and Unit": (
        [metric("m1", Unit="Foo")],
        {"scan_by": "Newest"},
        VALIDATION,
        "2 validation errors detected: Value 'Foo' at 'metricDataQueries.1.member.metricStat"
        f".unit' failed to satisfy constraint: Member must satisfy enum value set: [{UNITS}]; "
        "Value 'Newest' at 'scanBy' failed to satisfy constraint: Member must satisfy enum "
        "value set: [TimestampDescending, TimestampAscending]",
    ),
    "expression longer than 2048": (
        [metric("m1"), expr("e1", "m1" + "+1" * 1024)],
        {},
        VALIDATION,
        f"1 validation error detected: Value '{'m1' + '+1' * 1024}' at "
        "'metricDataQueries.2.member.expression' failed to satisfy constraint: Member must "
        "have length less than or equal to 2048",
    ),
    "expression syntax": (
        [metric("m1"), expr("e1", "m1 +")],
        {},
        VALIDATION,
        "Error in expression e1: Unexpected end of expression at position 5.",
    ),
    "unsupported function": (
        [expr("e1", "SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average', 300)")],
        {},
        VALIDATION,
        "Error in expression e1: The function SEARCH is not supported.",
    ),
    "Metrics Insights": (
        [expr("q1", 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', Period=300)],
        {},
        VALIDATION,
        "Error in expression q1: Metrics Insights queries (SELECT) are not supported.",
    ),
    "unknown Id": (
        [metric("m1"), expr("e1", "m1 + m3 + m4")],
        {},
        VALIDATION,
        "Error in expression e1: Unrecognized identifier m3.\n"
        "Error in expression e1: Unrecognized identifier m4.",
    ),
    "self reference": (
        [expr("e1", "e1 + 1")],
        {},
        VALIDATION,
        "Error in expression e1: Circular reference: e1 -> e1.",
    ),
    "cycle": (
        [metric("m1"), expr("e1", "e2 + m1"), expr("e2", "e3 * 2"), expr("e3", "e1")],
        {},
        VALIDATION,
        "Error in expression e1: Circular reference: e1 -> e2 -> e3 -> e1.",
    ),
    "returned scalar": (
        [metric("m1"), expr("e1", "SUM(m1)")],
        {},
        VALIDATION,
        f"Error in expression e1: {SCALAR}",
    ),
    "returned constant": ([expr("e1", "42")], {}, VALIDATION, f"Error in expression e1: {SCALAR}"),
    "kind error": (
        [metric("m1"), expr("e1", "RATE(SUM(m1))")],
        {},
        VALIDATION,
        "Error in expression e1: The function RATE needs a time series or an array of time series.",
    ),
    "expression Period 45": (
        [metric("m1"), expr("e1", "m1", Period=45)],
        {},
        INVALID,
        f"The parameter {Q2}.Period must be a multiple of 60.",
    ),
    "missing StartTime and EndTime": (
        [metric("m1")],
        {"start": None, "end": None},
        MISSING,
        "The parameter StartTime is required.\nThe parameter EndTime is required.",
    ),
    "StartTime equal to EndTime": (
        [metric("m1")],
        {"end": T0},
        INVALID,
        "The parameter StartTime must not equal parameter EndTime.",
    ),
    "StartTime after EndTime": (
        [metric("m1")],
        {"start": T1, "end": T0},
        INVALID,
        "The parameter StartTime must be less than the parameter EndTime.",
    ),
    "MaxDatapoints 0": (
        [metric("m1")],
        {"max_datapoints": 0},
        INVALID,
        "The parameter MaxDatapoints must be greater than 0.",
    ),
    "every problem, first one's class": (
        [metric("1m"), metric("m2", period=45)],
        {"start": T1, "end": T0},
        VALIDATION,
        f"The value 1m for parameter {Q1}.Id is not matching the expected pattern "
        "^[a-z][a-zA-Z0-9_]*$.\n"
        f"The parameter {Q2}.MetricStat.Period must be a multiple of 60.\n"
        "The parameter StartTime must be less than the parameter EndTime.",
    ),
}


@pytest.mark.parametrize(
    ("queries", "kwargs", "error", "message"), REFUSED.values(), ids=REFUSED.keys()
)
def test_refused_requests(
    queries: list[dict[str, Any]],
    kwargs: dict[str, Any],
    error: type[DomainError],
    message: str,
) -> None:
    with pytest.raises(DomainError) as caught:
        plan(queries, **kwargs)
    assert type(caught.value) is error
    assert caught.value.message == message


def token(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


BAD_TOKENS = {
    "not base64": "%%%",
    "not json": base64.urlsafe_b64encode(b"offset=3").decode(),
    "json list": token([1, 2]),
    "missing fields": token({"f": "x"}),
    "another request": token({"f": "0" * 32, "t": 0.0, "r": 0}),
    "non-ascii": "é",
}


@pytest.mark.parametrize("bad", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_next_token(bad: str) -> None:
    with pytest.raises(InvalidPageTokenError) as caught:
        plan([metric("m1")], next_token=bad)
    assert caught.value.message == "The value of NextToken is not valid."


def test_next_token_is_checked_after_the_request() -> None:
    with pytest.raises(MissingParameterError):
        plan([metric("m1")], start=None, next_token="garbage")


# --- The plan ------------------------------------------------------------------------------------


def test_fetches_hold_what_storage_needs() -> None:
    queries = [
        metric(
            "m1",
            stat="p99",
            period=300,
            Unit="Milliseconds",
            Dimensions=[{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}],
        ),
        metric("m2", stat="Average"),
    ]
    planned = plan(queries, start=T0 + timedelta(seconds=34))
    first, second = planned.fetches
    assert (first.id, first.namespace, first.metric_name) == ("m1", "App", "cpu")
    assert first.dimensions == (("a", "1"), ("b", "2"))
    assert (first.period, first.stat, first.unit) == (300, "p99", "Milliseconds")
    assert (first.start, first.end) == (T0, T1)  # StartTime rounded down to the minute (§4.2)
    assert first.statistics_args == (None, ["p99"])
    assert second.statistics_args == (["Average"], None)
    assert second.unit is None


def test_only_needed_metrics_are_fetched_and_expressions_ordered() -> None:
    queries = [
        expr("e2", "e1 * 2"),
        metric("m1", ReturnData=False),
        metric("unused", ReturnData=False),
        expr("e1", "m1 + 1", ReturnData=False),
        expr("idle", "unused * 2", ReturnData=False),
        metric("m3"),
    ]
    planned = plan(queries)
    assert [f.id for f in planned.fetches] == ["m1", "m3"]
    assert [step.id for step in planned.expressions] == ["e1", "e2"]
    assert planned.returned == ("e2", "m3")
    assert planned.metric_ids == ("m1", "unused", "m3")


def test_a_chain_of_500_queries() -> None:
    queries = [metric("m0"), *(expr(f"e{k}", f"e{k - 1} + 1") for k in range(2, 500))]
    queries.insert(1, expr("e1", "m0 * 1"))
    planned = plan(list(reversed(queries)))
    assert [step.id for step in planned.expressions] == [f"e{k}" for k in range(1, 500)]
    output = assemble_results(planned, {"m0": {T0: 1.0}})
    first = output["MetricDataResults"][0]
    assert (first["Id"], first["Values"]) == ("e499", [499.0])


def test_a_request_that_returns_nothing_is_refused_when_asked() -> None:
    queries = [metric("a", ReturnData=False), metric("b", ReturnData=False)]
    with pytest.raises(ConstraintViolationError) as caught:
        plan(queries, require_returned=True)
    assert caught.value.message == "At least one query must have ReturnData set to true."
    # A graph may hide every line: without the flag, the plan simply returns nothing.
    assert plan(queries).returned == ()
    assert plan([*queries, expr("e1", "a + b")], require_returned=True).returned == ("e1",)


@pytest.mark.parametrize("timezone", ["+0000", "-0500", "+0530", "+2359", "-1200"])
def test_label_timezones_in_the_documented_form_are_accepted(timezone: str) -> None:
    assert plan([metric("a")], label_options={"Timezone": timezone}).returned == ("a",)


@pytest.mark.parametrize("timezone", ["EST", "+5", "0500", "+05:00", "+2400", "-0560", ""])
def test_other_label_timezones_are_refused(timezone: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        plan([metric("a")], label_options={"Timezone": timezone})
    assert caught.value.message == (
        f"The value {timezone} for parameter LabelOptions.Timezone is invalid: use the format "
        "+HHMM or -HHMM (for example -0500)."
    )


def test_metrics_function_needs_every_metric() -> None:
    queries = [metric("a", ReturnData=False), metric("b", ReturnData=False)]
    planned = plan([*queries, expr("e1", "SUM(METRICS())")])
    assert [f.id for f in planned.fetches] == ["a", "b"]


def test_expression_period_for_its_grid() -> None:
    queries = [
        metric("m1", period=300),
        metric("m2", period=60),
        expr("e1", "m2 + m1"),  # the first metric read, in request order
        expr("e2", "e1 * 2"),  # through another expression
        expr("e3", "TIME_SERIES(5)"),  # reads nothing: the first metric's period
        expr("e4", "m2", Period=3600),
    ]
    periods = {step.id: step.period for step in plan(queries).expressions}
    assert periods == {"e1": 300, "e2": 300, "e3": 300, "e4": 3600}


# --- Labels (§3.3) -------------------------------------------------------------------------------

LABELS = {
    "metric name": ([metric("m1")], ["cpu"]),
    "different metrics": ([metric("m1"), metric("m2", name="mem", stat="Average")], ["cpu", "mem"]),
    "stat and period differ [aws-rec]": (
        [metric("m1", stat="Sum", period=60), metric("m2", stat="Minimum", period=30)],
        ["cpu Sum 60", "cpu Minimum 30"],
    ),
    "stat differs [aws-rec]": (
        [metric("m1", stat="Sum"), metric("m2", stat="Minimum")],
        ["cpu Sum", "cpu Minimum"],
    ),
    "period differs [aws-rec]": (
        [metric("m1", period=60), metric("m2", period=30)],
        ["cpu 60", "cpu 30"],
    ),
    "unit alone does not count [aws-rec]": (
        [metric("m1", Unit="Seconds"), metric("m2", Unit="Milliseconds")],
        ["cpu", "cpu"],
    ),
    "explicit label": (
        [metric("m1", Label="CPU total"), metric("m2", stat="Average")],
        ["CPU total", "cpu"],
    ),
    "expression without label: its Id": ([metric("m1"), expr("e1", "m1 * 2")], ["cpu", "e1"]),
    "expression with label": (
        [metric("m1"), expr("e1", "m1 * 2", Label="Doubled")],
        ["cpu", "Doubled"],
    ),
    "array: member labels": (
        [
            metric("m1", ReturnData=False),
            metric("m2", name="mem", ReturnData=False),
            expr("e1", "METRICS()"),
        ],
        ["cpu", "mem"],
    ),
    "array with label: '<label> <member>' [doc]": (
        [
            metric("m1", ReturnData=False),
            metric("m2", name="mem", Label="Memory", ReturnData=False),
            expr("e1", "METRICS() * 2", Label="x2"),
        ],
        ["x2 cpu", "x2 Memory"],
    ),
    "array with a computed member": (
        [metric("m1", ReturnData=False), expr("e1", "[m1, m1 * 2]", Label="both")],
        ["both cpu", "both"],
    ),
}


@pytest.mark.parametrize(("queries", "labels"), LABELS.values(), ids=LABELS.keys())
def test_labels(queries: list[dict[str, Any]], labels: list[str]) -> None:
    output = assemble_results(plan(queries), {})
    assert [r["Label"] for r in output["MetricDataResults"]] == labels


# --- Results -------------------------------------------------------------------------------------


def results(output: dict[str, Any]) -> list[tuple[str, list[datetime], list[float], str]]:
    return [
        (r["Id"], r["Timestamps"], r["Values"], r["StatusCode"])
        for r in output["MetricDataResults"]
    ]


def test_returned_queries_in_request_order_newest_first() -> None:
    queries = [metric("m2", ReturnData=False), expr("e1", "m2 * 10"), metric("m1")]
    fetched = {"m1": minutes(1, 2, 3), "m2": {T0 + MINUTE: 5.0, T0: 4.0}}
    output = assemble_results(plan(queries), fetched)
    assert results(output) == [
        ("e1", [T0 + MINUTE, T0], [50.0, 40.0], "Complete"),
        ("m1", [T0 + 2 * MINUTE, T0 + MINUTE, T0], [3.0, 2.0, 1.0], "Complete"),
    ]
    assert output["Messages"] == []
    assert "NextToken" not in output


def test_scan_by_ascending() -> None:
    output = assemble_results(
        plan([metric("m1")], scan_by="TimestampAscending"), {"m1": {T0 + MINUTE: 2.0, T0: 1.0}}
    )
    assert results(output) == [("m1", [T0, T0 + MINUTE], [1.0, 2.0], "Complete")]


def test_no_data_is_empty_and_complete() -> None:
    output = assemble_results(plan([metric("m1"), expr("e1", "m1 + 1")]), {})
    assert results(output) == [("m1", [], [], "Complete"), ("e1", [], [], "Complete")]
    assert output["Messages"] == []


def test_epoch_second_keys_come_back_as_datetimes() -> None:
    output = assemble_results(plan([metric("m1")]), {"m1": {T0.timestamp(): 1.0}})
    assert output["MetricDataResults"][0]["Timestamps"] == [T0]


def test_per_result_messages() -> None:
    message = {"Code": "MultipleUnits", "Value": "Multiple units returned: '[Count, Seconds]'"}
    output = assemble_results(
        plan([metric("m1"), metric("m2", name="mem")]), {}, messages={"m1": [message]}
    )
    first, second = output["MetricDataResults"]
    assert first["Messages"] == [message]
    assert "Messages" not in second


def test_fill_uses_the_request_grid_up_to_now() -> None:
    # StartTime 12:00:30 rounds down to 12:00; EndTime 13:10 is after now (13:00), so the
    # grid stops at the 13:00 bucket.
    queries = [metric("m1", ReturnData=False), expr("e1", "FILL(m1, 0)")]
    planned = plan(
        queries,
        start=T0 + timedelta(seconds=30),
        end=T0 + timedelta(minutes=70),
        scan_by="TimestampAscending",
    )
    output = assemble_results(planned, {"m1": {T0 + MINUTE: 7.0}})
    (result,) = output["MetricDataResults"]
    assert result["Timestamps"] == [T0 + k * MINUTE for k in range(61)]
    assert result["Values"] == [0.0, 7.0] + [0.0] * 59


# --- Paging --------------------------------------------------------------------------------------

PAGED_QUERIES = [metric("m1"), metric("m2", name="mem"), metric("m3", name="disk")]
PAGED_DATA = {
    "m1": minutes(1, 2, 3, 4, 5),
    "m2": minutes(10, 20, start=T0 + 2 * MINUTE),
    "m3": {},
}


def all_pages(scan_by: str, sizes: list[int]) -> list[dict[str, Any]]:
    pages, next_token = [], None
    for size in sizes:
        planned = plan(PAGED_QUERIES, scan_by=scan_by, max_datapoints=size, next_token=next_token)
        pages.append(assemble_results(planned, PAGED_DATA))
        next_token = pages[-1].get("NextToken")
        if next_token is None:
            return pages
    raise AssertionError("more pages than expected")


@pytest.mark.parametrize("scan_by", ["TimestampDescending", "TimestampAscending"])
@pytest.mark.parametrize("sizes", [[3, 3, 3], [1] * 7, [2, 5], [100]], ids=str)
def test_paging_round_trip(scan_by: str, sizes: list[int]) -> None:
    full = assemble_results(plan(PAGED_QUERIES, scan_by=scan_by), PAGED_DATA)
    pages = all_pages(scan_by, sizes)
    joined: dict[str, list[tuple[datetime, float]]] = {"m1": [], "m2": [], "m3": []}
    for size, page in zip(sizes, pages, strict=False):
        assert page["Messages"] == []
        assert sum(len(r["Values"]) for r in page["MetricDataResults"]) <= size
        assert [r["Id"] for r in page["MetricDataResults"]] == ["m1", "m2", "m3"]
        for r in page["MetricDataResults"]:
            joined[r["Id"]] += list(zip(r["Timestamps"], r["Values"], strict=True))
    for r in full["MetricDataResults"]:
        assert joined[r["Id"]] == list(zip(r["Timestamps"], r["Values"], strict=True))
    assert all(r["StatusCode"] == "Complete" for r in pages[-1]["MetricDataResults"])


def test_pages_follow_scan_by_across_results() -> None:
    first = all_pages("TimestampDescending", [3, 100])[0]
    # Newest first over all results: 12:04 (m1), 12:03 (m1, m2 by request order).
    assert results(first) == [
        ("m1", [T0 + 4 * MINUTE, T0 + 3 * MINUTE], [5.0, 4.0], "PartialData"),
        ("m2", [T0 + 3 * MINUTE], [20.0], "PartialData"),
        ("m3", [], [], "Complete"),
    ]
    assert "NextToken" in first


def test_max_datapoints_may_change_between_pages() -> None:
    pages = all_pages("TimestampAscending", [2, 10])
    assert len(pages) == 2
    assert "NextToken" not in pages[1]


def test_a_token_only_fits_its_own_request() -> None:
    first = all_pages("TimestampDescending", [2, 100])[0]
    with pytest.raises(InvalidPageTokenError):
        plan(PAGED_QUERIES, scan_by="TimestampAscending", next_token=first["NextToken"])
    with pytest.raises(InvalidPageTokenError):
        plan(PAGED_QUERIES[:2], next_token=first["NextToken"])
    with pytest.raises(InvalidPageTokenError):
        plan(PAGED_QUERIES, end=T1 + MINUTE, next_token=first["NextToken"])


def test_no_next_token_with_math_expressions() -> None:
    queries = [metric("m1"), expr("e1", "m1 * 2")]
    output = assemble_results(plan(queries, max_datapoints=4), {"m1": minutes(1, 2, 3)})
    assert "NextToken" not in output
    assert results(output) == [
        ("m1", [T0 + 2 * MINUTE, T0 + MINUTE], [3.0, 2.0], "PartialData"),
        ("e1", [T0 + 2 * MINUTE, T0 + MINUTE], [6.0, 4.0], "PartialData"),
    ]


# --- Series from GetMetricStatistics datapoints --------------------------------------------------


def point(minute: int, unit: str, **stats: Any) -> dict[str, Any]:
    return {"Timestamp": T0 + minute * MINUTE, "Unit": unit, **stats}


def test_series_from_one_unit() -> None:
    datapoints = [point(0, "Count", Sum=3.0), point(1, "Count", Sum=4.0)]
    assert series_from_datapoints(datapoints, "Sum") == ({T0: 3.0, T0 + MINUTE: 4.0}, [])


def test_series_from_several_units_takes_the_first_alphabetically() -> None:
    datapoints = [
        point(0, "Seconds", Sum=60.0),
        point(0, "Milliseconds", Sum=60000.0),
        point(1, "Count", Sum=5.0),
    ]
    series, messages = series_from_datapoints(datapoints, "Sum")
    assert series == {T0 + MINUTE: 5.0}
    assert messages == [
        {
            "Code": "MultipleUnits",
            "Value": "Multiple units returned: '[Count, Milliseconds, Seconds]'",
        }
    ]


def test_series_from_extended_statistics_skips_unavailable_buckets() -> None:
    datapoints = [
        point(0, "None", ExtendedStatistics={"p99": 9.5}),
        point(1, "None"),  # percentile not available (e.g. negative values)
    ]
    assert series_from_datapoints(datapoints, "p99") == ({T0: 9.5}, [])


def test_series_from_no_datapoints() -> None:
    assert series_from_datapoints([], "Sum") == ({}, [])
