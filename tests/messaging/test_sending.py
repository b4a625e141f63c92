from __future__ import annotations

import pytest

from messaging import sending
from messaging.models import Message
from portal import sms

pytestmark = pytest.mark.django_db


def test_it_sends_and_stores_one_message_per_recipient(alice):
    outgoing = sending.validate(["+14155551234", "+40712345678"], "Hello", "Shop")
    assert outgoing.errors == {}
    messages = sending.send_messages(alice, outgoing, key_id="abc")
    assert [m.to for m in messages] == ["+14155551234", "+40712345678"]
    assert [(m.to, m.body, m.sender) for m in sms.outbox] == [
        ("+14155551234", "Hello", "Shop"), ("+40712345678", "Hello", "Shop")]
    stored = Message.objects.filter(user=alice).order_by("id")
    assert [(m.to, m.status, m.key_id) for m in stored] == [
        ("+14155551234", "queued", "abc"), ("+40712345678", "queued", "abc")]
    assert all(m.provider_id for m in stored)


def test_it_takes_comma_separated_numbers_and_drops_repeats():
    outgoing = sending.validate("+14155551234, +40712345678,+14155551234", "Hi")
    assert outgoing.to == ["+14155551234", "+40712345678"]


@pytest.mark.parametrize("number", ["0712345678", "+4071234567", "+1 415 555 1234", "+0123",
                                    "", "+14155551234x", 14155551234, None])
def test_it_refuses_a_number_not_in_e164_and_names_it(number):
    outgoing = sending.validate(["+14155551234", number], "Hi")
    assert "to" in outgoing.errors
    if isinstance(number, str) and number:
        assert number in outgoing.errors["to"][0]


def test_it_refuses_an_empty_or_too_long_message(settings):
    settings.SMS_MAX_LENGTH = 10
    assert "message" in sending.validate(["+14155551234"], "  ").errors
    assert "message" in sending.validate(["+14155551234"], "x" * 11).errors
    assert sending.validate(["+14155551234"], "x" * 10).errors == {}


def test_it_refuses_too_many_recipients(settings):
    settings.SMS_MAX_RECIPIENTS = 2
    outgoing = sending.validate(["+14155551234", "+40712345678", "+40712345679"], "Hi")
    assert "to" in outgoing.errors


@pytest.mark.parametrize("sender,ok", [("Shop", True), ("MyShop2024", True),
                                       ("+14155551234", True), ("123", False),
                                       ("TwelveChars1", False), ("<script>", False)])
def test_it_checks_the_sender_id(sender, ok):
    assert ("sender_id" not in sending.validate(["+14155551234"], "Hi", sender).errors) is ok


def test_it_refuses_to_send_what_did_not_validate(alice):
    with pytest.raises(ValueError):
        sending.send_messages(alice, sending.validate(["nope"], "Hi"))
    assert not sms.outbox and not Message.objects.exists()


def test_a_provider_refusal_marks_that_message_failed(alice, settings):
    settings.SMS_BACKEND = "tests.messaging.test_sending.RefusingBackend"
    messages = sending.send_messages(alice, sending.validate(["+14155551234"], "Hi"))
    assert messages[0].status == Message.Status.FAILED
    assert Message.objects.get().status == Message.Status.FAILED


class RefusingBackend:
    def send(self, to, body, sender="", status_callback=""):
        raise sms.SMSError("refused")


def test_the_status_callback_url_is_passed_to_the_backend(alice, settings):
    settings.SMS_BACKEND = "tests.messaging.test_sending.RecordingBackend"
    settings.SMS_STATUS_CALLBACK_URL = "https://portal.example/api/v1/sms/status"
    RecordingBackend.calls.clear()
    sending.send_messages(alice, sending.validate(["+14155551234"], "Hi"))
    assert RecordingBackend.calls == ["https://portal.example/api/v1/sms/status"]


class RecordingBackend:
    calls: list[str] = []

    def send(self, to, body, sender="", status_callback=""):
        self.calls.append(status_callback)
        return sms.SentMessage(to=to, body=body, provider_id="SM1", status="sent")



def test_operators_see_messages_in_the_admin_read_only(client, make_user, alice):
    from accounts.models import SMSDevice
    from tests.conftest import signed_in_client

    root = make_user("root", is_staff=True, is_superuser=True)
    SMSDevice.objects.create(user=root, name="SMS", phone="+40712345670", confirmed=True)
    operator = signed_in_client(client, root)
    sending.send_messages(alice, sending.validate(["+14155551234"], "Hi"))
    response = operator.get("/admin/messaging/message/")
    assert response.status_code == 200
    assert "+14155551234" in response.content.decode()
    message = Message.objects.get()
    assert operator.get(f"/admin/messaging/message/{message.pk}/change/").status_code == 200
    assert operator.get("/admin/messaging/message/add/").status_code == 403
