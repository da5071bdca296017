"""Pre-signed signal URLs: valid as issued, refused when any part changes, rotation-safe."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from models.identity.crypto import generate_key
from models.orchestration import signing

KEY = generate_key()
PARTS = ("tenant-1", "stack-1", "ScaleUp")


def test_a_signed_url_verifies_and_names_its_parts() -> None:
    url = signing.signal_url("http://heat:8004", KEY, *PARTS)
    parsed = urlparse(url)
    assert parsed.path == "/v1/signal/tenant-1/stack-1/ScaleUp"
    signature = parse_qs(parsed.query)["signature"][0]
    assert signing.verify(KEY, *PARTS, signature)


@pytest.mark.parametrize(
    "tampered",
    [
        ("tenant-2", "stack-1", "ScaleUp"),
        ("tenant-1", "stack-2", "ScaleUp"),
        ("tenant-1", "stack-1", "ScaleDown"),
        ("tenant-1stack-1", "", "ScaleUp"),  # parts are length-prefixed: no shifting
    ],
)
def test_any_changed_part_is_refused(tampered: tuple[str, str, str]) -> None:
    signature = signing.signature(KEY, *PARTS)
    assert not signing.verify(KEY, *tampered, signature)


def test_a_changed_signature_or_another_key_is_refused() -> None:
    signature = signing.signature(KEY, *PARTS)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not signing.verify(KEY, *PARTS, flipped)
    assert not signing.verify(KEY, *PARTS, "")
    assert not signing.verify(generate_key(), *PARTS, signature)


def test_urls_signed_with_the_old_key_survive_a_key_rotation() -> None:
    signature = signing.signature(KEY, *PARTS)
    rotated = f"{generate_key()},{KEY}"  # the new key in front, the old one still listed
    assert signing.verify(rotated, *PARTS, signature)
