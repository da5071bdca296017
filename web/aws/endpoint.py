"""The CloudWatch endpoint: one Flask view for all three wire protocols.

Per request: view the raw request → pick the protocol → undo gzip → verify SigV4 (over the
bytes as received) → parse → run the operation's handler → serialize, in the request's
protocol. Every failure leaves as an AWS-shaped error in that protocol; an unexpected one is
InternalFailure, logged once with the request id, never a trace to the client.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from urllib.parse import parse_qsl

from flask import Blueprint, Response, g, request

from config import logging as hw_logging
from models.errors import DomainError
from web.aws import alarms, cloudwatch, errors, resources, widget_images
from web.aws.authentication import authenticate, authorize
from web.aws.domain_errors import map_domain_error
from web.aws.protocols import PROTOCOLS, ParsedCall, detect_protocol
from web.aws.request import AwsRequest, headers_from_environ, path_as_sent

log = logging.getLogger("heatwatch.aws")

HANDLERS = {
    **cloudwatch.HANDLERS,
    **alarms.HANDLERS,
    **resources.HANDLERS,
    **widget_images.HANDLERS,
}

blueprint = Blueprint("cloudwatch", __name__)

# CloudWatch's request limit (§3.1), applied to the body after decompression (§1.7), with a
# little room for the envelope. A bigger body is refused before parsing, never buffered twice.
MAX_DECODED_BODY = 1024 * 1024 + 64 * 1024


class RequestEntityTooLarge(errors.SenderError):
    code = shape = "RequestEntityTooLarge"
    status = 413


def _aws_request() -> AwsRequest:
    # Read from the WSGI environ once: each `request.x` goes through Flask's context proxy.
    environ = request.environ
    return AwsRequest(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=path_as_sent(environ),
        query_string=environ.get("QUERY_STRING", ""),
        headers=headers_from_environ(environ),
        body=request.get_data(cache=False),
        request_id=g.request_id,
    )


def _decode_body(aws_request: AwsRequest) -> AwsRequest:
    encoding = (aws_request.header("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        decoded = aws_request.body
    elif encoding == "gzip":
        try:
            # Bounded decompression: a small gzip bomb must not become a huge buffer.
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            decoded = decompressor.decompress(aws_request.body, MAX_DECODED_BODY + 1)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise errors.SerializationException("The gzip request body could not be read.") from exc
    else:
        raise errors.InvalidParameterValue(f"Unsupported Content-Encoding: {encoding}.")
    if len(decoded) > MAX_DECODED_BODY:
        raise RequestEntityTooLarge("The request body is larger than the 1 MB limit.")
    if decoded is aws_request.body:
        return aws_request  # nothing to undo: the same request, its header index kept
    return AwsRequest(
        method=aws_request.method,
        path=aws_request.path,
        query_string=aws_request.query_string,
        headers=aws_request.headers,
        body=aws_request.body,
        decoded_body=decoded,
        request_id=aws_request.request_id,
    )


def _form_params(aws_request: AwsRequest) -> list[tuple[str, str]]:
    content_type = (aws_request.header("Content-Type") or "").lower()
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return []
    return parse_qsl(aws_request.payload.decode("utf-8", "replace"), keep_blank_values=True)


def _respond(status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
    response = Response(body, status=status)
    response.headers.pop("Content-Type", None)
    for name, value in headers:
        response.headers[name] = value
    return response


def _dispatch(protocol: str, aws_request: AwsRequest) -> tuple[ParsedCall, dict | None]:
    codec = PROTOCOLS[protocol]
    aws_request = _decode_body(aws_request)
    principal = authenticate(aws_request, _form_params(aws_request))
    g.principal = principal
    hw_logging.bind(tenant_id=principal.tenant_id, access_key_id=principal.access_key_id)
    call = codec.parse(aws_request)
    g.aws_call = call
    hw_logging.bind(operation=call.operation, protocol=protocol)
    authorize(principal, call.operation)
    handler = HANDLERS.get(call.operation)
    if handler is None:
        raise _not_implemented(protocol, call.operation)
    return call, handler(principal, call.params)


def _not_implemented(protocol: str, operation: str) -> errors.CloudWatchError:
    message = f"The operation {operation} is not supported by this endpoint yet."
    if protocol == "query":
        return errors.InvalidAction(message)
    return errors.UnknownOperationException(message)


@blueprint.route("/", methods=["GET", "POST"])
@blueprint.route("/v1/", methods=["GET", "POST"])  # heat-cfntools' boto 2 client posts here
@blueprint.route("/service/<path:_service>/operation/<_operation>", methods=["POST"])
def cloudwatch(_service: str | None = None, _operation: str | None = None) -> Response:
    aws_request = _aws_request()
    protocol = detect_protocol(aws_request)
    codec = PROTOCOLS[protocol]
    try:
        call, result = _dispatch(protocol, aws_request)
        status, headers, body = codec.serialize_result(call, result, g.request_id)
        return _respond(status, [*headers, *g.get("aws_response_headers", ())], body)
    except errors.CloudWatchError as error:
        failure = error
    except DomainError as error:
        call = g.get("aws_call")
        failure = map_domain_error(error, call.operation if call is not None else None)
    except Exception:
        log.exception("unexpected failure in a CloudWatch operation")
        failure = errors.InternalFailure()
    log.info("cloudwatch error", extra={"code": failure.code, "error_message": failure.message})
    return _respond(*codec.serialize_error(g.get("aws_call") or protocol, failure, g.request_id))
