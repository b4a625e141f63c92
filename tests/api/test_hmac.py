"""HMAC signing through the API, with test vectors computed here with the hmac module."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from freezegun import freeze_time

from apikeys.signing import SignedRequest, Verdict, build_message, verify_signature

from .conftest import call, error_code, times_used

pytestmark = pytest.mark.django_db

# A fixed vector: secret, method, path, timestamp and body, and the signature expected.
VECTOR_SECRET = "s3cr3t-Signing-Secret-0123456789abcdefghijk"
VECTOR = ("POST", "/api/v1/sms/send", "1700000000", b'{"to":["+14155551234"],"message":"Hi"}')


def expected_signature(secret: str, method: str, path: str, ts: str, body: bytes) -> str:
    """Computed independently of apikeys.signing, straight from API.md."""
    message = method.encode() + b"|" + path.encode() + b"|" + ts.encode() + b"|" + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def test_the_vector_matches_a_hand_computed_signature():
    # The same digest spelled out: HMAC-SHA256 over the message of API.md.
    assert expected_signature(VECTOR_SECRET, *VECTOR) == hmac.new(
        VECTOR_SECRET.encode(),
        b'POST|/api/v1/sms/send|1700000000|{"to":["+14155551234"],"message":"Hi"}',
        "sha256",
    ).hexdigest()
    assert build_message(*VECTOR) == (
        b'POST|/api/v1/sms/send|1700000000|{"to":["+14155551234"],"message":"Hi"}')
    signed = SignedRequest(*VECTOR[:3], expected_signature(VECTOR_SECRET, *VECTOR), VECTOR[3])
    assert verify_signature(VECTOR_SECRET, signed, now=1700000000) is Verdict.OK


@pytest.fixture
def signing_key(make_key):
    return make_key(signing=True)


def signed_headers(created, method, path, body=b"", ts=None, signature=None):
    ts = str(int(time.time())) if ts is None else ts
    sig = signature or expected_signature(created.signing_secret, method, path, ts, body)
    return {"X-API-Key": created.full_key, "X-Timestamp": ts, "X-Signature": sig}


def test_a_signed_get_is_accepted(client, signing_key):
    headers = signed_headers(signing_key, "GET", "/api/v1/me")
    assert call(client, "GET", "/api/v1/me", headers=headers).status_code == 200


def test_a_signed_post_is_accepted_over_the_raw_body(client, signing_key):
    body = b'{"to": ["+14155551234"],   "message": "Hi"}'  # spacing kept as sent
    headers = signed_headers(signing_key, "POST", "/api/v1/sms/send", body)
    response = call(client, "POST", "/api/v1/sms/send", body, headers=headers)
    assert response.status_code == 202, response.content


def test_a_changed_body_is_refused(client, signing_key):
    headers = signed_headers(signing_key, "POST", "/api/v1/sms/send", b'{"message": "Hi"}')
    response = call(client, "POST", "/api/v1/sms/send", b'{"message": "Hi!"}', headers=headers)
    assert (response.status_code, error_code(response)) == (401, "INVALID_SIGNATURE")


def test_missing_headers_are_signature_required(client, signing_key):
    for missing in ("X-Timestamp", "X-Signature"):
        headers = signed_headers(signing_key, "GET", "/api/v1/me")
        del headers[missing]
        response = call(client, "GET", "/api/v1/me", headers=headers)
        assert (response.status_code, error_code(response)) == (401, "SIGNATURE_REQUIRED")
    assert times_used(signing_key) == 0


def test_a_replayed_pair_is_refused(client, signing_key):
    headers = signed_headers(signing_key, "GET", "/api/v1/me")
    assert call(client, "GET", "/api/v1/me", headers=headers).status_code == 200
    again = call(client, "GET", "/api/v1/me", headers=headers)
    assert (again.status_code, error_code(again)) == (401, "INVALID_SIGNATURE")
    assert "already" in again.json()["error"]["message"]
    assert times_used(signing_key) == 1


@pytest.mark.parametrize("offset,ok", [(-301, False), (301, False), (-300, True), (300, True)])
def test_the_timestamp_window_is_300_seconds_both_ways(client, signing_key, offset, ok):
    with freeze_time("2026-05-01 12:00:00"):
        ts = str(int(time.time()) + offset)
        headers = signed_headers(signing_key, "GET", "/api/v1/me", ts=ts)
        response = call(client, "GET", "/api/v1/me", headers=headers)
    if ok:
        assert response.status_code == 200
    else:
        assert (response.status_code, error_code(response)) == (401, "INVALID_SIGNATURE")
        assert "300 seconds" in response.json()["error"]["message"]


def test_a_signature_over_the_path_with_its_query_string_is_refused(client, signing_key):
    path = "/api/v1/sms/stats?period=7d"
    headers = signed_headers(signing_key, "GET", path)
    response = call(client, "GET", path, headers=headers)
    assert (response.status_code, error_code(response)) == (401, "INVALID_SIGNATURE")
    good = signed_headers(signing_key, "GET", "/api/v1/sms/stats")
    assert call(client, "GET", path, headers=good).status_code == 200


def test_the_path_is_signed_as_sent_percent_encoded(client, signing_key):
    # gunicorn hands the request line's target over as RAW_URI; the test client does not,
    # so it is set here as gunicorn would (the live gunicorn test covers the real thing).
    raw = "/api/v1/keys/%41bc"
    headers = signed_headers(signing_key, "GET", raw)
    response = call(client, "GET", raw, headers=headers, RAW_URI=raw + "?page=1")
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")
    decoded = signed_headers(signing_key, "GET", "/api/v1/keys/Abc")
    response = call(client, "GET", raw, headers=decoded, RAW_URI=raw)
    assert error_code(response) == "INVALID_SIGNATURE"


def test_without_the_raw_target_the_path_is_encoded_as_clients_do(client, signing_key):
    raw = "/api/v1/keys/caf%C3%A9"
    headers = signed_headers(signing_key, "GET", raw)
    response = call(client, "GET", raw, headers=headers)
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")


def test_a_signature_of_another_method_is_refused(client, signing_key):
    headers = signed_headers(signing_key, "POST", "/api/v1/me")
    assert error_code(call(client, "GET", "/api/v1/me", headers=headers)) == "INVALID_SIGNATURE"


def test_an_uppercase_or_garbled_signature_is_refused(client, signing_key):
    headers = signed_headers(signing_key, "GET", "/api/v1/me")
    for bad in (headers["X-Signature"].upper(), "zz" * 32, "é" * 64, ""):
        response = call(client, "GET", "/api/v1/me", headers={**headers, "X-Signature": bad})
        assert response.status_code == 401, bad


def test_signing_with_smsuser_and_smskey_in_the_body(client, signing_key):
    body = (b'{"smsUser": "alice", "smsKey": "' + signing_key.full_key.encode()
            + b'", "to": ["+14155551234"], "message": "Hi"}')
    ts = str(int(time.time()))
    sig = expected_signature(signing_key.signing_secret, "POST", "/api/v1/sms/send", ts, body)
    response = call(client, "POST", "/api/v1/sms/send", body,
                    headers={"X-Timestamp": ts, "X-Signature": sig})
    assert response.status_code == 202, response.content
