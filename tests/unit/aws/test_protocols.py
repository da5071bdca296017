"""Protocol detection, hand-built requests botocore would never send, and exact wire bytes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import botocore.session
import cbor2
import pytest

from web.aws import errors, model
from web.aws.protocols import PROTOCOLS, ParsedCall, detect_protocol
from web.aws.protocols.common import error_status
from web.aws.request import AwsRequest

pytestmark = pytest.mark.unit

FORM = ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
JSON_TYPE = ("Content-Type", "application/x-amz-json-1.0")
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/"
CBOR_HEADERS = (("Smithy-Protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor"))


def query_request(body: str = "", query_string: str = "", method: str = "POST") -> AwsRequest:
    return AwsRequest(method, "/", query_string, (FORM,), body.encode())


def json_request(operation: str, body: bytes, *headers: tuple[str, str]) -> AwsRequest:
    target = ("X-Amz-Target", f"GraniteServiceVersion20100801.{operation}")
    return AwsRequest("POST", "/", "", (target, JSON_TYPE, *headers), body)


def cbor_request(operation: str, body: bytes, *headers: tuple[str, str]) -> AwsRequest:
    return AwsRequest("POST", CBOR_PATH + operation, "", (*CBOR_HEADERS, *headers), body)


def parse(request: AwsRequest) -> ParsedCall:
    return PROTOCOLS[detect_protocol(request)].parse(request)


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


# --- Detection (§1.1) ---


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (cbor_request("ListMetrics", b"\xa0"), "cbor"),
        (
            AwsRequest(
                "POST",
                "/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/X",
                headers=CBOR_HEADERS,
            ),
            "cbor",
        ),
        # The CBOR path without the Smithy-Protocol header is not CBOR.
        (AwsRequest("POST", CBOR_PATH + "ListMetrics"), "query"),
        (json_request("ListMetrics", b"{}"), "json"),
        (AwsRequest("POST", "/", headers=(("X-Amz-Target", "Other.ListMetrics"),)), "query"),
        (query_request("Action=ListMetrics"), "query"),
        (AwsRequest("GET", "/", "Action=ListMetrics&Version=2010-08-01"), "query"),
    ],
)
def test_detect_protocol(request_: AwsRequest, expected: str) -> None:
    assert detect_protocol(request_) == expected


def test_cbor_with_target_is_answered_as_malformed_cbor() -> None:
    request = cbor_request(
        "ListMetrics", b"\xa0", ("X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics")
    )
    assert detect_protocol(request) == "cbor"
    with pytest.raises(errors.SerializationException) as caught:
        parse(request)
    status, headers, body = PROTOCOLS["cbor"].serialize_error("cbor", caught.value, "r")
    assert status == 400
    assert header(headers, "Smithy-Protocol") == "rpc-v2-cbor"
    assert cbor2.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"


# --- awsQuery requests (§1.2) ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.678Z", datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)),
        ("2024-01-02T03:04:05.678000Z", datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)),
        ("20171208T062404Z", datetime(2017, 12, 8, 6, 24, 4, tzinfo=UTC)),
        ("2024-01-02T05:04:05+02:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_query_timestamps(text: str, expected: datetime) -> None:
    stamp_text = text.replace("+", "%2B")
    body = (
        "Action=PutMetricData&Namespace=N&MetricData.member.1.MetricName=m"
        f"&MetricData.member.1.Timestamp={stamp_text}"
    )
    stamp = parse(query_request(body)).params["MetricData"][0]["Timestamp"]
    assert stamp == expected
    assert stamp.tzinfo is UTC


def test_query_operation_alias_and_get_query_string() -> None:
    parsed = parse(AwsRequest("GET", "/", "Operation=ListMetrics&Namespace=a+b%2Fc&Version=x"))
    assert parsed == ParsedCall("query", "ListMetrics", {"Namespace": "a b/c"}, query_mode=True)


def test_query_reads_query_string_and_body_together() -> None:
    request = query_request("Namespace=NS", query_string="Action=ListMetrics&MetricName=m")
    assert parse(request).params == {"Namespace": "NS", "MetricName": "m"}


def test_query_ignores_presign_and_unknown_parameters() -> None:
    request = query_request(
        "Action=ListMetrics&Version=2010-08-01&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Signature=abc&X-Amz-Credential=a%2Fb&Unknown.member.1=x"
    )
    assert parse(request).params == {}


def test_query_empty_list_and_non_contiguous_members() -> None:
    body = (
        "Action=DescribeAlarms&AlarmNames=&AlarmTypes.member.10=c"
        "&AlarmTypes.member.2=a&AlarmTypes.member.5=b"
    )
    assert parse(query_request(body)).params == {"AlarmNames": [], "AlarmTypes": ["a", "b", "c"]}


def test_query_map_entries() -> None:
    prefix = "EntityMetricData.member.1.Entity.KeyAttributes"
    body = (
        f"Action=PutMetricData&Namespace=N&MetricData=&{prefix}.entry.3.key=Name"
        f"&{prefix}.entry.3.value=api&{prefix}.entry.1.key=Type&{prefix}.entry.1.value=Service"
    )
    entity = parse(query_request(body)).params["EntityMetricData"][0]["Entity"]
    assert list(entity["KeyAttributes"].items()) == [("Type", "Service"), ("Name", "api")]


@pytest.mark.parametrize(
    ("body", "error", "fragment"),
    [
        ("Action=GetMetricStatistics&Period=abc", errors.InvalidParameterValue, "Period"),
        ("Action=GetMetricStatistics&Period=1_000", errors.InvalidParameterValue, "Period"),
        (
            "Action=PutMetricData&MetricData.member.1.Value=x1",
            errors.InvalidParameterValue,
            "MetricData.member.1.Value",
        ),
        (
            "Action=PutMetricAlarm&ActionsEnabled=yes",
            errors.InvalidParameterValue,
            "ActionsEnabled",
        ),
        ("Action=GetMetricStatistics&StartTime=noon", errors.InvalidParameterValue, "StartTime"),
        ("Action=DescribeAlarms&AlarmNames=a", errors.InvalidParameterValue, "AlarmNames"),
        ("Action=DescribeAlarms&AlarmNames.member.x=a", errors.InvalidParameterValue, "x"),
        (
            "Action=PutMetricData&EntityMetricData.member.1.Entity.Attributes.entry.1.key=k",
            errors.InvalidParameterValue,
            "Attributes.entry.1",
        ),
        ("Action=NoSuchThing", errors.InvalidAction, "NoSuchThing"),
        # In the botocore model, but outside our scope: answered like any unknown action.
        ("Action=PutAnomalyDetector", errors.InvalidAction, "PutAnomalyDetector"),
        ("Version=2010-08-01", errors.MissingAction, "Action"),
    ],
)
def test_query_bad_requests(body: str, error: type[errors.CloudWatchError], fragment: str) -> None:
    with pytest.raises(error) as caught:
        parse(query_request(body))
    assert fragment in caught.value.message
    assert caught.value.status < 500


def test_query_undecodable_body() -> None:
    with pytest.raises(errors.MalformedQueryString):
        parse(query_request("Action=ListMetrics&Namespace=%ff"))


def test_query_ignores_a_non_form_body() -> None:
    request = AwsRequest(
        "POST", "/", "Action=ListMetrics", (("Content-Type", "text/plain"),), b"Namespace=x"
    )
    assert parse(request).params == {}


# --- awsJson1_0 requests (§1.4) ---


def test_json_scalars_and_non_finite_words() -> None:
    body = json.dumps(
        {
            "Namespace": "N",
            "MetricData": [
                {"MetricName": "m", "Timestamp": 1704164645, "Values": ["NaN", "Infinity", 2]},
                {"MetricName": "n", "Timestamp": "2024-01-02T03:04:05.5Z", "Value": None},
            ],
            "Unknown": {"ignored": True},
        }
    ).encode()
    data = parse(json_request("PutMetricData", body)).params["MetricData"]
    assert data[0]["Timestamp"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert math.isnan(data[0]["Values"][0])
    assert data[0]["Values"][1:] == [math.inf, 2.0]
    assert isinstance(data[0]["Values"][2], float)
    # null members are absent, ISO strings are accepted as a fallback.
    assert data[1] == {
        "MetricName": "n",
        "Timestamp": datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC),
    }


def test_json_query_mode_comes_from_the_header() -> None:
    assert not parse(json_request("ListMetrics", b"{}")).query_mode
    assert parse(json_request("ListMetrics", b"{}", ("x-amzn-query-mode", "true"))).query_mode


@pytest.mark.parametrize("body", [b"", b"  ", b"{}"])
def test_json_empty_body_is_an_empty_input(body: bytes) -> None:
    assert parse(json_request("ListMetrics", body)).params == {}


@pytest.mark.parametrize(
    ("body", "error", "fragment"),
    [
        (b'{"Period": "abc"}', errors.InvalidParameterValue, "Period"),
        (b'{"Period": true}', errors.InvalidParameterValue, "Period"),
        (b'{"Period": 60.5}', errors.InvalidParameterValue, "Period"),
        (b'{"Statistics": "Sum"}', errors.InvalidParameterValue, "Statistics"),
        (
            b'{"Dimensions": [{"Name": 5}]}',
            errors.InvalidParameterValue,
            "Dimensions.member.1.Name",
        ),
        (b'{"StartTime": [1]}', errors.InvalidParameterValue, "StartTime"),
        (b'{"StartTime": 1e300}', errors.InvalidParameterValue, "StartTime"),
        (b'{"Namespace": ', errors.SerializationException, "JSON"),
        (b"[1, 2]", errors.SerializationException, "object"),
        (b'{"Namespace": "\xff"}', errors.SerializationException, "JSON"),
    ],
)
def test_json_bad_bodies(body: bytes, error: type[errors.CloudWatchError], fragment: str) -> None:
    with pytest.raises(error) as caught:
        parse(json_request("GetMetricStatistics", body))
    assert fragment in caught.value.message


@pytest.mark.parametrize("operation", ["NoSuchThing", "PutAnomalyDetector", ""])
def test_json_unknown_operation(operation: str) -> None:
    with pytest.raises(errors.UnknownOperationException):
        parse(json_request(operation, b"{}"))


# --- rpcv2Cbor requests (§1.5) ---


def test_cbor_indefinite_lengths_half_floats_and_tag_1() -> None:
    body = bytes.fromhex(
        "bf"  # indefinite map
        "69" + b"Namespace".hex() + "7f" + "61" + b"N".hex() + "62" + b"S1".hex() + "ff"  # chunked
        "6a" + b"MetricData".hex() + "9f"  # indefinite array
        "bf"
        "6a" + b"MetricName".hex() + "61" + b"m".hex() + "69" + b"Timestamp".hex() + "c11a65937d25"
        "66" + b"Values".hex() + "9f" + "f93e00" + "f97e00" + "fa3fc00000" + "01" + "ff"
        "64" + b"Unit".hex() + "f7"  # undefined: absent
        "ff"
        "ff"
        "ff"
    )
    params = parse(cbor_request("PutMetricData", body)).params
    assert params["Namespace"] == "NS1"
    metric = params["MetricData"][0]
    assert metric["Timestamp"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert metric["Values"][0] == 1.5
    assert math.isnan(metric["Values"][1])
    assert metric["Values"][2:] == [1.5, 1.0]
    assert "Unit" not in metric


def test_cbor_query_mode_and_empty_body() -> None:
    parsed = parse(cbor_request("ListMetrics", b"", ("x-amzn-query-mode", "true")))
    assert parsed == ParsedCall("cbor", "ListMetrics", {}, query_mode=True)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"\xbf", errors.SerializationException),  # truncated
        (b"\xa0\x00", errors.SerializationException),  # trailing data
        (b"\x81\x01", errors.SerializationException),  # not a map
        (b"\xa0\xff", errors.SerializationException),  # stray break
        (cbor2.dumps({"Period": "60"}), errors.InvalidParameterValue),
        (cbor2.dumps({"StartTime": "2024-01-02T00:00:00Z"}), errors.InvalidParameterValue),
    ],
)
def test_cbor_bad_bodies(body: bytes, error: type[errors.CloudWatchError]) -> None:
    with pytest.raises(error):
        parse(cbor_request("GetMetricStatistics", body))


def test_cbor_unknown_service_or_operation() -> None:
    with pytest.raises(errors.UnknownOperationException):
        parse(AwsRequest("POST", "/service/Other/operation/ListMetrics", headers=CBOR_HEADERS))
    with pytest.raises(errors.UnknownOperationException):
        parse(cbor_request("NoSuchThing", b"\xa0"))


# --- Responses: exact envelopes ---


def test_query_result_envelope() -> None:
    call = ParsedCall("query", "GetMetricStatistics", {}, True)
    result = {
        "Label": "a<b>&c",
        "Datapoints": [{"Timestamp": datetime(2024, 1, 2, 3, 4), "Average": 1.5, "Unit": "Count"}],
        "NotInShape": "dropped",
    }
    status, headers, body = PROTOCOLS["query"].serialize_result(call, result, "rid")
    assert status == 200
    assert header(headers, "x-amzn-RequestId") == "rid"
    assert header(headers, "Content-Type") == "text/xml"
    assert body.decode() == (
        '<GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        "<GetMetricStatisticsResult><Label>a&lt;b&gt;&amp;c</Label><Datapoints><member>"
        "<Timestamp>2024-01-02T03:04:00Z</Timestamp><Average>1.5</Average><Unit>Count</Unit>"
        "</member></Datapoints></GetMetricStatisticsResult>"
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>"
        "</GetMetricStatisticsResponse>"
    )


def test_query_result_without_output_shape_has_no_result_element() -> None:
    call = ParsedCall("query", "PutMetricData", {}, True)
    _, _, body = PROTOCOLS["query"].serialize_result(call, None, "rid")
    assert b"Result" not in body


def test_query_alarm_timestamps_keep_milliseconds() -> None:
    call = ParsedCall("query", "DescribeAlarms", {}, True)
    stamp = datetime(2022, 1, 17, 16, 48, 42, 271000, tzinfo=timezone(timedelta(hours=2)))
    result = {"MetricAlarms": [{"StateUpdatedTimestamp": stamp}], "CompositeAlarms": []}
    _, _, body = PROTOCOLS["query"].serialize_result(call, result, "rid")
    assert b"<StateUpdatedTimestamp>2022-01-17T14:48:42.271Z</StateUpdatedTimestamp>" in body
    assert b"<CompositeAlarms/>" in body


def test_query_error_envelope() -> None:
    error = errors.InvalidParameterValue("bad & worse")
    status, headers, body = PROTOCOLS["query"].serialize_error("query", error, "rid")
    assert status == 400
    assert header(headers, "x-amzn-RequestId") == "rid"
    assert body.decode() == (
        '<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        "<Error><Type>Sender</Type><Code>InvalidParameterValue</Code>"
        "<Message>bad &amp; worse</Message></Error><RequestId>rid</RequestId></ErrorResponse>"
    )


def test_query_error_without_message_and_server_fault() -> None:
    _, _, body = PROTOCOLS["query"].serialize_error("query", errors.ResourceNotFound(), "r")
    assert b"<Message" not in body
    status, _, body = PROTOCOLS["query"].serialize_error("query", errors.InternalFailure(), "r")
    assert status == 500
    assert b"<Type>Receiver</Type>" in body


def test_json_error_envelope() -> None:
    call = ParsedCall("json", "SetAlarmState", {}, query_mode=True)
    status, headers, body = PROTOCOLS["json"].serialize_error(call, errors.ResourceNotFound(), "r")
    assert status == 404
    assert header(headers, "x-amzn-query-error") == "ResourceNotFound;Sender"
    assert header(headers, "Content-Type") == "application/x-amz-json-1.0"
    assert json.loads(body) == {"__type": "com.amazonaws.cloudwatch.v2010_08_01#ResourceNotFound"}
    _, _, body = PROTOCOLS["json"].serialize_error("json", errors.ValidationError("v"), "r")
    assert json.loads(body) == {
        "__type": "com.amazon.coral.validate#ValidationException",
        "message": "v",
    }


def test_json_result_timestamps_are_epoch_seconds() -> None:
    call = ParsedCall("json", "GetMetricData", {}, True)
    stamp = datetime(2025, 12, 17, 13, 23, tzinfo=UTC)
    result = {"MetricDataResults": [{"Id": "m", "Timestamps": [stamp], "Values": [1]}]}
    _, headers, body = PROTOCOLS["json"].serialize_result(call, result, "r")
    assert json.loads(body) == {
        "MetricDataResults": [{"Id": "m", "Timestamps": [1765977780.0], "Values": [1.0]}]
    }
    assert header(headers, "x-amzn-RequestId") == "r"


def test_json_result_without_output_shape_is_an_empty_object() -> None:
    call = ParsedCall("json", "PutMetricAlarm", {}, True)
    assert PROTOCOLS["json"].serialize_result(call, None, "r")[2] == b"{}"


def test_cbor_result_without_output_shape_has_no_body() -> None:
    call = ParsedCall("cbor", "DeleteAlarms", {}, True)
    status, headers, body = PROTOCOLS["cbor"].serialize_result(call, None, "r")
    assert (status, body) == (200, b"")
    assert header(headers, "Content-Type") is None
    assert header(headers, "Smithy-Protocol") == "rpc-v2-cbor"
    assert header(headers, "x-amzn-RequestId") == "r"


def test_cbor_result_uses_tag_1_and_a_map_for_memberless_outputs() -> None:
    call = ParsedCall("cbor", "DescribeAlarmHistory", {}, True)
    stamp = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    result = {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": stamp}]}
    _, headers, body = PROTOCOLS["cbor"].serialize_result(call, result, "r")
    assert header(headers, "Content-Type") == "application/cbor"
    assert bytes.fromhex("c1fb41d964df496b645a") in body
    assert cbor2.loads(body) == {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": stamp}]}
    tag_call = ParsedCall("cbor", "TagResource", {}, True)
    assert PROTOCOLS["cbor"].serialize_result(tag_call, None, "r")[2] == b"\xa0"


@pytest.mark.parametrize(
    ("error", "query_mode", "expected"),
    [
        (errors.ResourceNotFound(), True, 404),
        (errors.ResourceNotFound(), False, 400),
        (errors.ConcurrentModificationException(), False, 400),
        (errors.ConcurrentModificationException(), True, 429),
        (errors.InternalServiceError(), False, 500),
        (errors.SignatureDoesNotMatch(), False, 403),
        (errors.MissingAuthenticationToken(), False, 403),
    ],
)
def test_error_status_rule(error: errors.CloudWatchError, query_mode: bool, expected: int) -> None:
    assert error_status(error, query_mode) == expected


# --- The model and the error catalogue agree with botocore ---

CATALOGUE = [
    errors.InvalidParameterValue,
    errors.InvalidParameterCombination,
    errors.MissingParameter,
    errors.InternalServiceError,
    errors.InvalidNextToken,
    errors.LimitExceeded,
    errors.ResourceNotFound,
    errors.InvalidFormat,
    errors.ResourceNotFoundException,
    errors.ConcurrentModificationException,
    errors.ConflictException,
    errors.DashboardInvalidInputError,
    errors.DashboardNotFoundError,
    errors.ResourceConflict,
    errors.ValidationError,
]


@pytest.mark.parametrize("error", CATALOGUE, ids=lambda cls: cls.__name__)
def test_catalogue_matches_the_model(error: type[errors.CloudWatchError]) -> None:
    shape = botocore.session.get_session().get_service_model("cloudwatch").shape_for(error.shape)
    assert shape.error_code == error.code
    assert shape.metadata["error"]["httpStatusCode"] == error.status
    assert error.sender_fault == (error.status < 500)


def test_every_operation_in_scope_is_in_the_model() -> None:
    assert len(model.OPERATIONS) == 21
    for name in model.OPERATIONS:
        assert model.operation(name).name == name
