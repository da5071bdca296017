"""Encryption of secrets at rest.

HEATWATCH_SECRET_KEY holds one or more comma-separated Fernet keys. The first encrypts; all
decrypt, so an operator rotates by putting a new key first and re-encrypting at leisure.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBox:
    def __init__(self, keys: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError) as exc:
            # Never echo the key itself in the error.
            raise ValueError("HEATWATCH_SECRET_KEY is not a valid Fernet key list") from exc

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        return self._decrypt_cached(bytes(ciphertext))

    @cached_property
    def _decrypt_cached(self) -> Callable[[bytes], str]:
        # Every signed request decrypts its key's secret (a Fernet HMAC check, AES and
        # base64: a few percent of a PutMetricAlarm). A ciphertext always decrypts to the
        # same plaintext under this box's keys, which never change in a process, so the
        # answer can be kept; sigv4's signing-key cache already holds these secrets anyway.
        # A failure is not kept: it raises each time.
        @lru_cache(maxsize=256)
        def decrypt(ciphertext: bytes) -> str:
            try:
                return self._fernet.decrypt(ciphertext).decode()
            except InvalidToken as exc:
                raise ValueError(
                    "stored secret cannot be decrypted with the configured keys"
                ) from exc

        return decrypt


def generate_key() -> str:
    return Fernet.generate_key().decode()
