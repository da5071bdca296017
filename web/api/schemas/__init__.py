"""marshmallow building blocks for the REST APIs, and their JSON Schema for the OpenAPI document.

Schemas deal with shape only: JSON types, enums, unknown members, what a body may hold.
What a value *means* (a period that is not a multiple of 60, an unknown statistic) is the
services' to say, with the same words the CloudWatch endpoint uses.

The shape rules here are strict on purpose. JSON gives a client more freedom than our storage
and the shared validation expect: `true` where a number belongs, integers past 64 bits,
strings with NUL or lone surrogates (which no database driver accepts), datetimes whose UTC
conversion overflows. Each of those is refused here as a shape error, so a request that
reaches a service has the types the CloudWatch protocol layer would have given it.

`json_schema()` turns a schema into the JSON Schema (Swagger 2.0 dialect: `x-nullable`, no
`oneOf`) that flask-restx publishes, so the document and the validation cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# Datetimes are kept within years whose arithmetic (buckets, retention windows) cannot
# overflow Python's datetime range.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class StrictSchema(Schema):
    """Unknown members are refused (marshmallow's default, stated so no subclass relaxes it)."""

    class Meta:
        unknown = RAISE


class Text(fields.String):
    """A string every store can hold: no NUL, no lone surrogate."""

    default_error_messages = {
        "nul": "Must not contain NUL characters.",
        "unicode": "Must be valid Unicode text.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise self.make_error("unicode") from exc
        return text


class Int(fields.Integer):
    """A JSON integer (not a float, not a boolean) within 32 bits unless narrowed."""

    def __init__(
        self, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX, **kwargs: Any
    ) -> None:
        super().__init__(strict=True, validate=validate.Range(minimum, maximum), **kwargs)


class Number(fields.Float):
    """A finite JSON number (integers too, but not booleans or numeric strings)."""

    default_error_messages = {"invalid": "Not a valid number."}

    def _validated(self, value: Any) -> float:
        if isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Bool(fields.Boolean):
    """A JSON boolean only: `1` and `"yes"` are not booleans in a JSON body."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={True}, falsy={False}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class QueryBool(fields.Boolean):
    """A boolean in a query string: `true` or `false`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


class QueryInt(fields.Integer):
    """An integer in a query string (digits, optionally signed), within 32 bits."""

    def __init__(
        self, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX, **kwargs: Any
    ) -> None:
        super().__init__(validate=validate.Range(minimum, maximum), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value).strip()
        if not text.lstrip("+-").isdigit() or not text.isascii() or len(text) > 12:
            raise self.make_error("invalid", input=value)
        return int(text)


class UtcDateTime(fields.DateTime):
    """An ISO 8601 datetime, returned in UTC; one without an offset is taken to be UTC."""

    default_error_messages = {"range": "Must be between 1970-01-01 and 9000-01-01 (UTC)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type="datetime")
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = (
                moment.replace(tzinfo=dt.UTC)
                if moment.tzinfo is None
                else moment.astimezone(dt.UTC)
            )
        except OverflowError as exc:
            raise self.make_error("range") from exc
        if not EARLIEST <= moment < LATEST:
            raise self.make_error("range")
        return moment

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def field_messages(error: ValidationError) -> dict[str, Any]:
    """marshmallow's messages keyed by field (a bare list when the whole input was wrong)."""
    messages = error.messages
    if isinstance(messages, Mapping):
        return dict(messages)
    return {"_schema": messages}


def summarise(messages: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`field.sub: message` lines for an error body's explanation."""
    lines: list[str] = []
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or str(key))
        if isinstance(value, Mapping):
            lines += summarise(value, path)
        elif isinstance(value, list):
            lines += [f"{path}: {item}" for item in value if not isinstance(item, Mapping)]
            for item in value:
                if isinstance(item, Mapping):
                    lines += summarise(item, path)
        else:
            lines.append(f"{path}: {value}")
    return lines


# --- JSON Schema (Swagger 2.0 dialect) --------------------------------------------------------


def json_schema(schema: Schema, *, mode: str = "load") -> dict[str, Any]:
    """The JSON Schema of a schema as loaded (`load`) or as dumped (`dump`)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema.fields.items():
        if (mode == "load" and field.dump_only) or (mode == "dump" and field.load_only):
            continue
        key = field.data_key or name
        properties[key] = field_schema(field, mode=mode)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    description = (schema.__doc__ or "").strip()
    if description:
        out["description"] = description.split("\n\n")[0].replace("\n", " ")
    return out


def field_schema(field: fields.Field, *, mode: str = "load") -> dict[str, Any]:
    out = _type_schema(field, mode)
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            out["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Range):
            if validator.min is not None:
                out["minimum"] = validator.min
            if validator.max is not None:
                out["maximum"] = validator.max
        elif isinstance(validator, validate.Length):
            low, high = (
                ("minItems", "maxItems")
                if out.get("type") == "array"
                else ("minLength", "maxLength")
            )
            if validator.equal is not None:
                out[low] = out[high] = validator.equal
            if validator.min is not None:
                out[low] = validator.min
            if validator.max is not None:
                out[high] = validator.max
    if field.allow_none:
        out["x-nullable"] = True
    description = field.metadata.get("description")
    if description:
        out["description"] = description
    example = field.metadata.get("example")
    if example is not None:
        out["example"] = example
    return out


def _type_schema(field: fields.Field, mode: str) -> dict[str, Any]:
    if isinstance(field, fields.Nested):
        nested = field.schema
        if field.many:
            return {"type": "array", "items": json_schema(nested, mode=mode)}
        return json_schema(nested, mode=mode)
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner, mode=mode)}
    if isinstance(field, fields.Dict):
        out: dict[str, Any] = {"type": "object"}
        if field.value_field is not None:
            out["additionalProperties"] = field_schema(field.value_field, mode=mode)
        return out
    if isinstance(field, fields.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, fields.Float):
        return {"type": "number"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    return {}  # fields.Raw: any JSON value


def query_parameters(schema: Schema) -> dict[str, dict[str, Any]]:
    """Swagger 2.0 `in: query` parameters for a query-string schema (lists repeat the name)."""
    params: dict[str, dict[str, Any]] = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        spec = field_schema(field)
        spec.pop("x-nullable", None)
        param: dict[str, Any] = {"in": "query", "required": bool(field.required), **spec}
        if spec.get("type") == "array":
            param["collectionFormat"] = "multi"
        params[key] = param
    return params
