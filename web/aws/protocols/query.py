"""awsQuery: form-encoded requests, XML responses. cloudwatch-api.md §1.2 and §1.3.

A request is a flat set of dotted keys (`MetricData.member.2.Dimensions.member.1.Name`).
They are first folded into a tree by their dots, then read by walking the operation's
input shape, so list order comes from the member numbers and never from key order.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.model import Shape

from web.aws import model
from web.aws.errors import (
    CloudWatchError,
    InvalidParameterValue,
    MalformedQueryString,
    MissingAction,
)
from web.aws.protocols.common import (
    REQUEST_ID_HEADER,
    ParsedCall,
    boolean_from_text,
    double_from_text,
    fault,
    finite_or_word,
    integer_from_text,
    invalid,
    iso8601,
    timestamp_from_text,
)
from web.aws.request import AwsRequest

NAME = "query"
XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
CONTENT_TYPE = "text/xml"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# --- Requests ---


@dataclass
class _Node:
    """One dotted segment: `value` is set when a key ends here, `children` when it goes on."""

    value: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)


def parse(request: AwsRequest) -> ParsedCall:
    fields = _fields(request)
    # `Operation=` is the older spelling AWS still honours (§1.2).
    name = fields.get("Action") or fields.get("Operation")
    if not name:
        raise MissingAction("The request must contain the parameter Action.")
    operation = model.operation(name, NAME)
    shape = operation.input_shape
    # Action, Version and SigV4 presign parameters are not input members, so the
    # shape walk below skips them without a list of names to ignore.
    params = _read_members(shape, _fold(fields), "") if shape is not None else {}
    # awsQuery errors always use their modelled statuses.
    return ParsedCall(NAME, operation.name, params, query_mode=True)


def _fields(request: AwsRequest) -> dict[str, str]:
    """Parameters from the URL query string, then the form body (a later key wins)."""
    sources = [request.query_string]
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type in ("", FORM_CONTENT_TYPE):
        sources.append(request.payload)
    fields: dict[str, str] = {}
    for source in sources:
        try:
            text = source.decode("utf-8") if isinstance(source, bytes) else source
            fields.update(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError:
            raise MalformedQueryString("The request parameters are not valid UTF-8.") from None
    return fields


def _fold(fields: dict[str, str]) -> _Node:
    root = _Node()
    for key, value in fields.items():
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = value
    return root


def _read_members(shape: Shape, node: _Node, prefix: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        child = node.children.get(member.serialization.get("name", name))
        if child is not None:
            params[name] = _read(member, child, f"{prefix}{name}")
    return params


def _read(shape: Shape, node: _Node, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _read_members(shape, node, f"{path}.")
    if kind == "list":
        # No CloudWatch list is flattened; only the item name could differ from `member`.
        item = shape.member.serialization.get("name", "member")
        return [
            _read(shape.member, child, f"{path}.{item}.{n}")
            for n, child in _numbered(node, item, path)
        ]
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        parsed = {}
        for n, entry in _numbered(node, "entry", path):
            key, value = entry.children.get(key_name), entry.children.get(value_name)
            entry_path = f"{path}.entry.{n}"
            if key is None or value is None:
                raise InvalidParameterValue(
                    f"The parameter {entry_path} must have both a {key_name} and a {value_name}."
                )
            parsed[_read(shape.key, key, f"{entry_path}.{key_name}")] = _read(
                shape.value, value, f"{entry_path}.{value_name}"
            )
        return parsed
    return _scalar(kind, node.value, path)


def _numbered(node: _Node, item: str, path: str) -> list[tuple[int, _Node]]:
    """`path.item.N` children sorted by N; a bare `path=` is the empty collection."""
    items = node.children.get(item)
    if items is None:
        if node.value == "" and not node.children:
            return []
        raise InvalidParameterValue(f"The parameter {path} must be sent as {path}.{item}.N.")
    numbered = []
    for index, child in items.children.items():
        if not (index.isascii() and index.isdigit()):
            raise invalid(index, f"{path}.{item}", "member index")
        numbered.append((int(index), child))
    # Numeric order, gaps allowed: clients must not depend on contiguous numbering.
    return sorted(numbered, key=lambda pair: pair[0])


def _scalar(kind: str, text: str | None, path: str) -> Any:
    if text is None:
        # Only deeper keys were sent (`Period.x=1`): there is no value to read.
        raise invalid("", path, kind)
    if kind in ("integer", "long"):
        return integer_from_text(text, path)
    if kind in ("double", "float"):
        return double_from_text(text, path)
    if kind == "boolean":
        return boolean_from_text(text, path)
    if kind == "timestamp":
        return timestamp_from_text(text, path)
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:
            raise invalid(text, path, "base64 blob") from None
    return text


# --- Responses ---


def serialize_result(
    call: ParsedCall, result: dict | None, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    operation = call.operation
    shape = model.operation(operation, NAME).output_shape
    parts = [f'<{operation}Response xmlns="{XMLNS}">']
    # The Result element is written for every output shape, even a memberless one:
    # botocore looks up the resultWrapper element and fails when it is missing.
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation}Result")
        parts.append(_element(wrapper, _members(shape, result or {})))
    parts.append(_element("ResponseMetadata", _element("RequestId", _text(request_id))))
    parts.append(f"</{operation}Response>")
    return 200, _headers(request_id), "".join(parts).encode("utf-8")


def serialize_error(
    call_or_protocol: ParsedCall | str, error: CloudWatchError, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    inner = _element("Type", fault(error)) + _element("Code", _text(error.code))
    # AWS omits Message when there is none (ResourceNotFound from SetAlarmState).
    if error.message:
        inner += _element("Message", _text(error.message))
    shape = model.error_shape(error.shape)
    if shape is not None:
        inner += _members(shape, error.members)
    else:
        inner += "".join(_element(k, _text(str(v))) for k, v in error.members.items())
    body = (
        f'<ErrorResponse xmlns="{XMLNS}">'
        + _element("Error", inner)
        + _element("RequestId", _text(request_id))  # a sibling of Error, not inside it
        + "</ErrorResponse>"
    )
    # awsQuery always answers with the error's own status: there is no query-mode switch.
    return error.status, _headers(request_id), body.encode("utf-8")


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [("Content-Type", CONTENT_TYPE), (REQUEST_ID_HEADER, request_id)]


def _members(shape: Shape, value: dict[str, Any]) -> str:
    # Keys the shape does not know are left out: handlers may return richer records.
    return "".join(
        _element(member.serialization.get("name", name), _value(member, value[name]))
        for name, member in shape.members.items()
        if value.get(name) is not None
    )


def _value(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        return _members(shape, value)
    if kind == "list":
        item = shape.member.serialization.get("name", "member")
        return "".join(_element(item, _value(shape.member, v)) for v in value)
    if kind == "map":
        return "".join(
            _element(
                "entry",
                _element("key", _value(shape.key, k)) + _element("value", _value(shape.value, v)),
            )
            for k, v in value.items()
        )
    if kind in ("double", "float"):
        # repr-style text (1.5, 1e-07), and botocore's words for non-finite values.
        return str(finite_or_word(float(value)))
    if kind in ("integer", "long"):
        return str(int(value))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return iso8601(value)
    if kind == "blob":
        return base64.b64encode(bytes(value)).decode("ascii")
    return _text(str(value))


def _text(text: str) -> str:
    # A literal CR would be normalised to LF by any XML parser; a character reference
    # survives, so dashboard bodies and descriptions come back byte for byte.
    return escape(text, {"\r": "&#13;"})


def _element(name: str, inner: str) -> str:
    # Empty collections are written as `<Name/>`, as AWS does (`<CompositeAlarms/>`).
    return f"<{name}>{inner}</{name}>" if inner else f"<{name}/>"
