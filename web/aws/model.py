"""botocore's shipped CloudWatch service model: the single source of wire shapes.

The codecs in `protocols/` walk these shapes instead of hand-written field lists, so the
server reads and writes exactly what the pinned botocore client sends and expects.
"""

from __future__ import annotations

import functools

from botocore.loaders import Loader
from botocore.model import NoShapeFoundError, OperationModel, ServiceModel, Shape

from web.aws.errors import InvalidAction, UnknownOperationException

SERVICE_NAME = "cloudwatch"
API_VERSION = "2010-08-01"

# The scope of cloudwatch-api.md §3. Other operations in the model (metric streams,
# anomaly detectors, insight rules, ...) are answered as unknown, like a typo would be.
OPERATIONS: frozenset[str] = frozenset(
    {
        "PutMetricData",
        "GetMetricStatistics",
        "GetMetricData",
        "ListMetrics",
        "PutMetricAlarm",
        "PutCompositeAlarm",
        "DescribeAlarms",
        "DescribeAlarmsForMetric",
        "DescribeAlarmHistory",
        "SetAlarmState",
        "DeleteAlarms",
        "EnableAlarmActions",
        "DisableAlarmActions",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "PutDashboard",
        "GetDashboard",
        "ListDashboards",
        "DeleteDashboards",
        "GetMetricWidgetImage",
    }
)


@functools.cache
def service_model() -> ServiceModel:
    # Only botocore's own data directory: AWS_DATA_PATH and ~/.aws/models may hold edited
    # copies (our tests use one to make boto3 speak CBOR), which must not reshape the server.
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    data = loader.load_service_model(SERVICE_NAME, "service-2", api_version=API_VERSION)
    return ServiceModel(data, service_name=SERVICE_NAME)


def operation(name: str, protocol: str = "query") -> OperationModel:
    """The model of an in-scope operation; otherwise the protocol's unknown-operation error."""
    if name not in OPERATIONS:
        if protocol == "query":
            raise InvalidAction(f"Could not find operation {name} for version {API_VERSION}")
        raise UnknownOperationException()
    return service_model().operation_model(name)


@functools.cache
def modelled_errors(name: str) -> frozenset[str]:
    """The error shape names an in-scope operation's model lists (empty when unknown)."""
    if name not in OPERATIONS:
        return frozenset()
    return frozenset(shape.name for shape in service_model().operation_model(name).error_shapes)


def error_shape(shape_name: str) -> Shape | None:
    """The modelled shape of an error, used to write its extra members; None if unmodelled."""
    try:
        return service_model().shape_for(shape_name)
    except NoShapeFoundError:
        return None
