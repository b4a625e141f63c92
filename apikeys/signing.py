"""HMAC request signing (API.md, "HMAC signing").

`message = METHOD + "|" + path + "|" + timestamp + "|" + body`, signed with HMAC-SHA256
under the key's signing secret (the UTF-8 bytes of its text), sent as lowercase hex in
`X-Signature` with the Unix time in `X-Timestamp`. A timestamp more than 300 seconds away
from the server's clock, in either direction, is refused (Stripe's verifier only refuses old
ones), and each (timestamp, signature) pair is accepted once across every server process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from enum import StrEnum

from portal import ratelimit

TOLERANCE_SECONDS = 300
# Longer than the whole window a timestamp can be accepted in (2 x 300 s), so a pair cannot
# be replayed after its nonce has been forgotten.
REPLAY_TTL_SECONDS = 2 * TOLERANCE_SECONDS + 60
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SignedRequest:
    """What the API hands to the key check for every request (headers may be missing)."""

    method: str
    path: str
    timestamp: str | None
    signature: str | None
    body: bytes = b""

    def __repr__(self) -> str:  # no signature in tracebacks or logs
        return f"SignedRequest({self.method} {self.path})"


class Verdict(StrEnum):
    OK = "ok"
    MISSING = "missing"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE = "stale"
    MISMATCH = "mismatch"
    REPLAYED = "replayed"


def build_message(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    """The exact bytes that are signed."""
    head = f"{method.upper()}|{path}|{timestamp}|".encode()
    return head + bytes(body)


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes = b"") -> str:
    """The `X-Signature` value for a request (what a client computes)."""
    message = build_message(method, path, timestamp, body)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(secret: str, signed: SignedRequest, *, now: float | None = None) -> Verdict:
    """Check a request's signature and timestamp (not the replay: see `claim_once`)."""
    if signed.timestamp is None or signed.signature is None:
        return Verdict.MISSING
    if not _TIMESTAMP.fullmatch(signed.timestamp):
        return Verdict.BAD_TIMESTAMP
    now = time.time() if now is None else now
    if abs(now - int(signed.timestamp)) > TOLERANCE_SECONDS:
        return Verdict.STALE
    expected = sign(secret, signed.method, signed.path, signed.timestamp, signed.body)
    # Compared as bytes: compare_digest refuses non-ASCII str, and a client may send anything.
    if not hmac.compare_digest(expected.encode(), signed.signature.encode("utf-8", "replace")):
        return Verdict.MISMATCH
    return Verdict.OK


def claim_once(key_id: int | str, signed: SignedRequest) -> bool:
    """Accept this (timestamp, signature) pair for this key once, across processes.

    `ratelimit.first_time` is one atomic statement (Redis SET NX, or an upsert on the
    database): exactly one caller wins. Only a verified signature reaches here, so it is
    canonical lowercase hex.
    """
    assert signed.signature is not None and _SIGNATURE.fullmatch(signed.signature)
    return ratelimit.first_time(f"apikeys:sig:{key_id}:{signed.timestamp}|{signed.signature}",
                                REPLAY_TTL_SECONDS)
