"""Server-side AWS Signature Version 4 verification (../shared/cloudwatch-api.md §2).

Pure: an `AwsRequest`, a way to look up a secret and the current time go in; a
`VerifiedCredential` or one of the auth errors of `web.aws.errors` comes out. Nothing here
touches a database or Flask, and the clock is read only when `now` isn't given, so every
rule is unit-testable with bytes alone against what botocore's `SigV4Auth` and
`SigV4QueryAuth` sign.

Two things the caller must get right, because only the caller can see the wire:
- `request.path` and `request.query_string` are the target as sent (still percent-encoded),
  not a decoded PATH_INFO: the canonical URI encodes the path once more, as botocore does.
- `request.body` is the body as received (still gzipped); the payload hash covers it (§1.7).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from web.aws.errors import (
    IncompleteSignature,
    InvalidClientTokenId,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)
from web.aws.request import AwsRequest

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_PRESIGN_EXPIRES = 604800  # one week, in seconds (§2.5)

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# strptime alone accepts unpadded or space-padded fields; the basic format has none.
# ASCII digits only: \d would also take other scripts' digits, which int() reads as well.
_AMZ_DATE_SHAPE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
# RFC 3986 unreserved characters; everything else is percent-encoded in the query string.
_QUERY_SAFE = "-_.~"
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
# Presigned parameters, in the order AWS lists them when some are missing.
_PRESIGN_REQUIRED = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)
# Any of these means "this request is presigned", even if the rest is missing.
_PRESIGN_MARKERS = frozenset(_PRESIGN_REQUIRED) - {"X-Amz-Date"}


@dataclass(frozen=True)
class VerifiedCredential:
    access_key_id: str
    region: str
    service: str
    request_time: datetime  # tz-aware UTC
    session_token: str | None


@dataclass(frozen=True)
class _Claim:
    """What the client says it signed, read from the Authorization header or presign params."""

    credential: str
    signed_headers: str
    signature: str
    amz_date: str  # the request time in basic format, as it goes into the string to sign
    request_time: datetime
    session_token: str | None
    expires: int | None  # presigned only
    canonical_query: str
    # Set when the payload hash is not the body's own (presign parameters in a form body).
    payload_hash_override: str | None = None


def verify_request(
    request: AwsRequest,
    lookup_secret: Callable[[str], str | None],
    *,
    service: str = "monitoring",
    regions: Collection[str] | None = None,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
    form_params: Sequence[tuple[str, str]] = (),
) -> VerifiedCredential:
    """Check the request's SigV4 signature and return who signed it.

    `lookup_secret` maps an access key id to its secret (None when unknown or revoked).
    `regions=None` accepts any region in the scope. `form_params` are the decoded pairs of
    an awsQuery form body, consulted only for presign parameters carried there; when they
    are, every pair is signed, so the caller must dispatch from exactly these pairs.
    A session token is returned, not checked: the caller validates it with the key.
    """
    now = now or datetime.now(UTC)
    claim = _read_claim(request, form_params)
    access_key_id, scope_date, region, scope_service = _check_scope(
        claim, service=service, regions=regions
    )
    _check_time(claim, now=now, max_skew=max_skew)
    signed_names = _check_signed_headers(claim.signed_headers)
    # Look the key up only once the request is well formed: cheaper, and a malformed
    # request learns nothing about which keys exist.
    secret = lookup_secret(access_key_id)
    if secret is None:
        raise InvalidClientTokenId("The security token included in the request is invalid.")

    canonical = _canonical_request(
        request,
        canonical_query=claim.canonical_query,
        signed_names=signed_names,
        signed_headers=claim.signed_headers,
        payload_hash=claim.payload_hash_override or _payload_hash(request),
    )
    scope = f"{scope_date}/{region}/{scope_service}/{TERMINATOR}"
    string_to_sign = "\n".join((ALGORITHM, claim.amz_date, scope, _sha256_hex(canonical)))
    key = _signing_key(secret, scope_date, region, scope_service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    # encode() so a non-ASCII forgery can't make compare_digest raise instead of failing.
    if not hmac.compare_digest(expected.encode(), claim.signature.encode(errors="replace")):
        raise SignatureDoesNotMatch(_SIGNATURE_MISMATCH)
    return VerifiedCredential(
        access_key_id=access_key_id,
        region=region,
        service=scope_service,
        request_time=claim.request_time,
        session_token=claim.session_token,
    )


# --- finding the signature (§2.1) -------------------------------------------------------


def _read_claim(request: AwsRequest, form_params: Sequence[tuple[str, str]]) -> _Claim:
    authorization = request.header("Authorization")
    if authorization is not None and authorization.startswith(ALGORITHM + " "):
        return _read_authorization_header(request, authorization)
    query_pairs = _query_pairs(request.query_string)
    in_query = _first_values((_text(name), _text(value)) for name, value in query_pairs)
    if _PRESIGN_MARKERS & in_query.keys():
        return _read_presigned(in_query, _canonical_query(query_pairs, presigned=True))
    in_form = _first_values(form_params)
    if _PRESIGN_MARKERS & in_form.keys():
        # The body carries the signature, so the signer cannot have hashed it: it signed
        # the URL form of this request, whose body was empty. Every body pair goes into
        # the canonical query instead, so the body is still covered.
        all_pairs = query_pairs + [(n.encode(), v.encode()) for n, v in form_params]
        claim = _read_presigned(in_form, _canonical_query(all_pairs, presigned=True))
        return replace(claim, payload_hash_override=EMPTY_SHA256)
    raise MissingAuthenticationToken("Request is missing Authentication Token")


def _first_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def _read_authorization_header(request: AwsRequest, authorization: str) -> _Claim:
    fields = _authorization_fields(authorization)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    amz_date = request.header("X-Amz-Date")
    http_date = request.header("Date")
    if amz_date is None and http_date is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise IncompleteSignature(" ".join([*missing, f"Authorization={authorization}"]))
    request_time = (
        _parse_amz_date(amz_date) if amz_date is not None else _parse_http_date(http_date)
    )
    return _Claim(
        credential=fields["Credential"],
        signed_headers=fields["SignedHeaders"],
        signature=fields["Signature"],
        amz_date=request_time.strftime(_AMZ_DATE_FORMAT),
        request_time=request_time,
        session_token=request.header("X-Amz-Security-Token"),
        expires=None,
        canonical_query=_canonical_query(_query_pairs(request.query_string), presigned=False),
    )


def _authorization_fields(authorization: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in authorization[len(ALGORITHM) :].split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{part}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{authorization}'."
            )
        fields.setdefault(name.strip(), value.strip())
    return fields


def _read_presigned(params: dict[str, str], canonical_query: str) -> _Claim:
    missing = [name for name in _PRESIGN_REQUIRED if not params.get(name)]
    if missing:
        sentences = [f"AWS query-string parameters must include '{name}'." for name in missing]
        raise IncompleteSignature(" ".join([*sentences, "Re-examine the query-string parameters."]))
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature(f"X-Amz-Algorithm only supports '{ALGORITHM}'.")
    request_time = _parse_amz_date(params["X-Amz-Date"])
    return _Claim(
        credential=params["X-Amz-Credential"],
        signed_headers=params["X-Amz-SignedHeaders"],
        signature=params["X-Amz-Signature"],
        amz_date=params["X-Amz-Date"],
        request_time=request_time,
        session_token=params.get("X-Amz-Security-Token"),
        expires=_parse_expires(params.get("X-Amz-Expires")),
        canonical_query=canonical_query,
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PRESIGN_EXPIRES:
        raise IncompleteSignature(
            f"X-Amz-Expires must be a whole number of seconds from 1 to "
            f"{MAX_PRESIGN_EXPIRES}, not '{value}'."
        )
    return int(value)


# --- checks before computing anything (§2.2) --------------------------------------------


def _parse_amz_date(value: str) -> datetime:
    try:
        if not _AMZ_DATE_SHAPE.fullmatch(value):
            raise ValueError(value)
        # The shape is checked, so the fields are at fixed places: datetime() refuses the
        # same out-of-range values strptime does, at a tenth of its cost (every request).
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def _parse_http_date(value: str | None) -> datetime:
    try:
        parsed = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        raise IncompleteSignature(
            f"Date header must be an RFC 1123 date such as "
            f"'Sun, 30 Aug 2015 12:36:00 GMT'. Got '{value}'."
        ) from None
    # "-0000" parses to a naive datetime: RFC 5322 says it is UTC with no zone information.
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _check_scope(
    claim: _Claim, *, service: str, regions: Collection[str] | None
) -> tuple[str, str, str, str]:
    parts = claim.credential.split("/")
    if len(parts) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{claim.credential}'"
        )
    access_key_id, scope_date, region, scope_service, terminator = parts
    if scope_date != claim.amz_date[:8]:
        raise SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope_date}' != '{claim.amz_date[:8]}', from '{claim.amz_date}'."
        )
    if scope_service != service:
        raise SignatureDoesNotMatch(f"Credential should be scoped to correct service: '{service}'.")
    if regions is not None and region not in regions:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped to a valid region, not '{region}'."
        )
    if terminator != TERMINATOR:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'."
        )
    return access_key_id, scope_date, region, scope_service


def _check_time(claim: _Claim, *, now: datetime, max_skew: timedelta) -> None:
    stamp = claim.amz_date
    skew_minutes = f"{max_skew.total_seconds() / 60:g}"
    latest = now + max_skew
    if claim.request_time > latest:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {stamp} is still later than {_basic(latest)} "
            f"({_basic(now)} + {skew_minutes} min.)"
        )
    if claim.expires is not None:
        # A presigned URL is good for its own lifetime, not for the skew window.
        earliest = now - timedelta(seconds=claim.expires)
        if claim.request_time < earliest:
            raise SignatureDoesNotMatch(
                f"Signature expired: {stamp} is now earlier than {_basic(earliest)} "
                f"({_basic(now)} - {claim.expires} sec.)"
            )
        return
    earliest = now - max_skew
    if claim.request_time < earliest:
        raise SignatureDoesNotMatch(
            f"Signature expired: {stamp} is now earlier than {_basic(earliest)} "
            f"({_basic(now)} - {skew_minutes} min.)"
        )


def _check_signed_headers(signed_headers: str) -> list[str]:
    names = signed_headers.split(";")
    # Signing the host is what ties a signature to this endpoint; without it a request
    # captured elsewhere could be replayed here. AWS also allows HTTP/2's ':authority',
    # but WSGI never shows us pseudo-headers, so only 'host' can be verified.
    if "host" not in {name.lower() for name in names}:
        raise SignatureDoesNotMatch(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    return names


def _basic(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_AMZ_DATE_FORMAT)


# --- canonical request (§2.3) -----------------------------------------------------------


def _canonical_request(
    request: AwsRequest,
    *,
    canonical_query: str,
    signed_names: list[str],
    signed_headers: str,
    payload_hash: str,
) -> str:
    return "\n".join(
        (
            request.method.upper(),
            _canonical_uri(request.path),
            canonical_query,
            _canonical_headers(request, signed_names),
            signed_headers,
            payload_hash,
        )
    )


def _canonical_uri(path: str) -> str:
    # botocore quotes the path it already sent (encoded once), so non-S3 services see the
    # path encoded twice: a "%" on the wire becomes "%25" here.
    return quote(_normalize_path(path), safe="/~")


def _normalize_path(path: str) -> str:
    """Remove '.' and '..' segments and merge repeated slashes, as botocore does."""
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and segments else ""
    return leading + "/".join(segments) + trailing


def _query_pairs(query_string: str) -> list[tuple[bytes, bytes]]:
    """Form-decode each name and value to bytes.

    A raw '+' is a space, as the query protocol parser reads it: botocore sends
    `AWSRequest.params` urlencoded ('+') but signs them RFC 3986-encoded ('%20'), and every
    SDK sends a literal plus as '%2B'.
    """
    pairs = []
    for segment in query_string.split("&"):
        if segment:
            name, _, value = segment.replace("+", " ").partition("=")
            pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return pairs


def _canonical_query(pairs: Iterable[tuple[bytes, bytes]], *, presigned: bool) -> str:
    # Working on bytes keeps invalid UTF-8 exact instead of turning it into U+FFFD.
    encoded = sorted(
        (quote(name, safe=_QUERY_SAFE), quote(value, safe=_QUERY_SAFE))
        for name, value in pairs
        if not (presigned and name == b"X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def _canonical_headers(request: AwsRequest, signed_names: list[str]) -> str:
    lines = []
    for name in signed_names:
        values = (" ".join(value.split()) for value in request.header_values(name))
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def _payload_hash(request: AwsRequest) -> str:
    actual = hashlib.sha256(request.body).hexdigest()
    claimed = request.header("X-Amz-Content-Sha256")
    if claimed is None:
        return actual
    # botocore signs the header's value instead of hashing, so the header must be checked
    # against the body or it would let any body through under a valid signature.
    if claimed != UNSIGNED_PAYLOAD and claimed.lower() != actual:
        raise SignatureDoesNotMatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return claimed


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- key and signature (§2.4) -----------------------------------------------------------


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    # Four HMACs per request add up under PutMetricData load; the key only changes daily.
    # Keyed on the secret itself, so a rotated secret never reuses a stale key.
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
