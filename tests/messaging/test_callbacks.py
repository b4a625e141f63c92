from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from messaging import callbacks
from messaging.models import Message

pytestmark = pytest.mark.django_db
URL = "https://portal.example/api/v1/sms/status"


def test_it_accepts_only_twilios_signature(settings):
    settings.TWILIO_AUTH_TOKEN = "12345678901234567890123456789012"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    good = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(URL, params)
    assert callbacks.signature_valid(URL, params, good)
    assert not callbacks.signature_valid(URL, {**params, "MessageStatus": "failed"}, good)
    assert not callbacks.signature_valid(URL + "?x=1", params, good)
    assert not callbacks.signature_valid(URL, params, "")


def test_without_a_twilio_token_nothing_is_accepted(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    assert not callbacks.signature_valid(URL, {}, RequestValidator("").compute_signature(URL, {}))


def test_a_report_moves_a_message_forward_but_never_back(alice):
    message = Message.objects.create(user=alice, to="+14155551234", body="x", provider_id="SM9")
    assert callbacks.apply_status("SM9", "sent")
    assert callbacks.apply_status("SM9", "delivered")
    assert callbacks.apply_status("SM9", "sent")  # late, out of order
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_a_failure_report_keeps_the_error_code(alice):
    message = Message.objects.create(user=alice, to="+14155551234", body="x", provider_id="SM8")
    callbacks.apply_status("SM8", "undelivered", "30003")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("undelivered", "30003")


def test_an_unknown_message_is_reported_as_such(db):
    assert not callbacks.apply_status("SM404", "delivered")
    assert not callbacks.apply_status("", "delivered")
