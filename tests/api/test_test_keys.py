"""Test keys through the API: made with "mode": "test", their messages reach no phone, are
stored as test, answer as sent and count against no limit; test and live never see each
other's messages or statistics; a token sees test ones with ?mode=test."""

from __future__ import annotations

import pytest

from accounts.models import User
from messaging.models import Message
from portal import sms

from .conftest import call, error_code, times_used
from .test_sub_users import SEND, token

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_key(make_key):
    return make_key(mode="test")


def test_a_token_makes_a_test_key_and_a_key_only_its_own_mode(client, alice, key, test_key):
    headers = token(client, "alice")
    made = call(client, "POST", "/api/v1/keys", {"description": "staging", "type": "cloud",
                                                 "mode": "test"}, headers=headers)
    assert made.status_code == 201
    assert made.json()["api_key"].startswith("sk_test_")
    assert made.json()["key"]["mode"] == "test" and made.json()["key"]["masked"].startswith(
        "sk_test_")
    refused = call(client, "POST", "/api/v1/keys", {"description": "x", "type": "cloud",
                                                    "mode": "test"}, key=key.full_key)
    assert (refused.status_code, error_code(refused)) == (403, "INSUFFICIENT_SCOPE")
    assert "live key creates only live keys" in refused.json()["error"]["message"]
    child = call(client, "POST", "/api/v1/keys", {"description": "child", "type": "cloud"},
                 key=test_key.full_key)
    assert child.status_code == 201 and child.json()["key"]["mode"] == "test"
    bad = call(client, "POST", "/api/v1/keys", {"description": "x", "mode": "sandbox"},
               headers=headers)
    assert (bad.status_code, error_code(bad)) == (400, "VALIDATION_ERROR")


def test_a_test_keys_message_reaches_no_phone_and_answers_as_sent(client, test_key):
    response = call(client, "POST", "/api/v1/sms/send",
                    {"to": ["+14155551234", "+40712345678"], "message": "Hello"},
                    key=test_key.full_key)
    assert response.status_code == 202
    assert [m["status"] for m in response.json()["messages"]] == ["sent", "sent"]
    assert not sms.outbox
    stored = list(Message.objects.order_by("id"))
    assert [(m.test, m.status, m.provider_id, m.key_id) for m in stored] == [
        (True, "sent", "", test_key.key.lookup_id)] * 2
    assert times_used(test_key) == 1


def test_a_live_keys_message_still_goes_out(client, key):
    call(client, "POST", "/api/v1/sms/send", SEND, key=key.full_key)
    assert len(sms.outbox) == 1 and Message.objects.get().test is False


def test_test_messages_count_against_no_sub_users_limit(client, alice, make_user, make_key):
    sam = make_user("sam", owner=alice, permissions=["send_sms"], monthly_limit=1)
    sams_test_key = make_key(sam, mode="test", scopes=["sms:send"])
    for _ in range(3):
        response = call(client, "POST", "/api/v1/sms/send", SEND, key=sams_test_key.full_key)
        assert response.status_code == 202
    headers = token(client, "sam")
    assert call(client, "POST", "/api/v1/sms/send", SEND, headers=headers).status_code == 202
    refused = call(client, "POST", "/api/v1/sms/send", SEND, headers=headers)
    assert error_code(refused) == "LIMIT_REACHED"
    assert len(sms.outbox) == 1
    assert User.objects.get(pk=sam.pk).monthly_limit == 1


def _send_both(client, key, test_key):
    call(client, "POST", "/api/v1/sms/send", {"to": ["+14155551234"], "message": "live one"},
         key=key.full_key)
    for text in ("test one", "test two"):
        call(client, "POST", "/api/v1/sms/send", {"to": ["+14155551234"], "message": text},
             key=test_key.full_key)


def listed(client, **auth) -> list[str]:
    path = auth.pop("path", "/api/v1/sms/messages")
    response = call(client, "GET", path, **auth)
    assert response.status_code == 200, response.content
    return [m["message"] for m in response.json()["messages"]]


def test_test_and_live_keys_never_see_each_others_messages(client, key, test_key):
    _send_both(client, key, test_key)
    assert listed(client, key=key.full_key) == ["live one"]
    assert listed(client, key=test_key.full_key) == ["test two", "test one"]
    assert listed(client, key=test_key.full_key, path="/api/v1/sms/messages?mode=test") == [
        "test two", "test one"]
    data = call(client, "GET", "/api/v1/sms/messages", key=test_key.full_key).json()
    assert data["total"] == 2 and all(m["test"] for m in data["messages"])
    for who, other in ((key, "test"), (test_key, "live")):
        for path in ("/api/v1/sms/messages", "/api/v1/sms/stats"):
            response = call(client, "GET", f"{path}?mode={other}", key=who.full_key)
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN")


def test_a_token_sees_live_messages_and_test_ones_when_it_asks(client, alice, key, test_key):
    _send_both(client, key, test_key)
    headers = token(client, "alice")
    assert listed(client, headers=headers) == ["live one"]
    assert listed(client, headers=headers, path="/api/v1/sms/messages?mode=live") == [
        "live one"]
    assert listed(client, headers=headers, path="/api/v1/sms/messages?mode=test") == [
        "test two", "test one"]
    bad = call(client, "GET", "/api/v1/sms/messages?mode=both", headers=headers)
    assert (bad.status_code, error_code(bad)) == (400, "VALIDATION_ERROR")


def test_statistics_are_kept_apart_too(client, alice, key, test_key):
    _send_both(client, key, test_key)

    def sent(**auth) -> int:
        path = auth.pop("path", "/api/v1/sms/stats?period=1d")
        return call(client, "GET", path, **auth).json()["sent"]

    headers = token(client, "alice")
    assert sent(key=key.full_key) == 1 and sent(key=test_key.full_key) == 2
    assert sent(headers=headers) == 1
    assert sent(headers=headers, path="/api/v1/sms/stats?period=1d&mode=test") == 2


def test_the_document_shows_the_mode(client):
    document = client.get("/api/v1/openapi.json").json()
    parameters = document["paths"]["/api/v1/sms/messages"]["get"]["parameters"]
    assert "mode" in {p["name"] for p in parameters}
    create = document["components"]["schemas"]["CreateKeyIn"]["properties"]["mode"]
    assert "sk_test_" in create["description"]
