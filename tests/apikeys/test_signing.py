from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apikeys import crypto
from apikeys.signing import (
    SignedRequest,
    Verdict,
    build_message,
    claim_once,
    sign,
    verify_signature,
)

SECRET = "Zx8kQ2mN5pR7tV9wY1aC3eG5iK7mO9qS1uW3yA5cE7g"
NOW = 1_700_000_000


def signed(method="POST", path="/api/v1/sms/send", ts=str(NOW), body=b'{"to":["+1"]}',
           secret=SECRET, signature=None) -> SignedRequest:
    sig = signature if signature is not None else sign(secret, method, path, ts, body)
    return SignedRequest(method, path, ts, sig, body)


def test_the_message_is_method_path_timestamp_body_joined_by_bars():
    assert build_message("post", "/api/v1/keys", "123", b"{}") == b"POST|/api/v1/keys|123|{}"
    expected = hmac.new(SECRET.encode(), b"GET|/api/v1/sms/stats|123|", hashlib.sha256)
    assert sign(SECRET, "GET", "/api/v1/sms/stats", "123") == expected.hexdigest()


def test_a_correct_signature_within_the_window_is_accepted():
    assert verify_signature(SECRET, signed(), now=NOW) is Verdict.OK
    assert verify_signature(SECRET, signed(), now=NOW + 300) is Verdict.OK
    assert verify_signature(SECRET, signed(), now=NOW - 300) is Verdict.OK


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_it_refuses_a_timestamp_outside_300_seconds_either_way(skew):
    assert verify_signature(SECRET, signed(), now=NOW + skew) is Verdict.STALE


@pytest.mark.parametrize("ts", ["", "12.5", "-5", " 1700000000", "1e9", "１７", "9" * 13])
def test_it_refuses_a_timestamp_that_is_not_whole_seconds(ts):
    assert verify_signature(SECRET, signed(ts=ts), now=NOW) is Verdict.BAD_TIMESTAMP


def test_missing_headers_are_reported_as_missing():
    assert verify_signature(SECRET, SignedRequest("GET", "/", None, "ab"), now=NOW) is \
        Verdict.MISSING
    assert verify_signature(SECRET, SignedRequest("GET", "/", "1", None), now=NOW) is \
        Verdict.MISSING


@pytest.mark.parametrize("signature", ["", "zz", "é" * 64, "\x00", "A" * 64])
def test_junk_signatures_are_a_mismatch_not_an_error(signature):
    assert verify_signature(SECRET, signed(signature=signature), now=NOW) is Verdict.MISMATCH


def test_an_upper_case_signature_is_refused_so_it_cannot_be_replayed_as_a_new_pair():
    good = signed()
    upper = SignedRequest(good.method, good.path, good.timestamp, good.signature.upper(),
                          good.body)
    assert verify_signature(SECRET, upper, now=NOW) is Verdict.MISMATCH


def test_the_secret_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    verify_signature(SECRET, signed(), now=NOW)
    assert calls


@settings(max_examples=200, deadline=None)
@given(part=st.sampled_from(["method", "path", "ts", "body", "secret", "signature"]),
       data=st.data())
def test_any_change_to_any_part_fails(part, data):
    body = data.draw(st.binary(min_size=0, max_size=64))
    path = "/api/v1/" + data.draw(st.text("abcdefghij%2F", min_size=1, max_size=20))
    request = signed(path=path, body=body)
    assert verify_signature(SECRET, request, now=NOW) is Verdict.OK

    def flip(value: bytes) -> bytes:
        if not value:
            return b"x"
        i = data.draw(st.integers(0, len(value) - 1))
        return value[:i] + bytes([value[i] ^ data.draw(st.integers(1, 255))]) + value[i + 1 :]

    changed = {
        "method": lambda: SignedRequest("PUT", path, request.timestamp, request.signature, body),
        "path": lambda: SignedRequest("POST", path + "x", request.timestamp, request.signature,
                                      body),
        "ts": lambda: SignedRequest("POST", path, str(NOW + 1), request.signature, body),
        "body": lambda: SignedRequest("POST", path, request.timestamp, request.signature,
                                      flip(body)),
        "secret": lambda: signed(path=path, body=body, secret=SECRET[:-1] + "!"),
        "signature": lambda: SignedRequest(
            "POST", path, request.timestamp,
            flip(request.signature.encode()).decode("latin-1"), body),
    }[part]()
    assert verify_signature(SECRET, changed, now=NOW) is not Verdict.OK


@pytest.mark.django_db
def test_each_timestamp_and_signature_pair_is_accepted_once_per_key():
    request = signed(ts=str(int(time.time())))
    assert claim_once(1, request) is True
    assert claim_once(1, request) is False
    assert claim_once(2, request) is True  # another key's nonce space


def test_the_signing_secret_is_stored_encrypted_and_reads_back():
    token = crypto.encrypt(SECRET)
    assert SECRET not in token
    assert crypto.decrypt(token) == SECRET


def test_the_encryption_key_can_be_rotated(settings):
    settings.KEY_ENCRYPTION_KEY = ["old material"]
    old = crypto.encrypt(SECRET)
    settings.KEY_ENCRYPTION_KEY = ["new material", "old material"]
    assert crypto.decrypt(old) == SECRET
    settings.KEY_ENCRYPTION_KEY = ["new material"]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("not a token")
