"""Smithy RPC v2 CBOR: cloudwatch-api.md §1.5.

Requests: `POST .../service/<svc>/operation/<Op>` with `Smithy-Protocol: rpc-v2-cbor`; the
body is a CBOR map of the input, timestamps as tag 1, blobs as raw byte strings. Errors
use the JSON envelope (same `__type`, `message`, `x-amzn-query-error`) encoded as CBOR.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import cbor2

from web.aws import model
from web.aws.errors import CloudWatchError, SerializationException, UnknownOperationException
from web.aws.protocols.common import (
    QUERY_ERROR_HEADER,
    REQUEST_ID_HEADER,
    ParsedCall,
    as_utc,
    epoch_seconds,
    error_status,
    fault,
    invalid,
    sent_query_mode,
    timestamp_from_epoch,
)
from web.aws.protocols.documents import DocumentReader, DocumentWriter
from web.aws.protocols.json import error_document
from web.aws.request import AwsRequest

NAME = "cbor"
PROTOCOL_HEADER = "Smithy-Protocol"
PROTOCOL_VALUE = "rpc-v2-cbor"
CONTENT_TYPE = "application/cbor"
# Smithy says servers SHOULD also accept the service's absolute (namespaced) name.
SERVICE_NAMES = frozenset(
    {"GraniteServiceVersion20100801", "com.amazonaws.cloudwatch.GraniteServiceVersion20100801"}
)
PATH = re.compile(r"/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)\Z")


def matches(request: AwsRequest) -> bool:
    """The dispatch test of §1.1, step 1."""
    header = (request.header(PROTOCOL_HEADER) or "").strip().lower()
    return header == PROTOCOL_VALUE and PATH.search(request.path) is not None


def _timestamp(value: Any, path: str) -> datetime:
    # cbor2 turns tag 1 (and tag 0) into aware datetimes itself; a bare number is read
    # as epoch seconds, which is what tag 1 would have wrapped.
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timestamp_from_epoch(value, path)
    raise invalid(value, path, "timestamp")


def _blob(value: Any, path: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise invalid(value, path, "blob")


def _tag1(moment: datetime | float) -> cbor2.CBORTag:
    seconds = epoch_seconds(moment)
    return cbor2.CBORTag(1, int(seconds) if seconds.is_integer() else seconds)


_READER = DocumentReader(
    timestamp=_timestamp,
    blob=_blob,
    is_absent=lambda value: value is None or value is cbor2.undefined,
)
# Non-finite doubles need no words here: CBOR encodes NaN and ±Infinity natively.
_WRITER = DocumentWriter(timestamp=_tag1, blob=bytes, double=float)


def parse(request: AwsRequest) -> ParsedCall:
    # §1.1: a CBOR request that also names a JSON target is malformed. Checked here, not in
    # detection, so the client still gets its error in the CBOR envelope it understands.
    if request.header("X-Amz-Target") is not None:
        raise SerializationException("A rpc-v2-cbor request must not carry X-Amz-Target.")
    found = PATH.search(request.path)
    if found is None or found["service"] not in SERVICE_NAMES:
        raise UnknownOperationException()
    operation = model.operation(found["operation"], NAME)
    document = _decode(request.payload)
    shape = operation.input_shape
    params = _READER.read_document(shape, document) if shape is not None else {}
    return ParsedCall(NAME, operation.name, params, sent_query_mode(request))


def _decode(payload: bytes) -> dict:
    # Smithy: servers must accept an empty body for operations without input members.
    if not payload:
        return {}
    stream = io.BytesIO(payload)
    try:
        # Text/bytes-only map keys keep crafted hash collisions out; indefinite lengths,
        # half floats and tag 1 are all decoded by cbor2 itself.
        document = cbor2.CBORDecoder(stream, strict_hashable_types=True).decode()
    except Exception:
        # cbor2 raises several types for bad bytes (CBORDecodeError, ValueError, ...);
        # whichever it is, the client sent something we cannot read.
        raise SerializationException("The request body is not valid CBOR.") from None
    if stream.tell() != len(payload):
        raise SerializationException("The request body has data after its CBOR map.")
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a CBOR map.")
    return document


def serialize_result(
    call: ParsedCall, result: dict | None, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    shape = model.operation(call.operation, NAME).output_shape
    if shape is None:
        # No output: no body and no Content-Type (§1.5).
        return 200, _headers(request_id, body=False), b""
    # Always a map, even `{}`: botocore's CBOR parser fails on an empty body.
    document = _WRITER.write_members(shape, result or {})
    return 200, _headers(request_id, body=True), cbor2.dumps(document)


def serialize_error(
    call_or_protocol: ParsedCall | str, error: CloudWatchError, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    query_mode = isinstance(call_or_protocol, ParsedCall) and call_or_protocol.query_mode
    headers = [
        *_headers(request_id, body=True),
        (QUERY_ERROR_HEADER, f"{error.code};{fault(error)}"),
    ]
    body = cbor2.dumps(error_document(error, _WRITER))
    return error_status(error, query_mode), headers, body


def _headers(request_id: str, *, body: bool) -> list[tuple[str, str]]:
    # Smithy clients treat a response without the matching protocol header as malformed.
    headers = [(PROTOCOL_HEADER, PROTOCOL_VALUE), (REQUEST_ID_HEADER, request_id)]
    if body:
        headers.append(("Content-Type", CONTENT_TYPE))
    return headers
