"""POST /sms/send, GET /sms/messages, GET /sms/stats and Twilio's status callback."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from messaging.models import Message
from portal import sms

from .conftest import call, error_code

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def test_sending_stores_and_hands_each_message_to_the_backend(client, key):
    response = call(client, "POST", "/api/v1/sms/send",
                    {"to": ["+14155551234", "+40712345678"], "message": "Hi", "sender_id": "Shop"},
                    key=key.full_key)
    assert response.status_code == 202
    data = response.json()
    stored = list(Message.objects.order_by("id"))
    assert data == {"status": True, "messages": [
        {"id": m.pk, "to": m.to, "status": "queued"} for m in stored]}
    assert [(m.to, m.sender) for m in sms.outbox] == [("+14155551234", "Shop"),
                                                      ("+40712345678", "Shop")]
    assert {m.key_id for m in stored} == {key.key.lookup_id}


@pytest.mark.parametrize("to", ["to=%2B14155551234&to=%2B40712345678",
                                "to=%2B14155551234%2C%2B40712345678"])
def test_a_form_body_takes_to_repeated_or_comma_separated(client, key, to):
    response = call(client, "POST", "/api/v1/sms/send", to + "&message=Hi", key=key.full_key,
                    content_type=FORM)
    assert response.status_code == 202, response.content
    assert [m.to for m in sms.outbox] == ["+14155551234", "+40712345678"]


def test_a_bad_number_is_named_and_nothing_is_sent(client, key):
    response = call(client, "POST", "/api/v1/sms/send",
                    {"to": ["+14155551234", "0712 345 678"], "message": "Hi"}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert "0712 345 678" in response.json()["error"]["fields"]["to"][0]
    assert not sms.outbox and not Message.objects.exists()


@pytest.mark.parametrize("body", [{"to": "+14155551234"}, {"message": "x"},
                                  {"to": 5, "message": "x"}, {"to": [[1]], "message": "x"},
                                  {"to": ["+14155551234"], "message": ""},
                                  {"to": [], "message": "x"}])
def test_incomplete_sends_are_validation_errors(client, key, body):
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert not sms.outbox


def test_messages_are_listed_newest_first_and_only_the_accounts(client, key, make_key, mallory):
    for n in range(3):
        call(client, "POST", "/api/v1/sms/send", {"to": ["+14155551234"], "message": f"m{n}"},
             key=key.full_key)
    Message.objects.create(user=mallory, to="+14155551234", body="theirs")
    data = call(client, "GET", "/api/v1/sms/messages", key=key.full_key).json()
    assert [m["message"] for m in data["messages"]] == ["m2", "m1", "m0"]
    assert (data["page"], data["pages"], data["total"]) == (1, 1, 3)
    assert set(data["messages"][0]) == {"id", "to", "message", "sender_id", "status", "test",
                                        "created_at", "updated_at"}
    assert data["messages"][0]["test"] is False


def test_stats_count_what_was_sent(client, key):
    call(client, "POST", "/api/v1/sms/send", {"to": ["+14155551234"], "message": "x"},
         key=key.full_key)
    data = call(client, "GET", "/api/v1/sms/stats?period=7d", key=key.full_key).json()
    assert (data["period"], data["sent"], data["failed"]) == ("7d", 1, 0)
    assert len(data["by_day"]) == 7 and data["by_day"][-1]["sent"] == 1
    assert call(client, "GET", "/api/v1/sms/stats", key=key.full_key).json()["period"] == "7d"
    assert len(call(client, "GET", "/api/v1/sms/stats?period=90d",
                    key=key.full_key).json()["by_day"]) == 90


@pytest.mark.parametrize("period", ["0d", "91d", "7", "d", "7w", "1000d", "-1d"])
def test_a_period_outside_1d_to_90d_is_refused(client, key, period):
    response = call(client, "GET", f"/api/v1/sms/stats?period={period}", key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


CALLBACK = "https://portal.example/api/v1/sms/status"
TOKEN = "twilio-auth-token-for-tests-0123"


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_STATUS_CALLBACK_URL = CALLBACK


def _report(client, params, signature):
    return client.post("/api/v1/sms/status", urlencode(params), content_type=FORM,
                       headers={"X-Twilio-Signature": signature})


def test_a_signed_delivery_report_updates_the_message(client, alice, twilio_settings):
    message = Message.objects.create(user=alice, to="+14155551234", body="x", provider_id="SMa")
    params = {"MessageSid": "SMa", "MessageStatus": "delivered", "AccountSid": "AC1"}
    signature = RequestValidator(TOKEN).compute_signature(CALLBACK, params)
    response = _report(client, params, signature)
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered"


@pytest.mark.parametrize("signature", ["", "bm9wZQ==", None])
def test_an_unsigned_or_forged_report_is_403(client, alice, twilio_settings, signature):
    message = Message.objects.create(user=alice, to="+14155551234", body="x", provider_id="SMb")
    params = {"MessageSid": "SMb", "MessageStatus": "failed"}
    if signature is None:  # signed for other fields
        signature = RequestValidator(TOKEN).compute_signature(
            CALLBACK, {**params, "MessageStatus": "delivered"})
    response = _report(client, params, signature)
    assert (response.status_code, error_code(response)) == (403, "FORBIDDEN")
    message.refresh_from_db()
    assert message.status == "queued"


def test_a_report_signed_with_another_token_is_403(client, alice, twilio_settings):
    params = {"MessageSid": "SMc", "MessageStatus": "failed"}
    signature = RequestValidator("another-token").compute_signature(CALLBACK, params)
    assert _report(client, params, signature).status_code == 403
