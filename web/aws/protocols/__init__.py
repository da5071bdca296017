"""The CloudWatch wire protocols, one codec per format, chosen per request.

Every codec module offers the same three functions, so the endpoint never branches on
the protocol itself:

    parse(request: AwsRequest) -> ParsedCall
    serialize_result(call: ParsedCall, result: dict | None, request_id: str)
        -> (status, headers, body)
    serialize_error(call_or_protocol: ParsedCall | str, error: CloudWatchError,
                    request_id: str) -> (status, headers, body)

`serialize_error` also takes the bare protocol name, for failures that happen before a
call was parsed (unknown operation, unreadable body, authentication).
"""

from __future__ import annotations

from types import ModuleType

from web.aws.protocols import cbor, json, query
from web.aws.protocols.common import ParsedCall
from web.aws.request import AwsRequest

PROTOCOLS: dict[str, ModuleType] = {
    query.NAME: query,
    json.NAME: json,
    cbor.NAME: cbor,
}


def detect_protocol(request: AwsRequest) -> str:
    """The dispatch rule of cloudwatch-api.md §1.1, in its order.

    A CBOR request that also carries X-Amz-Target is still detected as "cbor": the
    CBOR codec rejects it as malformed, so the error goes back in the envelope the
    client reads.
    """
    if cbor.matches(request):
        return cbor.NAME
    if (request.header("X-Amz-Target") or "").startswith(json.TARGET_PREFIX):
        return json.NAME
    return query.NAME


__all__ = ["PROTOCOLS", "ParsedCall", "detect_protocol"]
