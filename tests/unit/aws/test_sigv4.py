"""SigV4 verification against requests signed by real botocore, and AWS's published vectors.

Signing goes through botocore's own `SigV4Auth` / `SigV4QueryAuth` (directly, or inside a
real CloudWatch client whose `before-send` hook captures the wire request), so a pass
here means the verifier accepts what the SDK actually sends.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.serialize import create_serializer

from web.aws import sigv4
from web.aws.errors import (
    CloudWatchError,
    IncompleteSignature,
    InvalidClientTokenId,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)
from web.aws.request import AwsRequest
from web.aws.sigv4 import VerifiedCredential, verify_request

pytestmark = pytest.mark.unit

ACCESS_KEY = "AKIDHEATWATCH"
SECRET = "heatwatch/secret+key"
TOKEN = "FwoGZXIvYXdzE/session+token=="
REGION = "us-east-1"
ENDPOINT = "https://monitoring.us-east-1.amazonaws.com"
SIGNED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
AMZ_DATE = "20260102T030405Z"
MISMATCH = "signature we calculated does not match"


def lookup_secret(access_key_id: str) -> str | None:
    return {ACCESS_KEY: SECRET}.get(access_key_id)


def verify(request: AwsRequest, **options: object) -> VerifiedCredential:
    options.setdefault("now", SIGNED_AT)
    return verify_request(request, lookup_secret, **options)  # type: ignore[arg-type]


def refused(request: AwsRequest, error: type[CloudWatchError], **options: object) -> str:
    """Verify, expect `error` exactly, and return its message for the caller to inspect."""
    with pytest.raises(CloudWatchError) as caught:
        verify(request, **options)
    assert type(caught.value) is error, caught.value.message
    return caught.value.message


# --- turning botocore's requests into what our server receives ---------------------------


def host_header(url: str) -> str:
    """The Host header an HTTP client sends: the port only when it isn't the default."""
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname or ""
    return host if parts.port in (None, default_port) else f"{host}:{parts.port}"


def as_received(prepared: AWSPreparedRequest) -> AwsRequest:
    headers = [
        (name, value.decode("latin-1") if isinstance(value, bytes) else value)
        for name, value in prepared.headers.items()
    ]
    # botocore signs a host derived from the URL and leaves the header to urllib3.
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", host_header(prepared.url)))
    body = prepared.body or b""
    parts = urlsplit(prepared.url)
    return AwsRequest(
        method=prepared.method,
        path=parts.path or "/",
        query_string=parts.query,
        headers=tuple(headers),
        body=body.encode() if isinstance(body, str) else body,
    )


def with_headers(request: AwsRequest, **changes: str | None) -> AwsRequest:
    """Replace (or with None, drop) headers by case-insensitive name, keeping the rest."""
    wanted = {name.lower().replace("_", "-"): value for name, value in changes.items()}
    kept = [(n, v) for n, v in request.headers if n.lower() not in wanted]
    added = [(name, value) for name, value in wanted.items() if value is not None]
    return AwsRequest(
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=(*kept, *added),
        body=request.body,
    )


def replace_request(request: AwsRequest, **changes: object) -> AwsRequest:
    fields = {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "headers": request.headers,
        "body": request.body,
    }
    return AwsRequest(**{**fields, **changes})  # type: ignore[arg-type]


def signer_clock(at: datetime) -> AbstractContextManager[object]:
    return mock.patch.object(botocore.auth, "get_current_datetime", return_value=at)


def sign_request_for_tests(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | Mapping[str, str] = b"",
    params: Mapping[str, str] | None = None,
    token: str | None = None,
    secret: str = SECRET,
    region: str = REGION,
    service: str = "monitoring",
    at: datetime = SIGNED_AT,
) -> AwsRequest:
    """Sign with botocore's SigV4Auth, as a client would, and return what the server sees."""
    request = AWSRequest(
        method=method, url=url, headers=dict(headers or {}), data=body, params=params or {}
    )
    with signer_clock(at):
        SigV4Auth(Credentials(ACCESS_KEY, secret, token), service, region).add_auth(request)
    return as_received(request.prepare())


def presign_for_tests(
    url: str,
    *,
    method: str = "GET",
    expires: int = 300,
    token: str | None = None,
    at: datetime = SIGNED_AT,
) -> AwsRequest:
    request = AWSRequest(method=method, url=url)
    with signer_clock(at):
        signer = SigV4QueryAuth(
            Credentials(ACCESS_KEY, SECRET, token), "monitoring", REGION, expires
        )
        signer.add_auth(request)
    return as_received(request.prepare())


