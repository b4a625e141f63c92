r"""The one module that knows what an API key looks like.

A key is `PREFIX + LOOKUP + SECRET + CHECK`:

- PREFIX: `settings.API_KEY_PREFIX` ("sk_live_"), or `settings.API_KEY_TEST_PREFIX`
  ("sk_test_") for a test key, so secret scanners can match it; the prefix says the key's
  mode, and the key check holds it to the mode stored with the key;
- LOOKUP: 12 base62 characters, the key's public id (`APIKey.lookup_id`, the API's "id");
- SECRET: 43 base62 characters from `secrets` (62**43 > 2**256: 256 bits of entropy);
- CHECK: CRC32 of everything before it, in 6 base62 characters, so that a mistyped or
  truncated key is refused without a database read (GitHub's token format does the same).

Secret scanners match both prefixes with `scanner_pattern()`; with the default prefixes:
`\b(?:sk_live_|sk_test_)[0-9A-Za-z]{61}\b` (the README lists it).

Only the SHA-256 of the secret part is stored. Keys are random, so a fast hash is enough:
checking a key costs one indexed read and one hash, never a password hasher.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LOOKUP_LENGTH = 12
SECRET_LENGTH = 43
CHECK_LENGTH = 6
BODY_LENGTH = LOOKUP_LENGTH + SECRET_LENGTH + CHECK_LENGTH
_BODY = re.compile(f"[0-9A-Za-z]{{{BODY_LENGTH}}}")  # base62 only (ASCII: no Unicode digits)
SIGNING_SECRET_LENGTH = 43  # 256 bits, base62


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key. `full` is shown once and never stored."""

    full: str
    prefix: str
    lookup_id: str
    secret_hash: str
    last4: str

    def __repr__(self) -> str:  # keep the full key out of tracebacks and logs
        return f"NewKey(lookup_id={self.lookup_id!r})"


class Parsed(NamedTuple):
    """A well-formed key, taken apart. Says nothing about whether the key exists.

    Immutable, and made on every API request: a named tuple costs about half of what a
    frozen dataclass does to build."""

    prefix: str
    lookup_id: str
    secret: str
    mode: str  # "live" or "test", as the prefix says

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)

    def __repr__(self) -> str:
        return f"Parsed(lookup_id={self.lookup_id!r})"


LIVE, TEST = "live", "test"  # APIKey.Mode's values (this module reads no model)


def prefix(mode: str = LIVE) -> str:
    return settings.API_KEY_TEST_PREFIX if mode == TEST else settings.API_KEY_PREFIX


def scanner_pattern() -> str:
    """A regular expression that finds keys of both modes in text (for secret scanners)."""
    prefixes = "|".join(re.escape(p) for p in (prefix(LIVE), prefix(TEST)))
    return rf"\b(?:{prefixes})[0-9A-Za-z]{{{BODY_LENGTH}}}\b"


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


_PAIRS = [high + low for high in ALPHABET for low in ALPHABET]  # 00 .. zz: base 62**2


def checksum(text: str) -> str:
    """CRC32 of `text` as 6 base62 characters (62**6 > 2**32, so nothing is lost).

    Three base-3844 digits, two characters each: every API request checks one, and this
    takes half the time of six divisions by 62."""
    number, low = divmod(zlib.crc32(text.encode("ascii")), 62 * 62)
    high, middle = divmod(number, 62 * 62)
    return _PAIRS[high] + _PAIRS[middle] + _PAIRS[low]


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a key's secret part: what the database keeps."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_lookup_id() -> str:
    return _random(LOOKUP_LENGTH)


def generate(lookup_id: str | None = None, mode: str = LIVE) -> NewKey:
    """Make a new key of `mode`. `lookup_id` is only for retrying after a (vanishingly rare)
    clash."""
    pfx = prefix(mode)
    lookup = lookup_id or new_lookup_id()
    secret = _random(SECRET_LENGTH)
    head = pfx + lookup + secret
    full = head + checksum(head)
    return NewKey(full=full, prefix=pfx, lookup_id=lookup, secret_hash=hash_secret(secret),
                  last4=full[-4:])


def parse(raw: object) -> Parsed | None:
    """Take a presented key apart, or None when it is malformed. Never touches the database.

    Refused: anything but a string of exactly the right length, with one of the configured
    prefixes, base62 characters only, and a checksum that matches.
    """
    if not isinstance(raw, str):
        return None
    mode = LIVE
    pfx = settings.API_KEY_PREFIX
    if not raw.startswith(pfx):
        mode, pfx = TEST, settings.API_KEY_TEST_PREFIX
        if not raw.startswith(pfx):
            return None
    if len(raw) != len(pfx) + BODY_LENGTH:
        return None
    body = raw[len(pfx) :]
    if _BODY.fullmatch(body) is None:
        return None
    head, check = raw[: -CHECK_LENGTH], raw[-CHECK_LENGTH:]
    # The checksum is public (it is part of the key), so a plain comparison leaks nothing.
    if checksum(head) != check:
        return None
    return Parsed(prefix=pfx, lookup_id=body[:LOOKUP_LENGTH],
                  secret=body[LOOKUP_LENGTH : LOOKUP_LENGTH + SECRET_LENGTH], mode=mode)


def mask(prefix: str, lookup_id: str, last4: str) -> str:
    """The form lists show: `sk_live_AbCd...wxyz` (the id's start and the key's last 4).

    The last four characters are the checksum's, so no character of the secret is shown.
    """
    return f"{prefix}{lookup_id[:4]}...{last4}"


def generate_signing_secret() -> str:
    """A new HMAC signing secret: 256 bits, base62 (used as the UTF-8 bytes of this text)."""
    return _random(SIGNING_SECRET_LENGTH)
