"""Each way to authenticate, each refusal of the key check through the API, and scopes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apikeys import flows, keyformat
from apikeys.models import APIKey
from security.models import EventType, IPWhitelistEntry, SecurityEvent

from .conftest import call, error_code, times_used

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
SEND = {"to": ["+14155551234"], "message": "Hello"}


def test_x_api_key_authenticates(client, key):
    response = call(client, "GET", "/api/v1/me", key=key.full_key)
    assert response.status_code == 200
    assert response.json()["key"] == {"id": key.key.lookup_id, "scopes": key.key.scopes}
    assert times_used(key) == 1


def test_the_legacy_apikey_header_authenticates(client, key):
    response = call(client, "GET", "/api/v1/me", headers={"apiKey": key.full_key})
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"


def test_smsuser_and_smskey_in_a_form_body_authenticate(client, key):
    body = urlencode({"smsUser": "alice", "smsKey": key.full_key, "to": "+14155551234",
                      "message": "Hello"})
    response = call(client, "POST", "/api/v1/sms/send", body, content_type=FORM)
    assert response.status_code == 202, response.content
    assert times_used(key) == 1


def test_smsuser_and_smskey_in_a_json_body_authenticate(client, key):
    body = {**SEND, "smsUser": "alice", "smsKey": key.full_key}
    assert call(client, "POST", "/api/v1/sms/send", body).status_code == 202


def test_a_wrong_smsuser_is_an_invalid_key_and_not_a_use(client, key, mallory):
    body = {**SEND, "smsUser": "mallory", "smsKey": key.full_key}
    response = call(client, "POST", "/api/v1/sms/send", body)
    assert (response.status_code, error_code(response)) == (401, "INVALID_API_KEY")
    assert times_used(key) == 0


def test_smskey_without_smsuser_is_refused(client, key):
    response = call(client, "POST", "/api/v1/sms/send", {**SEND, "smsKey": key.full_key})
    assert (response.status_code, error_code(response)) == (401, "INVALID_API_KEY")


@pytest.mark.parametrize("query", ["smsUser=alice&smsKey={key}", "smsKey={key}", "apiKey={key}",
                                   "SMSKEY={key}"])
def test_credentials_in_the_query_string_are_refused(client, key, query):
    path = "/api/v1/me?" + query.format(key=key.full_key)
    response = call(client, "GET", path, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "KEY_IN_URL")
    assert key.full_key not in response.content.decode()
    assert times_used(key) == 0


def test_the_setting_allows_smsuser_and_smskey_in_the_query_string(client, key, settings):
    settings.API_ALLOW_KEY_IN_QUERY = True
    response = call(client, "GET", f"/api/v1/me?smsUser=alice&smsKey={key.full_key}")
    assert response.status_code == 200
    # ... but never a password or another credential name.
    response = call(client, "GET", f"/api/v1/me?apiKey={key.full_key}", key=key.full_key)
    assert error_code(response) == "KEY_IN_URL"


def test_no_credentials_is_auth_required(client, db):
    response = call(client, "GET", "/api/v1/me")
    assert (response.status_code, error_code(response)) == (401, "AUTH_REQUIRED")


def test_two_ways_at_once_are_refused(client, key):
    response = call(client, "GET", "/api/v1/me",
                    headers={"X-API-Key": key.full_key, "apiKey": key.full_key})
    assert (response.status_code, error_code(response)) == (401, "AUTH_REQUIRED")
    assert "exactly one way" in response.json()["error"]["message"]
    assert times_used(key) == 0


def test_a_malformed_key_is_refused(client, key):
    broken = key.full_key[:-1] + ("A" if key.full_key[-1] != "A" else "B")
    response = call(client, "GET", "/api/v1/me", key=broken)
    assert (response.status_code, error_code(response)) == (401, "INVALID_API_KEY")


def test_an_unknown_key_is_refused(client, db):
    response = call(client, "GET", "/api/v1/me", key=keyformat.generate().full)
    assert (response.status_code, error_code(response)) == (401, "INVALID_API_KEY")


def test_a_revoked_key_is_refused_on_the_very_next_request(client, key):
    assert call(client, "GET", "/api/v1/me", key=key.full_key).status_code == 200
    flows.revoke_key(None, key.key)
    response = call(client, "GET", "/api/v1/me", key=key.full_key)
    assert (response.status_code, error_code(response)) == (401, "KEY_REVOKED")
    assert times_used(key) == 1


def test_an_expired_key_is_refused(client, make_key):
    created = make_key()
    APIKey.objects.filter(pk=created.key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    response = call(client, "GET", "/api/v1/me", key=created.full_key)
    assert (response.status_code, error_code(response)) == (401, "KEY_EXPIRED")


def test_a_default_key_locked_elsewhere_is_refused_by_ip(client, make_key):
    created = make_key(type=APIKey.Type.DEFAULT)
    APIKey.objects.filter(pk=created.key.pk).update(locked_ip="198.51.100.9")
    response = call(client, "GET", "/api/v1/me", key=created.full_key)
    assert (response.status_code, error_code(response)) == (403, "IP_NOT_ALLOWED")
    assert SecurityEvent.objects.filter(type=EventType.REQUEST_BLOCKED).exists()


def test_a_default_key_locks_to_its_first_ip(client, make_key):
    created = make_key(type=APIKey.Type.DEFAULT)
    assert call(client, "GET", "/api/v1/me", key=created.full_key).status_code == 200
    assert APIKey.objects.get(pk=created.key.pk).locked_ip == "127.0.0.1"
    other = call(client, "GET", "/api/v1/me", key=created.full_key, REMOTE_ADDR="198.51.100.9")
    assert error_code(other) == "IP_NOT_ALLOWED"


def test_the_accounts_api_whitelist_applies_to_keys(client, key, alice):
    IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.0/24")
    response = call(client, "GET", "/api/v1/me", key=key.full_key)
    assert (response.status_code, error_code(response)) == (403, "IP_NOT_ALLOWED")
    allowed = call(client, "GET", "/api/v1/me", key=key.full_key, REMOTE_ADDR="203.0.113.5")
    assert allowed.status_code == 200


def test_a_spoofed_forwarded_for_does_not_pass_the_whitelist(client, key, alice):
    IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.5")
    response = call(client, "GET", "/api/v1/me", key=key.full_key,
                    headers={"X-Forwarded-For": "203.0.113.5"})
    assert error_code(response) == "IP_NOT_ALLOWED"


@pytest.mark.parametrize("method,path,scope", [
    ("GET", "/api/v1/keys", "keys:read"),
    ("POST", "/api/v1/keys", "keys:write"),
    ("POST", "/api/v1/sms/send", "sms:send"),
    ("GET", "/api/v1/sms/messages", "sms:read"),
    ("GET", "/api/v1/sms/stats", "sms:read"),
])
def test_each_endpoint_needs_its_scope(client, make_key, method, path, scope):
    others = [s for s in ["sms:send", "sms:read", "keys:read", "keys:write", "account:read",
                          "verify"] if s != scope]
    without = make_key(scopes=others)
    body = {"description": "x"} if path == "/api/v1/keys" else SEND
    payload = body if method == "POST" else None
    response = call(client, method, path, payload, key=without.full_key)
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")
    assert times_used(without) == 0
    only = make_key(scopes=[scope])
    assert call(client, method, path, payload, key=only.full_key).status_code in (200, 201, 202)


def test_me_needs_no_particular_scope(client, make_key):
    created = make_key(scopes=["sms:send"])
    response = call(client, "GET", "/api/v1/me", key=created.full_key)
    assert response.json()["key"]["scopes"] == ["sms:send"]


def test_the_rate_limit_answers_429_with_retry_after(client, make_key):
    created = make_key()
    APIKey.objects.filter(pk=created.key.pk).update(rate_limit_per_minute=2)
    for _ in range(2):
        assert call(client, "GET", "/api/v1/me", key=created.full_key).status_code == 200
    response = call(client, "GET", "/api/v1/me", key=created.full_key)
    assert (response.status_code, error_code(response)) == (429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert times_used(created) == 2


def test_a_key_of_a_disabled_account_is_refused(client, key, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert error_code(call(client, "GET", "/api/v1/me", key=key.full_key)) == "INVALID_API_KEY"


def test_the_key_never_appears_in_an_error(client, key):
    flows.revoke_key(None, key.key)
    response = call(client, "GET", "/api/v1/me", key=key.full_key)
    assert key.full_key not in response.content.decode()


def test_a_wrong_smsuser_is_refused_in_the_readers_language(client, key, mallory):
    body = {**SEND, "smsUser": "mallory", "smsKey": key.full_key}
    response = call(client, "POST", "/api/v1/sms/send", body, HTTP_ACCEPT_LANGUAGE="ro")
    assert response.json()["error"]["message"] == (
        "Cheia API nu este validă: smsUser nu este proprietarul cheii.")