# --- a real CloudWatch client, captured at the wire --------------------------------------


class _EmptyBody:
    def stream(self, **_: object) -> Iterator[bytes]:
        yield b"{}"


@pytest.fixture(scope="module")
def botocore_session() -> botocore.session.Session:
    # One session per module: it caches the loaded CloudWatch model between clients.
    return botocore.session.Session()


# (endpoint=, token=, protocol=) -> a CloudWatch client and the list its requests land in.
MakeClient = Callable[..., tuple[Any, list[AwsRequest]]]


@pytest.fixture
def cloudwatch(
    botocore_session: botocore.session.Session, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeClient]:
    """Build a client whose calls return the signed request instead of sending it."""
    monkeypatch.delenv("AWS_DISABLE_REQUEST_COMPRESSION", raising=False)

    def make(
        *, endpoint: str = ENDPOINT, token: str | None = None, protocol: str | None = None
    ) -> tuple[Any, list[AwsRequest]]:
        client = botocore_session.create_client(
            "cloudwatch",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET,
            aws_session_token=token,
            config=Config(retries={"max_attempts": 1}, request_min_compression_size_bytes=10240),
        )
        if protocol is not None:
            # botocore 1.44.8 always picks JSON; older SDKs and agents still send query.
            client._serializer = create_serializer(protocol, include_validation=True)
        sent: list[AwsRequest] = []

        def capture(request: AWSPreparedRequest, **_: object) -> AWSResponse:
            sent.append(as_received(request))
            return AWSResponse(request.url, 200, {}, _EmptyBody())

        client.meta.events.register("before-send.cloudwatch.*", capture)
        return client, sent

    with signer_clock(SIGNED_AT):
        yield make


def metric_data(count: int) -> list[dict[str, object]]:
    return [
        {"MetricName": f"Latency{i}", "Dimensions": [{"Name": "Host", "Value": "a"}], "Value": i}
        for i in range(count)
    ]


# --- round trips with botocore -----------------------------------------------------------


