"""Dashboard names and bodies (cloudwatch-api.md §3.14) as tables of cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.errors import InvalidInputError, InvalidParameterError
from models.watch.dashboard_validation import (
    NOT_JSON_OBJECT,
    DashboardBodyError,
    DashboardValidationMessage,
    validate_dashboard_body,
    validate_dashboard_name,
    validate_dashboard_name_prefix,
)

pytestmark = pytest.mark.unit

BAD_NAME = (
    "The value for field DashboardName contains invalid characters. "
    "It can only contain alphanumerics, dash (-) and underscore (_).\n"
)
BAD_PREFIX = (
    "The value for field DashboardNamePrefix contains invalid characters. "
    "It can only contain alphanumerics, dash (-), underscore (_) and period (.).\n"
)
NAME_TOO_LONG = "The parameter DashboardName must be shorter than 256 characters."
PREFIX_TOO_LONG = "The parameter DashboardNamePrefix must be shorter than 256 characters."


# --- Names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["d", "my-dashboard", "My_Dashboard_2", "-", "_", "0", "a" * 255, "A-z_0-9"]
)
def test_valid_dashboard_names(name: str) -> None:
    validate_dashboard_name(name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad name!", BAD_NAME),
        ("with space", BAD_NAME),
        ("dotted.name", BAD_NAME),  # "." is allowed in the prefix only
        ("slash/name", BAD_NAME),
        ("tab\tname", BAD_NAME),
        ("trailing-newline\n", BAD_NAME),
        ("ünïcode", BAD_NAME),
        ("", "The parameter DashboardName must not be empty."),
        ("a" * 256, NAME_TOO_LONG),
        ("!" * 256, BAD_NAME),  # the character set is checked before the length
    ],
)
def test_invalid_dashboard_names(name: str, message: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        validate_dashboard_name(name)
    assert caught.value.message == message


@pytest.mark.parametrize("prefix", [None, "", "d", "my.dash-board_1", ".", "a" * 255])
def test_valid_dashboard_name_prefixes(prefix: str | None) -> None:
    validate_dashboard_name_prefix(prefix)


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("bad prefix", BAD_PREFIX),
        ("a*", BAD_PREFIX),
        ("a\n", BAD_PREFIX),
        ("a" * 256, PREFIX_TOO_LONG),
    ],
)
def test_invalid_dashboard_name_prefixes(prefix: str, message: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        validate_dashboard_name_prefix(prefix)
    assert caught.value.message == message


# --- Valid bodies --------------------------------------------------------------------------------

# The shape of the examples in AWS's "Dashboard Body Structure and Syntax".
REALISTIC_BODY = {
    "start": "-PT6H",
    "periodOverride": "inherit",
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {
                "metrics": [
                    ["AWS/EC2", "CPUUtilization", "InstanceId", "i-012345"],
                    [".", ".", ".", "i-abcdef", {"stat": "Maximum", "label": "second"}],
                    [{"expression": "m1 * 2", "label": "doubled", "id": "e1"}],
                ],
                "period": 300,
                "stat": "Average",
                "region": "us-east-1",
                "title": "EC2 Instance CPU",
                "view": "timeSeries",
            },
        },
        {
            "type": "text",
            "x": 12,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {"markdown": "# Runbook\nRestart the *web* tier."},
        },
        {
            "type": "alarm",
            "x": 0,
            "y": 6,
            "properties": {"alarms": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu"]},
        },
        {
            # An alarm graph: a metric widget with no metrics, only the alarm annotation.
            "type": "metric",
            "properties": {"annotations": {"alarms": ["arn:aws:cloudwatch:::alarm:cpu"]}},
        },
        {"type": "log", "properties": {"query": "SOURCE 'app' | fields @message"}},
        {"type": "explorer", "properties": {"metrics": [{"metricName": "CPUUtilization"}]}},
        {"type": "custom", "properties": {"endpoint": "arn:aws:lambda:::function:f"}},
    ],
}


@pytest.mark.parametrize(
    "body",
    [
        '{"widgets":[]}',
        '  {"widgets": []}\n',
        json.dumps(REALISTIC_BODY),
        json.dumps(REALISTIC_BODY, indent=4),
        '{"widgets":[{"type":"metric","x":6.0,"width":6,"properties":{}}]}',  # 6.0 is 6
        '{"widgets":[{"type":"text","x":0,"y":0,"width":24,"height":1000,'
        '"properties":{"markdown":""}}]}',
        '{"widgets":[],"variables":[{"type":"property","property":"region"}],"end":"P0D"}',
    ],
)
def test_valid_bodies_have_no_messages(body: str) -> None:
    assert validate_dashboard_body(body) == []


@pytest.mark.parametrize(
    ("body", "warnings"),
    [
        ('{"widgets":[],"theme":"dark"}', [("/theme", "Unknown property, ignored")]),
        ('{"widgets":[],"a/b~c":1}', [("/a~1b~0c", "Unknown property, ignored")]),
        (
            '{"widgets":[{"type":"text","properties":{"markdown":"x"},"colour":"red"}]}',
            [("/widgets/0/colour", "Unknown property, ignored")],
        ),
        (
            '{"widgets":[{"type":"text","x":20,"width":6,"properties":{"markdown":"x"}}]}',
            [("/widgets/0/x", "The widget does not fit the 24-column grid")],
        ),
        (  # the default width is 6
            '{"widgets":[{"type":"text","x":23,"properties":{"markdown":"x"}}]}',
            [("/widgets/0/x", "The widget does not fit the 24-column grid")],
        ),
    ],
)
def test_odd_but_allowed_bodies_give_warnings(body: str, warnings: list[tuple[str, str]]) -> None:
    assert validate_dashboard_body(body) == [DashboardValidationMessage(*w) for w in warnings]


# --- Refused bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        ("not json", "Invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        ('{"widgets": [}', "Invalid JSON: Expecting value: line 1 column 14 (char 13)"),
        ("{'widgets': []}", None),
        ('{"widgets": []} trailing', None),
        ('{"widgets": [], "x": NaN}', "Invalid JSON: NaN is not a JSON value"),
        ('{"widgets": [], "x": -Infinity}', "Invalid JSON: -Infinity is not a JSON value"),
        ("[" * 100_000 + "]" * 100_000, "Invalid JSON: nested too deeply"),
        ("[]", "Should be object"),
        ('"widgets"', "Should be object"),
        ("null", "Should be object"),
        ("42", "Should be object"),
    ],
)
def test_bodies_that_are_not_json_objects(body: str, message: str | None) -> None:
    with pytest.raises(DashboardBodyError) as caught:
        validate_dashboard_body(body)
    assert caught.value.message == NOT_JSON_OBJECT
    [only] = caught.value.messages
    assert only.data_path == "/"
    if message is not None:
        assert only.message == message
    else:
        assert only.message.startswith("Invalid JSON: ")


def widget(**fields: Any) -> dict[str, Any]:
    return {"type": "text", "properties": {"markdown": "x"}} | fields


def body_of(*widgets: Any, **top: Any) -> str:
    return json.dumps({"widgets": list(widgets)} | top)


def metric_widget(metrics: Any) -> dict[str, Any]:
    return {"type": "metric", "properties": {"metrics": metrics}}


ALLOWED_TYPES = "metric, text, log, alarm, explorer, custom"
NOT_STRING = 'Invalid metric field type, only "String" type is allowed'


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("{}", [("/", "Should have required property 'widgets'")]),
        ('{"widget": []}', [("/", "Should have required property 'widgets'")]),
        ('{"widgets": {}}', [("/widgets", "Should be array")]),
        ('{"widgets": null}', [("/widgets", "Should be array")]),
        (body_of(1), [("/widgets/0", "Should be object")]),
        (body_of([]), [("/widgets/0", "Should be object")]),
        (body_of(widget(), "text"), [("/widgets/1", "Should be object")]),
        (
            body_of({"properties": {}}),
            [("/widgets/0", "Should have required property 'type'")],
        ),
        (
            body_of(widget(type="graph")),
            [("/widgets/0/type", f"Should be equal to one of the allowed values: {ALLOWED_TYPES}")],
        ),
        (
            body_of(widget(type="Metric")),
            [("/widgets/0/type", f"Should be equal to one of the allowed values: {ALLOWED_TYPES}")],
        ),
        (body_of(widget(type=7)), [("/widgets/0/type", "Should be string")]),
        (
            body_of({"type": "metric"}),
            [("/widgets/0", "Should have required property 'properties'")],
        ),
        (body_of(widget(properties=[])), [("/widgets/0/properties", "Should be object")]),
        (
            body_of(widget(properties={})),
            [("/widgets/0/properties", "Should have required property 'markdown'")],
        ),
        (
            body_of(widget(properties={"markdown": ["x"]})),
            [("/widgets/0/properties/markdown", "Should be string")],
        ),
        (
            body_of({"type": "alarm", "properties": {}}),
            [("/widgets/0/properties", "Should have required property 'alarms'")],
        ),
        (
            body_of({"type": "alarm", "properties": {"alarms": "arn:x"}}),
            [("/widgets/0/properties/alarms", "Should be array")],
        ),
        (
            body_of({"type": "log", "properties": {}}),
            [("/widgets/0/properties", "Should have required property 'query'")],
        ),
        (
            body_of(metric_widget({"AWS/EC2": "CPUUtilization"})),
            [("/widgets/0/properties/metrics", "Should be array")],
        ),
        # A series written without its own brackets [aws-rec: "Should be array"].
        (
            body_of(metric_widget([{"expression": "SEARCH('x', 'Average', 60)"}])),
            [("/widgets/0/properties/metrics/0", "Should be array")],
        ),
        (
            body_of(metric_widget([[]])),
            [("/widgets/0/properties/metrics/0", "Should NOT have fewer than 1 items")],
        ),
        (
            body_of(metric_widget([["AWS/EC2", "CPUUtilization", "InstanceId", 12345]])),
            [("/widgets/0/properties/metrics/0/3", NOT_STRING)],
        ),
        (  # options belong last
            body_of(metric_widget([["AWS/EC2", {"stat": "Sum"}, "CPUUtilization"]])),
            [("/widgets/0/properties/metrics/0/1", NOT_STRING)],
        ),
        (body_of(widget(x="0")), [("/widgets/0/x", "Should be integer")]),
        (body_of(widget(x=1.5)), [("/widgets/0/x", "Should be integer")]),
        (body_of(widget(x=True)), [("/widgets/0/x", "Should be integer")]),
        (body_of(widget(x=-1)), [("/widgets/0/x", "Should be >= 0")]),
        (body_of(widget(x=24)), [("/widgets/0/x", "Should be <= 23")]),
        (body_of(widget(y=-1)), [("/widgets/0/y", "Should be >= 0")]),
        (body_of(widget(width=0)), [("/widgets/0/width", "Should be >= 1")]),
        (body_of(widget(width=25)), [("/widgets/0/width", "Should be <= 24")]),
        (body_of(widget(height=1001)), [("/widgets/0/height", "Should be <= 1000")]),
        (
            body_of(periodOverride="manual"),
            [("/periodOverride", "Should be equal to one of the allowed values: auto, inherit")],
        ),
        (body_of(start=-3600), [("/start", "Should be string")]),
        # Every problem is reported, in document order.
        (
            body_of(
                widget(),
                {"type": "metric"},
                widget(type="graph", width=30),
                metric_widget([["A", 1, 2]]),
            ),
            [
                ("/widgets/1", "Should have required property 'properties'"),
                (
                    "/widgets/2/type",
                    f"Should be equal to one of the allowed values: {ALLOWED_TYPES}",
                ),
                ("/widgets/2/width", "Should be <= 24"),
                ("/widgets/3/properties/metrics/0/1", NOT_STRING),
                ("/widgets/3/properties/metrics/0/2", NOT_STRING),
            ],
        ),
    ],
)
def test_refused_bodies_give_each_problem_with_its_data_path(
    body: str, errors: list[tuple[str, str]]
) -> None:
    with pytest.raises(DashboardBodyError) as caught:
        validate_dashboard_body(body)
    expected = [DashboardValidationMessage(*e) for e in errors]
    assert caught.value.messages == expected
    assert caught.value.message.startswith(
        f"The dashboard body is invalid, there are {len(errors)} validation errors:\n"
    )


def test_the_message_lists_the_problems_as_json() -> None:
    with pytest.raises(DashboardBodyError) as caught:
        validate_dashboard_body('{"widgets": {}}')
    assert caught.value.message == (
        "The dashboard body is invalid, there are 1 validation errors:\n"
        "[\n"
        "  {\n"
        '    "dataPath": "/widgets",\n'
        '    "message": "Should be array"\n'
        "  }\n"
        "]"
    )


def test_warnings_are_dropped_when_the_body_is_refused() -> None:
    with pytest.raises(DashboardBodyError) as caught:
        validate_dashboard_body('{"theme": "dark"}')
    assert [m.data_path for m in caught.value.messages] == ["/"]


def test_dashboard_body_error_is_an_input_error() -> None:
    error = DashboardBodyError("m", [DashboardValidationMessage("/", "x")])
    assert isinstance(error, InvalidInputError)
    assert error.message == "m"
    assert error.messages == [DashboardValidationMessage("/", "x")]
