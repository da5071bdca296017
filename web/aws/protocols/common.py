"""What the three codecs share: the parsed call, scalar conversions and error envelopes.

Scalar rules live here once so that `Period=abc` in a form body and `"Period": "abc"` in
JSON fail with the same code and the same query-style parameter path (§3.0: CloudWatch
words its messages with query paths whatever the protocol).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from web.aws.errors import CloudWatchError, InvalidParameterValue
from web.aws.request import AwsRequest

# Header name spellings follow what AWS sends; clients read them case-insensitively.
REQUEST_ID_HEADER = "x-amzn-RequestId"
QUERY_ERROR_HEADER = "x-amzn-query-error"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# botocore writes non-finite doubles as these words in every text format.
NON_FINITE_WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INTEGER_TEXT = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class ParsedCall:
    protocol: str
    operation: str
    # Input members by model name (CamelCase) with typed values; absent members left out.
    params: dict[str, Any]
    # True when modelled awsQuery statuses apply to errors: always for query, and for
    # JSON/CBOR when the client sent `x-amzn-query-mode: true` (§1.4).
    query_mode: bool


def invalid(value: object, path: str, kind: str) -> InvalidParameterValue:
    # Quote the offending value, but keep a huge nested document from flooding the message.
    shown = value if isinstance(value, str) else repr(value)
    if len(shown) > 100:
        shown = shown[:100] + "..."
    return InvalidParameterValue(f"The value {shown} for parameter {path} is not a valid {kind}.")


def sent_query_mode(request: AwsRequest) -> bool:
    return (request.header("x-amzn-query-mode") or "").strip().lower() == "true"


# --- Scalars from text (awsQuery values, and JSON's string fallbacks) ---


def integer_from_text(text: str, path: str) -> int:
    # int() would also take "1_000" and surrounding spaces; the wire format allows neither.
    if not _INTEGER_TEXT.fullmatch(text):
        raise invalid(text, path, "integer")
    return int(text)


def double_from_text(text: str, path: str) -> float:
    # float() reads "NaN"/"Infinity" as well as "nan"/"inf" from hand-built agents; these
    # reach validation as floats, which rejects them with CloudWatch's own message.
    if "_" in text or text != text.strip():
        raise invalid(text, path, "number")
    try:
        return float(text)
    except ValueError:
        raise invalid(text, path, "number") from None


def boolean_from_text(text: str, path: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise invalid(text, path, "boolean")
    return lowered == "true"


def timestamp_from_text(text: str, path: str) -> datetime:
    """ISO 8601 in the forms clients send: extended or compact, fractional, Z or offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(text, path, "timestamp") from None
    # A timestamp without an offset is taken as UTC, as AWS does.
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def timestamp_from_epoch(seconds: float, path: str) -> datetime:
    try:
        # timedelta rounds to the microsecond, so 1704164645.678 keeps its .678.
        return _EPOCH + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        raise invalid(seconds, path, "timestamp") from None


def finite_or_word(value: float) -> float | str:
    """JSON has no NaN/Infinity literals; botocore's own writers use these words instead."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


# --- Timestamps out ---


def as_utc(value: datetime | float) -> datetime:
    """Results may carry datetimes (naive ones mean UTC) or epoch seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return _EPOCH + timedelta(seconds=value)


def iso8601(value: datetime | float) -> str:
    # Whole seconds when there is no fraction (AWS's datapoint form), else milliseconds
    # (AWS's alarm form); botocore reads both.
    moment = as_utc(value)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def epoch_seconds(value: datetime | float) -> float:
    return (as_utc(value) - _EPOCH).total_seconds()


# --- Error envelopes ---


def fault(error: CloudWatchError) -> str:
    return "Sender" if error.sender_fault else "Receiver"


def error_status(error: CloudWatchError, query_mode: bool) -> int:
    """§1.4: JSON/CBOR answer 4xx as plain 400 unless the client asked for query mode."""
    if query_mode or error.keeps_status_outside_query_mode or error.status >= 500:
        return error.status
    return 400


def shape_id(error: CloudWatchError) -> str:
    return f"{error.namespace}#{error.shape}"