def test_botocore_json_put_metric_data_verifies(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch()
    client.put_metric_data(Namespace="Test/NS", MetricData=metric_data(2))

    (request,) = sent
    assert request.header("X-Amz-Target") == "GraniteServiceVersion20100801.PutMetricData"
    assert "x-amz-target;x-amzn-query-mode" in (request.header("Authorization") or "")
    assert verify(request) == VerifiedCredential(
        access_key_id=ACCESS_KEY,
        region=REGION,
        service="monitoring",
        request_time=SIGNED_AT,
        session_token=None,
    )


def test_verified_request_time_is_timezone_aware_utc(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch()
    client.list_metrics()

    assert verify(sent[0]).request_time.utcoffset() == timedelta(0)


def test_botocore_query_protocol_form_post_verifies(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch(protocol="query")
    client.list_metrics(Namespace="a b/c+d", MetricName="\u1234")

    (request,) = sent
    assert request.header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8"
    assert b"Namespace=a+b%2Fc%2Bd" in request.body
    assert verify(request).access_key_id == ACCESS_KEY


def test_gzip_body_is_hashed_as_compressed_bytes(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch()
    client.put_metric_data(Namespace="Test/NS", MetricData=metric_data(300))

    (request,) = sent
    assert request.header("Content-Encoding") == "gzip"
    assert verify(request).access_key_id == ACCESS_KEY
    # Hashing the decompressed payload instead would be wrong: it was not what was signed.
    inflated = replace_request(request, body=gzip.decompress(request.body))
    assert MISMATCH in refused(inflated, SignatureDoesNotMatch)


def test_get_with_spaces_slashes_plus_and_unicode_in_the_query_verifies() -> None:
    params = {"Action": "ListMetrics", "Namespace": "a b/c", "MetricName": "x+y=\u1234", "E": ""}
    request = sign_request_for_tests("GET", ENDPOINT + "/", params=params)

    # botocore urlencodes AWSRequest.params ('+' for a space) but signs them as '%20'.
    assert "Namespace=a+b%2Fc&MetricName=x%2By%3D%E1%88%B4" in request.query_string
    assert verify(request).region == REGION


def test_query_string_order_and_encoding_as_sent_do_not_matter() -> None:
    # The canonical form decodes and re-encodes, so '~' sent as %7E and a lower-case
    # escape still verify, and parameters may arrive in any order.
    signed = sign_request_for_tests("GET", ENDPOINT + "/?b=2&a=x~y%2Fz&a=1")
    reordered = replace_request(signed, query_string="a=1&a=x%7ey%2fz&b=2")

    assert verify(reordered).access_key_id == ACCESS_KEY


def test_botocore_presigned_url_verifies_until_it_expires(cloudwatch: MakeClient) -> None:
    client, _ = cloudwatch(protocol="query")
    url = client.generate_presigned_url(
        "list_metrics", Params={"Namespace": "a b/c"}, ExpiresIn=300
    )
    parts = urlsplit(url)
    # The URL is signed for the operation's own verb, which is POST for the query protocol.
    request = AwsRequest(
        method="POST",
        path=parts.path,
        query_string=parts.query,
        headers=(("Host", host_header(url)),),
    )

    assert "X-Amz-Expires=300" in request.query_string
    assert verify(request, now=SIGNED_AT + timedelta(seconds=300)).access_key_id == ACCESS_KEY
    message = refused(request, SignatureDoesNotMatch, now=SIGNED_AT + timedelta(seconds=301))
    assert message.startswith(f"Signature expired: {AMZ_DATE} is now earlier than")


def test_presigned_url_outlives_the_skew_window() -> None:
    request = presign_for_tests(ENDPOINT + "/?Action=ListMetrics", expires=3600)

    assert verify(request, now=SIGNED_AT + timedelta(minutes=59)).region == REGION


def test_presigned_parameters_in_a_form_body_verify() -> None:
    # What an old Query-API agent does: presign, then POST the query string as the body.
    presigned = presign_for_tests(
        ENDPOINT + "/?Action=ListMetrics&Namespace=a%20b%2Fc", method="POST"
    )
    request = AwsRequest(
        method="POST",
        path="/",
        headers=(
            ("Host", "monitoring.us-east-1.amazonaws.com"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ),
        body=presigned.query_string.encode(),
    )
    form = parse_qsl(presigned.query_string, keep_blank_values=True)

    assert verify(request, form_params=form).access_key_id == ACCESS_KEY
    tampered = [(n, "other" if n == "Namespace" else v) for n, v in form]
    assert MISMATCH in refused(request, SignatureDoesNotMatch, form_params=tampered)


def test_form_pairs_are_ignored_when_the_header_carries_the_signature(
    cloudwatch: MakeClient,
) -> None:
    client, sent = cloudwatch(protocol="query")
    client.list_metrics(Namespace="Test")
    form = [*parse_qsl(sent[0].body.decode()), ("X-Amz-Signature", "0" * 64)]

    assert verify(sent[0], form_params=form).access_key_id == ACCESS_KEY


def test_session_token_is_returned_for_the_caller_to_check(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch(token=TOKEN)
    client.list_metrics()

    (request,) = sent
    assert "x-amz-security-token" in (request.header("Authorization") or "")
    assert verify(request).session_token == TOKEN


def test_presigned_session_token_is_returned() -> None:
    request = presign_for_tests(ENDPOINT + "/?Action=ListMetrics", token=TOKEN)

    assert verify(request).session_token == TOKEN


def test_non_default_port_is_part_of_the_signed_host(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch(endpoint="http://127.0.0.1:8003")
    client.list_metrics()

    (request,) = sent
    assert request.header("Host") == "127.0.0.1:8003"
    assert verify(request).access_key_id == ACCESS_KEY
    assert MISMATCH in refused(with_headers(request, Host="127.0.0.1"), SignatureDoesNotMatch)


def test_cbor_style_path_verifies() -> None:
    url = ENDPOINT + "/service/GraniteServiceVersion20100801/operation/PutMetricData"
    request = sign_request_for_tests(
        "POST", url, headers={"Smithy-Protocol": "rpc-v2-cbor"}, body=b"\xa0"
    )

    assert verify(request).access_key_id == ACCESS_KEY


@pytest.mark.parametrize(
    "path",
    ["/a/./b//c/../d", "/a/b/../../..", "/dir/", "/%41%2F~x", "/with%20space/%25"],
)
def test_path_is_normalised_and_encoded_again_as_botocore_does(path: str) -> None:
    request = sign_request_for_tests("GET", ENDPOINT + path)

    assert request.path == path
    assert verify(request).access_key_id == ACCESS_KEY


def test_date_header_can_stand_in_for_x_amz_date() -> None:
    # botocore switches to a Date header when the request already has one.
    request = sign_request_for_tests("GET", ENDPOINT + "/", headers={"Date": "placeholder"})

    assert request.header("X-Amz-Date") is None
    assert request.header("Date") == "Fri, 02 Jan 2026 03:04:05 -0000"
    assert verify(request).request_time == SIGNED_AT


@pytest.fixture
def local_time_is_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_is_not_utc")
def test_zoneless_date_header_is_utc_whatever_the_server_timezone() -> None:
    request = sign_request_for_tests("GET", ENDPOINT + "/", headers={"Date": "placeholder"})

    assert request.header("Date", "").endswith("-0000")
    assert verify(request).request_time == SIGNED_AT


@pytest.mark.parametrize("declared", ["matching", "UNSIGNED-PAYLOAD"])
def test_x_amz_content_sha256_is_signed_in_place_of_the_body_hash(declared: str) -> None:
    body = b'{"Namespace": "Test"}'
    value = hashlib.sha256(body).hexdigest() if declared == "matching" else declared
    request = sign_request_for_tests(
        "POST", ENDPOINT + "/", headers={"X-Amz-Content-SHA256": value}, body=body
    )

    assert verify(request).access_key_id == ACCESS_KEY


def test_x_amz_content_sha256_must_match_the_body() -> None:
    body = b'{"Namespace": "Test"}'
    declared = hashlib.sha256(b"something else").hexdigest()
    request = sign_request_for_tests(
        "POST", ENDPOINT + "/", headers={"X-Amz-Content-SHA256": declared}, body=body
    )

    assert "x-amz-content-sha256" in refused(request, SignatureDoesNotMatch)


def test_unsigned_headers_may_be_added_or_changed(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch()
    client.list_metrics()
    request = with_headers(sent[0], User_Agent="proxy/1.0", X_Forwarded_For="10.0.0.1")

    assert verify(request).access_key_id == ACCESS_KEY


def test_signing_keys_are_cached_per_day_region_and_service(cloudwatch: MakeClient) -> None:
    client, sent = cloudwatch()
    client.list_metrics()
    client.list_metrics()
    sigv4._signing_key.cache_clear()

    verify(sent[0])
    verify(sent[1])

    info = sigv4._signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert info.maxsize is not None


# --- AWS SigV4 test-suite vectors --------------------------------------------------------
# Published expected signatures for AKIDEXAMPLE at 20150830T123600Z; computed by AWS, not
# by botocore, so they check the canonicalisation independently.

SUITE_KEY = "AKIDEXAMPLE"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)
SUITE_VECTORS = [
    # name, method, path?query, extra headers, body, signed headers, service, signature
    (
        "get-vanilla",
        "GET",
        "/",
        (),
        b"",
        "host;x-amz-date",
        "service",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
    (
        "post-vanilla",
        "POST",
        "/",
        (),
        b"",
        "host;x-amz-date",
        "service",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ),
    (
        "get-vanilla-query-order-key-case",
        "GET",
        "/?Param2=value2&Param1=value1",
        (),
        b"",
        "host;x-amz-date",
        "service",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ),
    (
        "get-vanilla-utf8-query",
        "GET",
        "/?" + quote("\u1234") + "=bar",
        (),
        b"",
        "host;x-amz-date",
        "service",
        "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    ),
    (
        "get-header-key-duplicate",
        "GET",
        "/",
        (("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")),
        b"",
        "host;my-header1;x-amz-date",
        "service",
        "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    ),
    (
        "get-header-value-trim",
        "GET",
        "/",
        (("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')),
        b"",
        "host;my-header1;my-header2;x-amz-date",
        "service",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    ),
    (
        "post-x-www-form-urlencoded",
        "POST",
        "/",
        (("Content-Type", "application/x-www-form-urlencoded"),),
        b"Param1=value1",
        "content-type;host;x-amz-date",
        "service",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    ),
    (
        # The worked IAM ListUsers example of AWS's SigV4 guide (host iam.amazonaws.com).
        "iam-list-users",
        "GET",
        "/?Action=ListUsers&Version=2010-05-08",
        (("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),),
        b"",
        "content-type;host;x-amz-date",
        "iam",
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    ),
]


def suite_request(
    method: str,
    target: str,
    extra_headers: tuple[tuple[str, str], ...],
    body: bytes,
    signed_headers: str,
    service: str,
    signature: str,
) -> AwsRequest:
    path, _, query = target.partition("?")
    host = "iam.amazonaws.com" if service == "iam" else "example.amazonaws.com"
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={SUITE_KEY}/20150830/us-east-1/{service}/aws4_request, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return AwsRequest(
        method=method,
        path=path,
        query_string=query,
        headers=(
            ("Host", host),
            ("X-Amz-Date", "20150830T123600Z"),
            *extra_headers,
            ("Authorization", authorization),
        ),
        body=body,
    )


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=[v[0] for v in SUITE_VECTORS])
def test_aws_test_suite_vector_verifies(vector: tuple) -> None:
    _, method, target, headers, body, signed, service, signature = vector
    request = suite_request(method, target, headers, body, signed, service, signature)

    credential = verify_request(
        request, {SUITE_KEY: SUITE_SECRET}.get, service=service, now=SUITE_TIME
    )

    assert (credential.access_key_id, credential.service) == (SUITE_KEY, service)


@pytest.mark.parametrize("vector", SUITE_VECTORS[:2], ids=[v[0] for v in SUITE_VECTORS[:2]])
def test_aws_test_suite_vector_with_one_digit_changed_is_refused(vector: tuple) -> None:
    _, method, target, headers, body, signed, service, signature = vector
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    request = suite_request(method, target, headers, body, signed, service, forged)

    with pytest.raises(SignatureDoesNotMatch):
        verify_request(request, {SUITE_KEY: SUITE_SECRET}.get, service=service, now=SUITE_TIME)


# --- refusals ----------------------------------------------------------------------------


@pytest.fixture
def signed() -> AwsRequest:
    """A JSON-style request as botocore signs it, with a query string to tamper with."""
    return sign_request_for_tests(
        "POST",
        ENDPOINT + "/?probe=1",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
        },
        body=b'{"Namespace": "Test"}',
    )


def with_authorization(request: AwsRequest, old: str, new: str) -> AwsRequest:
    authorization = request.header("Authorization") or ""
    assert old in authorization
    return with_headers(request, Authorization=authorization.replace(old, new))


def test_signed_fixture_verifies(signed: AwsRequest) -> None:
    assert verify(signed).access_key_id == ACCESS_KEY


def test_no_signature_at_all(signed: AwsRequest) -> None:
    message = refused(with_headers(signed, Authorization=None), MissingAuthenticationToken)
    assert message == "Request is missing Authentication Token"


def test_other_authorization_schemes_count_as_no_signature(signed: AwsRequest) -> None:
    request = with_headers(signed, Authorization="Bearer abc.def")
    assert "missing Authentication Token" in refused(request, MissingAuthenticationToken)


@pytest.mark.parametrize("part", ["Credential", "SignedHeaders", "Signature"])
def test_each_missing_authorization_part(signed: AwsRequest, part: str) -> None:
    algorithm, _, fields = (signed.header("Authorization") or "").partition(" ")
    kept = [field for field in fields.split(", ") if not field.startswith(f"{part}=")]
    authorization = f"{algorithm} {', '.join(kept)}"
    request = with_headers(signed, Authorization=authorization)

    message = refused(request, IncompleteSignature)
    assert f"Authorization header requires '{part}' parameter." in message
    assert message.endswith(f"Authorization={authorization}")


def test_every_missing_part_is_listed_together(signed: AwsRequest) -> None:
    request = with_headers(signed, Authorization="AWS4-HMAC-SHA256 Foo=bar", X_Amz_Date=None)

    message = refused(request, IncompleteSignature)
    assert message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256 Foo=bar"
    )


def test_authorization_part_without_equal_sign(signed: AwsRequest) -> None:
    request = with_authorization(signed, "Signature=", "Signature")
    message = refused(request, IncompleteSignature)
    assert "not a valid key=value pair (missing equal-sign)" in message


def test_missing_date(signed: AwsRequest) -> None:
    message = refused(with_headers(signed, X_Amz_Date=None), IncompleteSignature)
    assert "either a 'X-Amz-Date' or a 'Date' header" in message


# 20260102T030405Z in Arabic-Indic digits (U+0660...): a presigned URL can carry them.
ARABIC_INDIC_DATE = "".join(chr(0x660 + int(c)) if c.isdigit() else c for c in "20260102T030405Z")


@pytest.mark.parametrize(
    "value", ["2026-01-02T03:04:05Z", "20260102T030405", "2026 102T030405Z", ARABIC_INDIC_DATE]
)
def test_malformed_x_amz_date(signed: AwsRequest, value: str) -> None:
    message = refused(with_headers(signed, X_Amz_Date=value), IncompleteSignature)
    assert message.startswith(f"Date must be in ISO-8601 'basic format'. Got '{value}'.")


def test_malformed_date_header(signed: AwsRequest) -> None:
    request = with_headers(signed, X_Amz_Date=None, Date="yesterday")
    assert "Got 'yesterday'" in refused(request, IncompleteSignature)


def test_credential_scope_needs_five_parts(signed: AwsRequest) -> None:
    request = with_authorization(signed, "/us-east-1/monitoring/", "/us-east-1/")
    assert "exactly 5 slash-delimited elements" in refused(request, IncompleteSignature)


def test_scope_date_must_match_request_date(signed: AwsRequest) -> None:
    request = with_authorization(signed, "/20260102/", "/20260101/")
    message = refused(request, SignatureDoesNotMatch)
    assert message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        f"HTTP: '20260101' != '20260102', from '{AMZ_DATE}'."
    )


def test_scope_service_must_be_monitoring() -> None:
    request = sign_request_for_tests("GET", ENDPOINT + "/", service="ec2")
    message = refused(request, SignatureDoesNotMatch)
    assert message == "Credential should be scoped to correct service: 'monitoring'."


def test_scope_region_must_be_one_we_serve(signed: AwsRequest) -> None:
    assert verify(signed, regions={"us-east-1", "eu-west-1"}).region == REGION
    message = refused(signed, SignatureDoesNotMatch, regions={"eu-west-1"})
    assert message == "Credential should be scoped to a valid region, not 'us-east-1'."


def test_any_region_is_accepted_when_none_are_configured() -> None:
    request = sign_request_for_tests("GET", ENDPOINT + "/", region="ap-southeast-7")
    assert verify(request).region == "ap-southeast-7"


def test_scope_terminator(signed: AwsRequest) -> None:
    request = with_authorization(signed, "/aws4_request", "/aws5_request")
    message = refused(request, SignatureDoesNotMatch)
    assert "valid terminator: 'aws4_request', not 'aws5_request'" in message


def test_skew_window_is_inclusive_at_fifteen_minutes(signed: AwsRequest) -> None:
    assert verify(signed, now=SIGNED_AT + timedelta(minutes=15)).access_key_id == ACCESS_KEY
    assert verify(signed, now=SIGNED_AT - timedelta(minutes=15)).access_key_id == ACCESS_KEY


def test_request_too_old(signed: AwsRequest) -> None:
    now = SIGNED_AT + timedelta(minutes=15, seconds=1)
    message = refused(signed, SignatureDoesNotMatch, now=now)
    assert message == (
        f"Signature expired: {AMZ_DATE} is now earlier than 20260102T030406Z "
        "(20260102T031906Z - 15 min.)"
    )


def test_request_from_the_future(signed: AwsRequest) -> None:
    now = SIGNED_AT - timedelta(minutes=15, seconds=1)
    message = refused(signed, SignatureDoesNotMatch, now=now)
    assert message == (
        f"Signature not yet current: {AMZ_DATE} is still later than 20260102T030404Z "
        "(20260102T024904Z + 15 min.)"
    )


def test_skew_window_is_configurable(signed: AwsRequest) -> None:
    now = SIGNED_AT + timedelta(minutes=6)
    message = refused(signed, SignatureDoesNotMatch, now=now, max_skew=timedelta(minutes=5))
    assert message.endswith("- 5 min.)")


def test_host_must_be_signed(signed: AwsRequest) -> None:
    request = with_authorization(signed, ";host;", ";")
    message = refused(request, SignatureDoesNotMatch)
    assert message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


def test_unknown_access_key(signed: AwsRequest) -> None:
    request = with_authorization(signed, f"Credential={ACCESS_KEY}/", "Credential=AKIDUNKNOWN/")
    message = refused(request, InvalidClientTokenId)
    assert message == "The security token included in the request is invalid."


def test_tampered_body(signed: AwsRequest) -> None:
    request = replace_request(signed, body=b'{"Namespace": "Other"}')
    assert MISMATCH in refused(request, SignatureDoesNotMatch)


def test_tampered_signed_header(signed: AwsRequest) -> None:
    target = "GraniteServiceVersion20100801.DeleteAlarms"
    request = with_headers(signed, X_Amz_Target=target)
    assert MISMATCH in refused(request, SignatureDoesNotMatch)


def test_tampered_query(signed: AwsRequest) -> None:
    request = replace_request(signed, query_string="probe=2")
    assert MISMATCH in refused(request, SignatureDoesNotMatch)


def test_tampered_method(signed: AwsRequest) -> None:
    assert MISMATCH in refused(replace_request(signed, method="PUT"), SignatureDoesNotMatch)


def test_wrong_secret() -> None:
    request = sign_request_for_tests("GET", ENDPOINT + "/", secret="not-the-secret")
    message = refused(request, SignatureDoesNotMatch)
    assert message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )


def test_non_ascii_signature_is_a_mismatch_not_a_crash(signed: AwsRequest) -> None:
    authorization = signed.header("Authorization") or ""
    forged = authorization[: authorization.rindex("=") + 1] + "\u00e9" * 64
    assert MISMATCH in refused(with_headers(signed, Authorization=forged), SignatureDoesNotMatch)


# --- presigned refusals ------------------------------------------------------------------


def with_query_param(request: AwsRequest, name: str, value: str | None) -> AwsRequest:
    """Replace (or with None, drop) one parameter of a presigned query string."""
    kept = [p for p in request.query_string.split("&") if p.split("=")[0] != name]
    if value is not None:
        kept.append(f"{name}={quote(value, safe='')}")
    return replace_request(request, query_string="&".join(kept))


def test_presigned_url_expired() -> None:
    request = presign_for_tests(ENDPOINT + "/?Action=ListMetrics", expires=60)
    message = refused(request, SignatureDoesNotMatch, now=SIGNED_AT + timedelta(seconds=61))
    assert message == (
        f"Signature expired: {AMZ_DATE} is now earlier than 20260102T030406Z "
        "(20260102T030506Z - 60 sec.)"
    )


def test_presigned_url_from_the_future() -> None:
    request = presign_for_tests(ENDPOINT + "/?Action=ListMetrics")
    now = SIGNED_AT - timedelta(minutes=16)
    assert "Signature not yet current" in refused(request, SignatureDoesNotMatch, now=now)


@pytest.mark.parametrize("expires", ["0", "604801", "-5", "1e3", "soon"])
def test_presigned_expiry_out_of_range(expires: str) -> None:
    request = with_query_param(presign_for_tests(ENDPOINT + "/"), "X-Amz-Expires", expires)
    message = refused(request, IncompleteSignature)
    assert message == (
        f"X-Amz-Expires must be a whole number of seconds from 1 to 604800, not '{expires}'."
    )


def test_presigned_expiry_of_a_week_is_accepted() -> None:
    request = presign_for_tests(ENDPOINT + "/", expires=604800)
    assert verify(request, now=SIGNED_AT + timedelta(days=7)).access_key_id == ACCESS_KEY


@pytest.mark.parametrize(
    "name", ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]
)
def test_presigned_parameter_missing(name: str) -> None:
    request = with_query_param(presign_for_tests(ENDPOINT + "/"), name, None)
    message = refused(request, IncompleteSignature)
    assert f"AWS query-string parameters must include '{name}'." in message
    assert message.endswith("Re-examine the query-string parameters.")


def test_presigned_algorithm_must_be_hmac_sha256() -> None:
    request = with_query_param(presign_for_tests(ENDPOINT + "/"), "X-Amz-Algorithm", "AWS4-ECDSA")
    assert "only supports 'AWS4-HMAC-SHA256'" in refused(request, IncompleteSignature)


def test_presigned_tampered_parameter() -> None:
    request = presign_for_tests(ENDPOINT + "/?Action=ListMetrics&Namespace=mine")
    tampered = replace_request(
        request, query_string=request.query_string.replace("Namespace=mine", "Namespace=yours")
    )
    assert MISMATCH in refused(tampered, SignatureDoesNotMatch)


def test_presigned_unknown_key() -> None:
    request = presign_for_tests(ENDPOINT + "/")
    credential = f"AKIDUNKNOWN/{AMZ_DATE[:8]}/{REGION}/monitoring/aws4_request"
    request = with_query_param(request, "X-Amz-Credential", credential)
    assert "security token included in the request is invalid" in refused(
        request, InvalidClientTokenId
    )
