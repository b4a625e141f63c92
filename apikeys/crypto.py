"""Encryption of the keys' HMAC signing secrets.

The server must read a signing secret back to verify a signature, so it cannot be hashed;
it is stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key that lives in
settings, never in the database. `KEY_ENCRYPTION_KEY` is a comma list: the first entry
encrypts, every entry decrypts, so the key can be rotated. When it is empty the key is
derived from SECRET_KEY (and SECRET_KEY_FALLBACKS). Each entry, whatever its form, goes
through HKDF-SHA256 to make the 32 bytes Fernet needs.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"apikeys.signing-secret.v1"


class DecryptionError(Exception):
    """The stored value cannot be read with any configured key."""


def _derive(material: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        material.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(raw))


@lru_cache(maxsize=4)
def _fernet(materials: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_derive(m) for m in materials])


def _materials() -> tuple[str, ...]:
    configured = tuple(settings.KEY_ENCRYPTION_KEY or ())
    if configured:
        return configured
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


def encrypt(plaintext: str) -> str:
    return _fernet(_materials()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_materials()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("the signing secret cannot be decrypted") from exc
