"""HTTP to the stack service: SigV4-signed requests, error classification and retries.

Decisions:
- Requests are signed with botocore's `SigV4Auth` on an `AWSRequest` and sent with
  `requests`; the headers botocore computed (Authorization, X-Amz-Date, Host) are sent as
  they are, so the server checks exactly what was signed.
- Errors fall in two kinds. Transient: the server could not be reached, timed out, answered
  5xx or 429; retrying may help. Permanent: any other 4xx (bad key, unknown stack, bad
  body); retrying only repeats it, so we never do. 401/403 get their own message because
  the fix (credentials) is not where the symptom shows.
- Retries back off exponentially from `delay` (doubling, at most 60 s between attempts) and
  honour a numeric Retry-After on 429/503 within the same cap.
- Every request has a timeout (5 s to connect, 30 s to read): a tool run from cron must not
  hang forever on a dead server.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from instance_tools._cli import ToolError
from instance_tools._instance import Credentials

LOG = logging.getLogger(__name__)

TIMEOUT = (5.0, 30.0)
MAX_RETRY_DELAY = 60.0
HEAT_SERVICE = "cloudformation"

T = TypeVar("T")


class ApiError(ToolError):
    """A request that failed; `transient` says whether trying again may succeed."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status is None or self.status >= 500 or self.status == 429


def check_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL with a host, else a ToolError saying why."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError(f"invalid URL {url!r}: expected http://host/... or https://host/...")
    try:
        parts.port  # noqa: B018 - a non-numeric port only shows up when it is read
    except ValueError:
        raise ToolError(f"invalid URL {url!r}: bad port") from None
    return url


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    verify: bool = True,
) -> requests.Response:
    """One HTTP request; unreachable servers become a transient ApiError."""
    try:
        return requests.request(
            method, url, data=body, headers=dict(headers or {}), timeout=TIMEOUT, verify=verify
        )
    except requests.RequestException as exc:
        raise ApiError(f"cannot reach {_origin(url)}: {_short_reason(exc)}") from None


def signed_request(
    method: str,
    url: str,
    credentials: Credentials,
    region: str,
    service: str = HEAT_SERVICE,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    verify: bool = True,
) -> requests.Response:
    request = AWSRequest(method=method, url=url, data=body or b"", headers=dict(headers or {}))
    signer = SigV4Auth(
        BotocoreCredentials(credentials.access_key, credentials.secret_key), service, region
    )
    signer.add_auth(request)
    return send(method, url, body=body, headers=dict(request.headers.items()), verify=verify)


def check_response(response: requests.Response, what: str) -> requests.Response:
    """`response` when it is a 2xx; otherwise an ApiError that says what went wrong."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    detail = _error_detail(response)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        message = f"{what}: the server rejected our credentials (HTTP {status}){suffix}"
    elif status == 404:
        message = f"{what}: not found (HTTP 404){suffix}"
    else:
        message = f"{what}: HTTP {status}{suffix}"
    raise ApiError(message, status=status, retry_after=_retry_after(response))


def json_body(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ApiError(
            f"{what}: the server's answer is not JSON", status=response.status_code
        ) from None


def with_retries(
    call: Callable[[], T],
    retries: int,
    delay: float,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`call()`, tried again up to `retries` times while it fails with a transient ApiError."""
    attempt = 0
    while True:
        try:
            return call()
        except ApiError as exc:
            if not exc.transient or attempt >= retries:
                raise
            wait = min(max(delay * 2**attempt, exc.retry_after or 0.0), MAX_RETRY_DELAY)
            attempt += 1
            LOG.warning("%s; retry %d of %d in %.1f s", exc, attempt, retries, wait)
            sleep(wait)


@dataclass(frozen=True)
class StackApi:
    """The resource endpoints of one stack on the heat API, signed with the instance's key."""

    heat_url: str
    tenant_id: str
    stack_name: str
    stack_id: str
    region: str
    credentials: Credentials
    verify: bool = True

    def resource_url(self, resource: str, leaf: str) -> str:
        parts = [self.tenant_id, "stacks", self.stack_name, self.stack_id, "resources", resource]
        path = "/".join(quote(part, safe="") for part in parts)
        return f"{self.heat_url.rstrip('/')}/v1/{path}/{leaf}"

    def _get(self, resource: str, leaf: str, what: str) -> requests.Response:
        url = self.resource_url(resource, leaf)
        response = signed_request("GET", url, self.credentials, self.region, verify=self.verify)
        return check_response(response, what)

    def metadata(self, resource: str) -> dict[str, Any]:
        what = f"metadata of {resource!r} in stack {self.stack_name!r}"
        body = json_body(self._get(resource, "metadata", what), what)
        metadata = body.get("metadata") if isinstance(body, dict) else None
        if not isinstance(metadata, dict):
            raise ApiError(f"{what}: the answer has no 'metadata' object")
        return metadata

    def new_credentials(self, resource: str) -> Credentials | None:
        """The key waiting to replace ours (200), or None when there is none (204)."""
        what = f"credentials of {resource!r} in stack {self.stack_name!r}"
        response = self._get(resource, "credentials", what)
        if response.status_code == 204 or not response.content:
            return None
        body = json_body(response, what)
        access = body.get("AccessKeyId") if isinstance(body, dict) else None
        secret = body.get("SecretAccessKey") if isinstance(body, dict) else None
        if not isinstance(access, str) or not isinstance(secret, str) or not access or not secret:
            raise ApiError(f"{what}: the answer lacks AccessKeyId or SecretAccessKey")
        return Credentials(access, secret)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _short_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed (is the server up?)"
    return type(exc).__name__


def _error_detail(response: requests.Response) -> str:
    """The server's own words, from a JSON `message`/`error` or the start of the text."""
    text = response.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(body, dict):
        for key in ("message", "Message", "error", "Error"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("Message")
            if isinstance(value, str) and value:
                return value[:200]
    return text[:200]


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
