"""HTTP plumbing of the watch REST API: errors, bodies, query strings, the OpenAPI decorator.

The namespaces (alarms.py, metrics.py, dashboards.py) use only what is here to talk HTTP:
`json_body()` / `load()` / `query_args()` to read a request through a marshmallow schema,
`dump()` / `no_content()` / `png_response()` to answer, `http_error()` / `DetailedError` to
refuse, and `documented()` to put an operation in the OpenAPI document. `install(api)` wires
the error handlers into the blueprint that carries the API.

Which failure gets which status is decided in the package docstring (web/api/watch/__init__.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_restx import Api, Namespace
from flask_restx import fields as restx_fields
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import MethodNotAllowed

from models.watch.alarms import Deployment
from web.api.errors import TITLES, error_response
from web.api.schemas import field_messages, json_schema, query_parameters, summarise
from web.api.schemas import watches as schemas
from web.context import web_context

# CloudWatch's request limit (§3.1), with room for the JSON around the datapoints.
MAX_BODY_BYTES = 1024 * 1024 + 64 * 1024
READ_ERRORS = (401, 403, 422)
WRITE_ERRORS = (400, 401, 403, 413, 415, 422)
JSON = "application/json"
PNG = "image/png"


# --- Errors -------------------------------------------------------------------------------------


class DetailedError(Exception):
    """An HTTP error whose body carries more than the message (validation details)."""

    def __init__(self, status: int, message: str, error_type: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.details = details


def http_error(status: int, message: str, error_type: str | None = None) -> DetailedError:
    return DetailedError(status, message, error_type or TITLES[status].replace(" ", ""))


def detailed_response(exc: DetailedError) -> Response:
    response = error_response(exc.status, exc.message, exc.error_type)
    body = response.get_json()
    body["error"].update(_string_keys(exc.details))
    response.set_data(json.dumps(body))
    return response


def _string_keys(value: Any) -> Any:
    # marshmallow keys list items by index; JSON keys are strings (and must sort together).
    if isinstance(value, Mapping):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


def schema_error(exc: ValidationError) -> Response:
    messages = field_messages(exc)
    summary = "; ".join(summarise(messages)) or "The request does not have the expected shape."
    return detailed_response(DetailedError(422, summary, "ValidationError", fields=messages))


def handle_error(exc: Exception) -> Response:
    """flask-restx catches errors before Flask does; hand them to our JSON handlers
    (heat_v1's `errors_as_ours`), except 405, whose Allow header those handlers drop."""
    if isinstance(exc, MethodNotAllowed):
        response = error_response(405, exc.description or "Method not allowed.")
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return response
    raise exc


def limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


def install(api: Api) -> None:
    """Our error bodies and the body size limit, on the API and the blueprint it is on."""
    api.handle_error = handle_error  # type: ignore[method-assign]
    blueprint = api.blueprint
    blueprint.register_error_handler(ValidationError, schema_error)
    blueprint.register_error_handler(DetailedError, detailed_response)
    blueprint.before_request(limit_body)


# --- Requests and responses ---------------------------------------------------------------------


def json_body() -> Any:
    if not request.is_json:
        raise http_error(415, "Send the body as JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if body is None:
        raise http_error(400, "The request body is not valid JSON.")
    return body


def load(schema_class: type[Schema], data: Any) -> Any:
    return schema_class().load(data)


def query_args(schema_class: type[Schema]) -> dict[str, Any]:
    """The query string loaded by a schema: list fields take every value of a repeated name."""
    schema = schema_class()
    raw: dict[str, Any] = {}
    for key in request.args:
        many = isinstance(schema.fields.get(key), fields.List)
        raw[key] = request.args.getlist(key) if many else request.args.get(key)
    return schema.load(raw)  # type: ignore[no-any-return]


def dump(schema_class: type[Schema], view: Any) -> Any:
    return schema_class().dump(view)


def no_content() -> Response:
    # No body, but the document's one media type rather than Flask's default text/html.
    return Response(status=204, mimetype=JSON)


def png_response(png: bytes) -> Response:
    # Drawn from live data for "now" unless both ends are given: never cached as such.
    response = Response(png, mimetype=PNG)
    response.headers["Cache-Control"] = "no-store"
    return response


def now() -> datetime:
    return datetime.now(UTC)


def deployment() -> Deployment:
    return Deployment(region=web_context().settings.region)


# --- OpenAPI documentation ----------------------------------------------------------------------

# One model object per name, registered with every namespace that uses it (add_namespace
# copies a namespace's models into the API's document).
_models: dict[str, Any] = {}


class PngFile(restx_fields.Raw):
    """A binary response body (Swagger 2.0's `type: file`), here a PNG image."""

    __schema_type__ = "file"


def model(
    ns: Namespace, schema_class: type[Schema], mode: str = "dump", name: str | None = None
) -> Any:
    name = name or schema_class.__name__.removesuffix("Schema")
    if name not in _models:
        _models[name] = ns.schema_model(name, json_schema(schema_class(), mode=mode))
    elif name not in ns.models:
        ns.add_model(name, _models[name])
    return _models[name]


def documented(
    ns: Namespace,
    *,
    ok: tuple[int, str, type[Schema] | None] | list[tuple[int, str, type[Schema] | None]],
    errors: tuple[int, ...],
    query: type[Schema] | None = None,
    body: tuple[str, type[Schema]] | None = None,
    png: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document an operation: its query parameters, body, answers and error answers.

    With `png`, the successful answer is a PNG image (`ok`'s schema is left out) and the
    errors stay JSON: Swagger 2.0 gives one `produces` list per operation, not per answer."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if query is not None:
            func = ns.doc(params=query_parameters(query()))(func)
        if body is not None:
            func = ns.expect(model(ns, body[1], "load", body[0]))(func)
        for status, description, schema in ok if isinstance(ok, list) else [ok]:
            answer = PngFile() if png else model(ns, schema) if schema else None
            func = ns.response(status, description, answer)(func)
        for code in sorted(set(errors)):
            func = ns.response(code, TITLES[code], model(ns, schemas.ErrorSchema))(func)
        if png:
            func = ns.doc(produces=[PNG, JSON])(func)
        return func

    return decorate
