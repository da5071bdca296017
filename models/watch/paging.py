"""Opaque NextToken values for keyset paging (ListMetrics, DescribeAlarms, history, ...).

A token is the base64 of "<kind prefix><last key>". The prefix makes a token of one listing
invalid for another; anything this server did not issue is InvalidPageTokenError.
"""

from __future__ import annotations

import base64
import binascii

from models.errors import InvalidPageTokenError


def encode_token(prefix: str, last_key: str) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{last_key}".encode()).decode()


def decode_token(prefix: str, token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidPageTokenError("The value of NextToken is not valid.") from exc
    if not text.startswith(prefix):
        raise InvalidPageTokenError("The value of NextToken is not valid.")
    return text.removeprefix(prefix)
