"""Pre-signed URLs for signals (WaitConditionHandle, ScalingPolicy AlarmUrl, HARestarter).

A signed URL is the only credential its holder needs, like CloudFormation's pre-signed S3
URLs: `<heat>/v1/signal/<tenant>/<stack_id>/<resource>?signature=<hex>`. The signature is
HMAC-SHA256 over the tenant, stack id and resource name, keyed by a key derived from
HEATWATCH_SECRET_KEY, so it never expires on its own; deleting the resource (or the stack)
is what ends it, because the signal endpoint then finds nothing to signal. Rotating
HEATWATCH_SECRET_KEY (a new key in front) keeps old URLs valid while the old key stays listed.
Any change to any part of the URL makes verification fail.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

_PURPOSE = b"heatwatch signed signal url v1"


def _keys(secret_key: str) -> list[bytes]:
    """One signing key per configured Fernet key (newest first)."""
    return [
        hmac.new(key.strip().encode(), _PURPOSE, hashlib.sha256).digest()
        for key in secret_key.split(",")
        if key.strip()
    ]


def _message(tenant_id: str, stack_id: str, resource_name: str) -> bytes:
    # Length-prefixed parts: no two different triples can produce the same message.
    parts = [tenant_id, stack_id, resource_name]
    return b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)


def signature(secret_key: str, tenant_id: str, stack_id: str, resource_name: str) -> str:
    key = _keys(secret_key)[0]
    return hmac.new(key, _message(tenant_id, stack_id, resource_name), hashlib.sha256).hexdigest()


def verify(
    secret_key: str, tenant_id: str, stack_id: str, resource_name: str, candidate: str
) -> bool:
    message = _message(tenant_id, stack_id, resource_name)
    return any(
        hmac.compare_digest(hmac.new(key, message, hashlib.sha256).hexdigest(), candidate or "")
        for key in _keys(secret_key)
    )


def signal_url(
    heat_url: str, secret_key: str, tenant_id: str, stack_id: str, resource_name: str
) -> str:
    sig = signature(secret_key, tenant_id, stack_id, resource_name)
    path = "/".join(quote(part, safe="") for part in (tenant_id, stack_id, resource_name))
    return f"{heat_url}/v1/signal/{path}?signature={sig}"
