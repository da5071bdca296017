"""awsJson1_0 (query-compatible): cloudwatch-api.md §1.4.

Requests: `X-Amz-Target: GraniteServiceVersion20100801.<Op>`, body a JSON object with the
model's member names. Responses: the output structure as JSON; errors carry `__type` and
the `x-amzn-query-error` header that maps them back to awsQuery codes in botocore.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

import orjson

from web.aws import model
from web.aws.errors import CloudWatchError, SerializationException
from web.aws.protocols.common import (
    QUERY_ERROR_HEADER,
    REQUEST_ID_HEADER,
    ParsedCall,
    epoch_seconds,
    error_status,
    fault,
    finite_or_word,
    invalid,
    sent_query_mode,
    shape_id,
    timestamp_from_epoch,
    timestamp_from_text,
)
from web.aws.protocols.documents import DocumentReader, DocumentWriter
from web.aws.request import AwsRequest

NAME = "json"
TARGET_PREFIX = "GraniteServiceVersion20100801."
CONTENT_TYPE = "application/x-amz-json-1.0"


def _timestamp(value: Any, path: str) -> datetime:
    # botocore sends epoch seconds (int, or float with a fraction); other SDKs and
    # hand-built clients have sent ISO strings, which Smithy servers also accept.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timestamp_from_epoch(value, path)
    if isinstance(value, str):
        return timestamp_from_text(value, path)
    raise invalid(value, path, "timestamp")


def _blob(value: Any, path: str) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            pass
    raise invalid(value, path, "base64 blob")


_READER = DocumentReader(timestamp=_timestamp, blob=_blob)
_WRITER = DocumentWriter(
    timestamp=epoch_seconds,
    blob=lambda data: base64.b64encode(data).decode("ascii"),
    double=finite_or_word,
)


def parse(request: AwsRequest) -> ParsedCall:
    target = request.header("X-Amz-Target") or ""
    name = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else ""
    operation = model.operation(name, NAME)
    document = _decode(request.payload)
    shape = operation.input_shape
    params = _READER.read_document(shape, document) if shape is not None else {}
    return ParsedCall(NAME, operation.name, params, sent_query_mode(request))


def _decode(payload: bytes) -> dict:
    # Smithy: an empty body is the same as `{}`.
    if not payload.strip():
        return {}
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        # orjson is strict JSON; the json module also takes what some clients send (NaN and
        # Infinity literals, integers beyond 64 bits) and is what decides what is refused.
        try:
            document = json.loads(payload)
        except (ValueError, RecursionError):
            # ValueError covers bad UTF-8 as well as bad JSON.
            raise SerializationException("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a JSON object.")
    return document


def serialize_result(
    call: ParsedCall, result: dict | None, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    shape = model.operation(call.operation, NAME).output_shape
    # Outputs without a shape still get `{}`: botocore accepts it and so do stricter clients.
    document = _WRITER.write_members(shape, result or {}) if shape is not None else {}
    return 200, _headers(request_id), _encode_result(document)


def serialize_error(
    call_or_protocol: ParsedCall | str, error: CloudWatchError, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    query_mode = isinstance(call_or_protocol, ParsedCall) and call_or_protocol.query_mode
    headers = [*_headers(request_id), (QUERY_ERROR_HEADER, f"{error.code};{fault(error)}")]
    return error_status(error, query_mode), headers, _encode(error_document(error, _WRITER))


def error_document(error: CloudWatchError, writer: DocumentWriter) -> dict[str, Any]:
    """The JSON/CBOR error body; the CBOR codec reuses it with its own writer."""
    document: dict[str, Any] = {"__type": shape_id(error)}
    # AWS leaves `message` out when there is none; botocore then reports ''.
    if error.message:
        document["message"] = error.message
    shape = model.error_shape(error.shape)
    if shape is not None:
        document.update(writer.write_members(shape, error.members))
    else:
        document.update(error.members)
    return document


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [("Content-Type", CONTENT_TYPE), (REQUEST_ID_HEADER, request_id)]


def _encode_result(document: dict[str, Any]) -> bytes:
    # A written result holds only JSON-ready values (the writer turned NaN and infinities into
    # words), and orjson encodes GetMetricStatistics' 1,440 datapoints 10x faster than json.
    # It refuses integers beyond 64 bits, which the json module writes.
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        return _encode(document)


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode("utf-8")
