"""The OpenAPI document says exactly what the server accepts: each input the document calls
invalid is refused, each it calls valid is taken (or refused for the state of things, 409),
and every answer that can come is listed. What schemathesis found, one case each."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apikeys.models import APIKey, KeyWhitelistEntry
from messaging.models import Message
from portal.api.schemas import OUTAGE

from .conftest import call, error_code
from .document import documented, validator

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").json()


@pytest.mark.parametrize("period, valid", [
    ("1d", True), ("9d", True), ("10d", True), ("89d", True), ("90d", True),
    ("0d", False), ("91d", False), ("07d", False), ("7d\n", False), ("7D", False),
    ("x", False), ("", False),
])
def test_the_stats_period_is_one_to_ninety_days_as_the_document_says(client, key, document,
                                                                    period, valid):
    parameter = document["paths"]["/api/v1/sms/stats"]["get"]["parameters"][0]
    assert validator(parameter["schema"]).is_valid(period) is valid
    response = call(client, "GET", "/api/v1/sms/stats", key=key.full_key,
                    QUERY_STRING=f"period={period}")
    assert response.status_code == (200 if valid else 400), response.content


@pytest.mark.parametrize("body", [
    {"description": ""}, {"description": " \u3000\t"}, {"description": "x", "scopes": []},
    {"description": "x", "type": "zoho_crm", "scopes": []}, {"description": "x" * 201},
    {"description": "x", "scopes": ["sms:nothing"]}, {"description": "x", "signing": 1},
    {"description": "x", "type": "other"}, {"description": "x", "expires_at": 5},
    {"description": "x", "mode": "staging"}, {"description": "x", "mode": 1},
])
def test_a_key_the_document_refuses_is_refused(client, key, document, body):
    assert not documented(document, "CreateKeyIn", body)
    before = APIKey.objects.count()
    response = call(client, "POST", "/api/v1/keys", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert APIKey.objects.count() == before


@pytest.mark.parametrize("body", [
    {"description": "  a  "}, {"description": " " + "x" * 200 + " "},
    {"description": "x", "type": "zoho_crm"}, {"description": "x", "scopes": ["sms:read"]},
    {"description": "x", "expires_at": "", "signing": None, "scopes": None},
    {"description": "x", "mode": ""}, {"description": "x", "mode": None},
    {"description": "x", "mode": "live"},
])
def test_a_key_the_document_takes_is_taken(client, key, document, body):
    assert documented(document, "CreateKeyIn", body)
    response = call(client, "POST", "/api/v1/keys", body, key=key.full_key)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("body", [b"true", b"1", b'"x"', b"[]", b'{"grace_seconds": true}',
                                  b'{"grace_seconds": "5"}', b'{"grace_seconds": 1.5}'])
def test_a_regenerate_body_that_is_not_an_object_of_integers_is_refused(client, key, make_key,
                                                                        body):
    target = make_key()
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/regenerate", body,
                    key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    target.key.refresh_from_db()
    assert target.key.is_active()


def test_a_whole_float_is_an_integer_as_json_schema_has_it(client, key, make_key):
    target = make_key()
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/regenerate",
                    b'{"grace_seconds": 60.0}', key=key.full_key)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("body", [
    {"to": ["+14155551234"], "message": " \n "},
    {"to": ["+14155551234\n"], "message": "hi"},
    {"to": ["+14155551234,+40712345678"], "message": "hi"},
    {"to": ["+14155551234"], "message": "hi", "sender_id": "Shop\n"},
    {"to": ["+14155551234"], "message": "hi", "sender_id": "12345"},
    {"to": ["+14155551234"], "message": "x" * 1601},
])
def test_a_send_the_document_refuses_is_refused_and_nothing_is_sent(client, key, document, body):
    assert not documented(document, "SendIn", body)
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", [
    {"to": " +14155551234 ,, +40712345678, ", "message": " hi "},
    {"to": ["+14155551234"], "message": "hi", "sender_id": "1 Shop"},
    {"to": ["+14155551234"], "message": "hi", "sender_id": "+40712345678"},
    {"to": ["+14155551234"], "message": "hi", "sender_id": ""},
])
def test_a_send_the_document_takes_is_sent(client, key, document, body):
    assert documented(document, "SendIn", body)
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert response.status_code == 202, response.content


@pytest.mark.parametrize("page", ["+1", " 1", "1_0", "1.0", "01"])
def test_a_page_is_digits_only(client, key, page):
    response = call(client, "GET", "/api/v1/keys", key=key.full_key, QUERY_STRING=f"page={page}")
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


def test_an_address_already_on_the_whitelist_is_a_conflict(client, key, make_key):
    target = make_key(type=APIKey.Type.DEFAULT)
    path = f"/api/v1/keys/{target.key.lookup_id}/whitelist"
    assert call(client, "POST", path, {"value": "2001:DB8::1"}, key=key.full_key).status_code \
        == 201
    response = call(client, "POST", path, {"value": " 2001:db8::1 "}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert "already" in response.json()["error"]["message"]
    assert KeyWhitelistEntry.objects.count() == 1


def test_a_full_whitelist_is_a_conflict(client, key, make_key):
    target = make_key(type=APIKey.Type.DEFAULT)
    KeyWhitelistEntry.objects.bulk_create(
        KeyWhitelistEntry(key=target.key, value=f"10.0.{n // 256}.{n % 256}") for n in range(100))
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/whitelist",
                    {"value": "192.0.2.1"}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert KeyWhitelistEntry.objects.count() == 100


@override_settings(API_KEYS_MAX_PER_ACCOUNT=2)
def test_an_account_at_its_limit_of_keys_is_a_conflict(client, key, make_key):
    make_key()
    response = call(client, "POST", "/api/v1/keys", {"description": "one more"},
                    key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert APIKey.objects.count() == 2


def test_every_operation_lists_the_outage_answer_and_its_conflicts(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert str(OUTAGE) in operation["responses"], (method, path)
            # gunicorn's own answer to a request line over its limit, found by schemathesis.
            assert set(operation["responses"]["414"]["content"]) == {"text/html"}
    assert "409" in document["paths"]["/api/v1/keys"]["post"]["responses"]
