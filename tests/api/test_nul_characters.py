"""A NUL character anywhere a client can put text is a clear 4xx, never a 500.

PostgreSQL refuses NUL in text ("text fields cannot contain NUL"), so a NUL that reached a
query or an INSERT was a 500 there (found by schemathesis on POST /api/v1/user/auth). SQLite
takes it silently; these run on both databases.
"""

from __future__ import annotations

import pytest

from apikeys.models import APIKey
from messaging.models import Message

from .conftest import call, error_code

pytestmark = pytest.mark.django_db
NUL = "\x00"


@pytest.mark.parametrize("body", [
    {"login": f"al{NUL}ice", "password": "x"},
    {"login": "alice", "password": f"pass{NUL}word"},
    {"login": "alice", "password": "x", "otp": f"12{NUL}34"},
])
def test_a_sign_in_with_nul_is_a_validation_error(client, alice, body):
    response = call(client, "POST", "/api/v1/user/auth", body)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize("body", [
    {"to": ["+14155551234"], "message": f"hi{NUL}"},
    {"to": ["+14155551234"], "message": "hi", "sender_id": f"Shop{NUL}"},
    {"to": [f"+1415555{NUL}1234"], "message": "hi"},
])
def test_a_message_with_nul_is_refused_and_nothing_is_sent(client, key, body):
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert not Message.objects.exists()


def test_a_key_id_with_nul_is_not_found(client, key):
    response = call(client, "GET", "/api/v1/keys/abc%00def", key=key.full_key)
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")


@pytest.mark.parametrize("body", [
    {"description": f"Shop{NUL}", "type": "cloud"},
])
def test_a_key_created_with_nul_is_a_validation_error(client, key, body):
    response = call(client, "POST", "/api/v1/keys", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert APIKey.objects.count() == 1


@pytest.mark.parametrize("fields", ["userId=al%00ice&password=x", "userId=alice&password=x%00",
                                    "userId=alice&password=x&keyId=a%00"])
def test_regenerate_with_nul_credentials_is_refused_in_its_own_format(client, alice, fields):
    response = client.post("/api/v1/regenerateAPIKey", "format=json&" + fields,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["status"] == "error" and "NUL" in response.json()["reason"]


def test_a_whitelist_value_with_nul_is_a_validation_error(client, make_key):
    # A Default key: a Cloud key's whitelist cannot change at all (409, whatever the value).
    key = make_key(type=APIKey.Type.DEFAULT)
    response = call(client, "POST", f"/api/v1/keys/{key.key.lookup_id}/whitelist",
                    {"value": f"203.0.113.7{NUL}"}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert not key.key.whitelist.exists()


def test_smsuser_with_nul_is_an_invalid_key(client, key):
    body = {"to": ["+14155551234"], "message": "hi", "smsUser": f"al{NUL}ice",
            "smsKey": key.full_key}
    response = call(client, "POST", "/api/v1/sms/send", body)
    assert (response.status_code, error_code(response)) == (401, "INVALID_API_KEY")


def test_a_nul_in_a_form_body_is_refused_and_one_in_an_unknown_field_ignored(client, key):
    response = call(client, "POST", "/api/v1/sms/send", "to=%2B14155551234&message=hi%00",
                    key=key.full_key, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert "message" in response.json()["error"]["fields"]
    assert not Message.objects.exists()
    body = {"to": ["+14155551234"], "message": "hi", f"x{NUL}": f"y{NUL}"}
    assert call(client, "POST", "/api/v1/sms/send", body, key=key.full_key).status_code == 202
