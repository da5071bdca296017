"""Encryption of secrets at rest.

HEATWATCH_SECRET_KEY holds one or more comma-separated Fernet keys. The first encrypts; all
decrypt, so an operator rotates by putting a new key first and re-encrypting at leisure.
"""

from __future__ import annotations

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
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured keys") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
