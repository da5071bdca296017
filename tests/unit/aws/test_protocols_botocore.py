"""Interoperability with botocore's own wire code, in all three protocols.

Requests are built by botocore's serializers and read by our `parse`; our responses are
read by botocore's parsers the way a client does (including the second, modelled pass
over error bodies). If these agree, boto3 users see exactly what the model promises.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from web.aws import errors
from web.aws.protocols import PROTOCOLS, ParsedCall, detect_protocol
from web.aws.request import AwsRequest

pytestmark = pytest.mark.unit

# Our protocol names and botocore's.
BOTOCORE_PROTOCOL = {"query": "query", "json": "json", "cbor": "smithy-rpc-v2-cbor"}
ALL = pytest.mark.parametrize("protocol", list(BOTOCORE_PROTOCOL))
# The client side loads its model through botocore's session, independently of ours.
CLIENT_MODEL = botocore.session.get_session().get_service_model("cloudwatch")
REQUEST_ID = "6f0d4192-4d42-11e8-82c1-f539a07e0e3b"

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
T1 = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def botocore_request(protocol: str, operation: str, params: dict[str, Any]) -> AwsRequest:
    """The request botocore would put on the wire (unsigned; signing adds only headers)."""
    serializer = create_serializer(BOTOCORE_PROTOCOL[protocol])
    request_dict = serializer.serialize_to_request(params, CLIENT_MODEL.operation_model(operation))
    prepare_request_dict(request_dict, endpoint_url="http://localhost:8003")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    return AwsRequest(
        method=prepared.method,
        path=url.path,
        query_string=url.query,
        headers=tuple(prepared.headers.items()),
        body=body.encode() if isinstance(body, str) else body,
    )


def roundtrip_params(protocol: str, operation: str, params: dict[str, Any]) -> ParsedCall:
    request = botocore_request(protocol, operation, params)
    assert detect_protocol(request) == protocol
    return PROTOCOLS[protocol].parse(request)


def botocore_parse(
    protocol: str, operation: str, response: tuple[int, list[tuple[str, str]], bytes]
) -> dict[str, Any]:
    """What a boto3 call returns (or puts in ClientError.response) for this response."""
    status, headers, body = response
    response_dict = {"status_code": status, "headers": HeadersDict(headers), "body": body}
    parser = create_parser(BOTOCORE_PROTOCOL[protocol])
    parsed = parser.parse(response_dict, CLIENT_MODEL.operation_model(operation).output_shape)
    if status >= 300:
        # botocore.endpoint._add_modeled_error_fields: the second pass for error members.
        error_shape = CLIENT_MODEL.shape_for_error_code(parsed["Error"]["Code"])
        if error_shape is not None:
            parsed.update(parser.parse(response_dict, error_shape))
    return parsed


def call(protocol: str, operation: str, query_mode: bool = True) -> ParsedCall:
    return ParsedCall(protocol, operation, {}, query_mode)


def result_roundtrip(protocol: str, operation: str, result: dict | None) -> dict[str, Any]:
    codec = PROTOCOLS[protocol]
    response = codec.serialize_result(call(protocol, operation), result, REQUEST_ID)
    parsed = botocore_parse(protocol, operation, response)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["HTTPHeaders"]["x-amzn-requestid"] == REQUEST_ID
    # botocore's CBOR parser copies the header into RequestId only for outputs with a shape.
    assert metadata.get("RequestId", REQUEST_ID) == REQUEST_ID
    return parsed


# --- botocore request -> our params ---


@ALL
def test_put_metric_data_params(protocol: str) -> None:
    params = {
        "Namespace": "Test/NS with space",
        "MetricData": [
            {
                "MetricName": "Lat",
                "Dimensions": [{"Name": "Host", "Value": "a"}, {"Name": "Az", "Value": "b&c=d"}],
                "Timestamp": T1,
                "Value": 1.5,
                "Unit": "Milliseconds",
                "StorageResolution": 1,
            },
            {"MetricName": "Dist", "Values": [1.0, 2.5, 1e-07], "Counts": [3.0, 4.0, 1.0]},
            {
                "MetricName": "Stats",
                "Timestamp": T0,
                "StatisticValues": {
                    "SampleCount": 2.0,
                    "Sum": 11.0,
                    "Minimum": 0.5,
                    "Maximum": 10.5,
                },
                "Unit": "Count",
            },
        ],
    }
    parsed = roundtrip_params(protocol, "PutMetricData", params)
    assert parsed == ParsedCall(protocol, "PutMetricData", params, query_mode=True)


@ALL
def test_put_metric_data_entity_map(protocol: str) -> None:
    params = {
        "Namespace": "NS",
        "MetricData": [{"MetricName": "m", "Value": 1.0}],
        "EntityMetricData": [
            {
                "Entity": {
                    "KeyAttributes": {"Type": "Service", "Name": "api"},
                    "Attributes": {"PlatformType": "Generic"},
                },
                "MetricData": [{"MetricName": "m", "Value": 2.0}],
            }
        ],
        "StrictEntityValidation": False,
    }
    assert roundtrip_params(protocol, "PutMetricData", params).params == params


@ALL
def test_non_finite_doubles_reach_validation_as_floats(protocol: str) -> None:
    params = {
        "Namespace": "NS",
        "MetricData": [{"MetricName": "m", "Values": [math.nan, math.inf, -math.inf]}],
    }
    values = roundtrip_params(protocol, "PutMetricData", params).params["MetricData"][0]["Values"]
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf]


@ALL
def test_get_metric_statistics_params(protocol: str) -> None:
    params = {
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}],
        "StartTime": T0,
        "EndTime": T1,
        "Period": 60,
        "Statistics": ["Average", "Maximum"],
        "ExtendedStatistics": ["p99", "tm90"],
        "Unit": "Percent",
    }
    assert roundtrip_params(protocol, "GetMetricStatistics", params).params == params


@ALL
def test_get_metric_data_params(protocol: str) -> None:
    params = {
        "MetricDataQueries": [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "NS",
                        "MetricName": "Lat",
                        "Dimensions": [{"Name": "Host", "Value": "a"}],
                    },
                    "Period": 300,
                    "Stat": "p99",
                    "Unit": "Milliseconds",
                },
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1 * 2", "Label": "Doubled", "Period": 300},
        ],
        "StartTime": T0,
        "EndTime": T1,
        "NextToken": "tok",
        "ScanBy": "TimestampAscending",
        "MaxDatapoints": 100800,
        "LabelOptions": {"Timezone": "+0130"},
    }
    assert roundtrip_params(protocol, "GetMetricData", params).params == params


@ALL
def test_describe_alarms_params_with_empty_list(protocol: str) -> None:
    params = {
        "AlarmNames": [],
        "AlarmTypes": ["CompositeAlarm", "MetricAlarm"],
        "StateValue": "ALARM",
        "MaxRecords": 50,
    }
    assert roundtrip_params(protocol, "DescribeAlarms", params).params == params


@ALL
def test_put_metric_alarm_with_metrics_list(protocol: str) -> None:
    params = {
        "AlarmName": "high-lat",
        "AlarmDescription": "<p99> & friends",
        "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:1:b"],
        "OKActions": [],
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 250.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "breaching",
        "Metrics": [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "NS", "MetricName": "Lat"},
                    "Period": 60,
                    "Stat": "Average",
                },
                "ReturnData": True,
            }
        ],
        "Tags": [{"Key": "team", "Value": "core"}],
    }
    assert roundtrip_params(protocol, "PutMetricAlarm", params).params == params


@ALL
def test_tag_resource_params(protocol: str) -> None:
    params = {
        "ResourceARN": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a b",
        "Tags": [{"Key": "k1", "Value": ""}, {"Key": "k2", "Value": "v/2"}],
    }
    assert roundtrip_params(protocol, "TagResource", params).params == params


# --- our results -> botocore's parsed output ---


@ALL
def test_get_metric_statistics_result(protocol: str) -> None:
    result = {
        "Label": "Lat",
        "Datapoints": [
            {
                "Timestamp": T0,
                "SampleCount": 3.0,
                "Average": 1.5,
                "Unit": "Milliseconds",
                "ExtendedStatistics": {"p99": 12.5, "p50": 1.0},
            },
            {"Timestamp": T0, "Maximum": 38.395433048854194, "Unit": "Milliseconds"},
        ],
    }
    assert result_roundtrip(protocol, "GetMetricStatistics", result) == result


@ALL
def test_get_metric_statistics_empty_datapoints(protocol: str) -> None:
    result = {"Label": "Lat", "Datapoints": []}
    assert result_roundtrip(protocol, "GetMetricStatistics", result) == result


@ALL
def test_describe_alarms_result(protocol: str) -> None:
    alarm = {
        "AlarmName": "high-lat",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:high-lat",
        "AlarmDescription": "a < b && c",
        "ActionsEnabled": False,
        "AlarmActions": [],
        "StateValue": "ALARM",
        "StateReason": "Threshold Crossed: 1 datapoint [3.0 (02/01/24 03:04:00)]",
        "StateReasonData": '{"version":"1.0"}',
        "StateUpdatedTimestamp": T1,
        "AlarmConfigurationUpdatedTimestamp": T0,
        "MetricName": "Lat",
        "Namespace": "NS",
        "Statistic": "Average",
        "Dimensions": [{"Name": "Host", "Value": "a"}],
        "Period": 60,
        "EvaluationPeriods": 3,
        "Threshold": 2.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    result = {"MetricAlarms": [alarm], "CompositeAlarms": [], "NextToken": "n"}
    assert result_roundtrip(protocol, "DescribeAlarms", result) == result


@ALL
def test_get_metric_data_result(protocol: str) -> None:
    result = {
        "MetricDataResults": [
            {
                "Id": "m1",
                "Label": "Lat",
                "Timestamps": [T1, T0],
                "Values": [41.0, 0.5],
                "StatusCode": "PartialData",
            }
        ],
        "NextToken": "more",
        "Messages": [{"Code": "MaxDatapointsExceeded", "Value": "x"}],
    }
    assert result_roundtrip(protocol, "GetMetricData", result) == result


@ALL
def test_metric_widget_image_blob(protocol: str) -> None:
    image = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff"
    parsed = result_roundtrip(protocol, "GetMetricWidgetImage", {"MetricWidgetImage": image})
    assert parsed == {"MetricWidgetImage": image}


@ALL
def test_dashboard_body_returned_byte_for_byte(protocol: str) -> None:
    body = '{"widgets": [{"text": "a < b & c\\r\\n"}]}\r\n\ttail'
    result = {"DashboardArn": "arn:x", "DashboardBody": body, "DashboardName": "d-1"}
    assert result_roundtrip(protocol, "GetDashboard", result) == result


@ALL
@pytest.mark.parametrize("operation", ["PutMetricData", "TagResource", "DeleteDashboards"])
def test_outputs_without_members(protocol: str, operation: str) -> None:
    assert result_roundtrip(protocol, operation, None) == {}


# --- our errors -> botocore's ClientError.response ---


def error_roundtrip(
    protocol: str, operation: str, error: errors.CloudWatchError, query_mode: bool = True
) -> dict[str, Any]:
    codec = PROTOCOLS[protocol]
    response = codec.serialize_error(call(protocol, operation, query_mode), error, REQUEST_ID)
    parsed = botocore_parse(protocol, operation, response)
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == response[0]
    return parsed


@ALL
def test_error_code_is_the_query_code(protocol: str) -> None:
    error = errors.InvalidParameterValue("The parameter StartTime must be less than EndTime.")
    parsed = error_roundtrip(protocol, "GetMetricStatistics", error)
    assert parsed["Error"]["Code"] == "InvalidParameterValue"
    assert parsed["Error"]["Message"] == "The parameter StartTime must be less than EndTime."
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The code botocore registers for client.exceptions.InvalidParameterValueException.
    assert CLIENT_MODEL.shape_for_error_code("InvalidParameterValue").name == (
        "InvalidParameterValueException"
    )


@ALL
@pytest.mark.parametrize(("query_mode", "status"), [(True, 404), (False, 400)])
def test_not_found_status_follows_query_mode(protocol: str, query_mode: bool, status: int) -> None:
    parsed = error_roundtrip(protocol, "SetAlarmState", errors.ResourceNotFound(), query_mode)
    assert parsed["Error"]["Code"] == "ResourceNotFound"
    # No message on the wire, as AWS does: botocore reports '' for JSON/CBOR, nothing for XML.
    assert parsed["Error"].get("Message", "") == ""
    # awsQuery has no query-mode switch: it always answers the modelled status.
    expected = 404 if protocol == "query" else status
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == expected


@ALL
@pytest.mark.parametrize("query_mode", [True, False])
def test_server_faults_keep_their_status(protocol: str, query_mode: bool) -> None:
    error = errors.InternalServiceError("boom")
    parsed = error_roundtrip(protocol, "ListMetrics", error, query_mode)
    assert parsed["Error"]["Code"] == "InternalServiceError"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 500
    if protocol != "query":
        assert parsed["Error"]["Type"] == "Receiver"


@ALL
def test_auth_errors_keep_403_outside_query_mode(protocol: str) -> None:
    error = errors.SignatureDoesNotMatch("The request signature we calculated does not match.")
    parsed = error_roundtrip(protocol, "ListMetrics", error, query_mode=False)
    assert parsed["Error"]["Code"] == "SignatureDoesNotMatch"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 403


@ALL
def test_modelled_error_members(protocol: str) -> None:
    error = errors.ResourceNotFoundException(ResourceType="alarm", ResourceId="arn:x")
    parsed = error_roundtrip(protocol, "TagResource", error)
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["ResourceType"] == "alarm"
    assert parsed["ResourceId"] == "arn:x"


@ALL
def test_dashboard_validation_messages(protocol: str) -> None:
    messages = [{"DataPath": "/widgets/0", "Message": "Should be object"}]
    error = errors.DashboardInvalidInputError("bad body", dashboardValidationMessages=messages)
    parsed = error_roundtrip(protocol, "PutDashboard", error)
    assert parsed["Error"]["Code"] == "InvalidParameterInput"
    assert parsed["Error"]["Message"] == "bad body"
    assert parsed["dashboardValidationMessages"] == messages


@ALL
def test_validation_error(protocol: str) -> None:
    error = errors.ValidationError(
        "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy "
        "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
    )
    parsed = error_roundtrip(protocol, "SetAlarmState", error)
    assert parsed["Error"]["Code"] == "ValidationError"
    assert parsed["Error"]["Message"].startswith("1 validation error detected")


@ALL
def test_error_before_the_operation_is_known(protocol: str) -> None:
    codec = PROTOCOLS[protocol]
    error = errors.InvalidAction() if protocol == "query" else errors.UnknownOperationException()
    response = codec.serialize_error(protocol, error, REQUEST_ID)
    # Any operation's output shape will do: error parsing does not depend on it.
    parsed = botocore_parse(protocol, "ListMetrics", response)
    assert parsed["Error"]["Code"] == error.code
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 400
