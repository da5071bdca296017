"""JSON errors of the REST APIs, and the one mapping from domain errors to HTTP statuses.

The body is Heat's error shape, which python-heatclient reads, plus the request id:
    {"code": 404, "title": "Not Found", "explanation": "...",
     "error": {"type": "NotFound", "message": "...", "traceback": null},
     "request_id": "req-..."}
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from models import errors as domain

log = logging.getLogger("heatwatch.web")


class HttpError(Exception):
    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


DOMAIN_STATUS: tuple[tuple[type[domain.DomainError], int], ...] = (
    (domain.NotFoundError, 404),
    (domain.OperationInProgressError, 409),
    (domain.ConflictError, 409),
    (domain.InvalidInputError, 400),
    (domain.AuthenticationError, 401),
    (domain.PermissionDeniedError, 403),
)

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_response(status: int, message: str, error_type: str | None = None) -> Response:
    title = TITLES.get(status, "Error")
    body = {
        "code": status,
        "title": title,
        "explanation": message,
        "error": {
            "type": error_type or title.replace(" ", ""),
            "message": message,
            "traceback": None,
        },
        "request_id": g.get("request_id_header"),
    }
    response = jsonify(body)
    response.status_code = status
    return response


def from_domain(exc: domain.DomainError) -> Response:
    for error_class, status in DOMAIN_STATUS:
        if isinstance(exc, error_class):
            return error_response(status, exc.message, type(exc).__name__.removesuffix("Error"))
    return error_response(500, "internal error")


def _http_exception(exc: HTTPException) -> Response:
    return error_response(exc.code or 500, exc.description or exc.name)


def _http_error(exc: HttpError) -> Response:
    return error_response(exc.status, exc.message, exc.error_type)


def _unexpected(exc: Exception) -> Response:
    # Logged once, here, with the request id bound; the client never sees a trace.
    log.exception("unhandled error")
    return error_response(500, "The server failed to process the request.", "InternalError")


def register(app: Flask) -> None:
    app.register_error_handler(HttpError, _http_error)
    app.register_error_handler(domain.DomainError, from_domain)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, _unexpected)
