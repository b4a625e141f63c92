"""GET /api/v1/senders, and POST /api/v1/sms/send held to the approved names: 403
SENDER_NOT_ALLOWED once the account has one, today's behaviour while it has none."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from messaging import senders
from messaging.models import Message, SenderName
from portal import sms
from portal.api.errors import STATUS

from .conftest import call, error_code
from .test_sub_users import token

pytestmark = pytest.mark.django_db
SEND = "/api/v1/sms/send"


def send(client, key, sender: str | None = None, **extra):
    body = {"to": ["+14155551234"], "message": "Hi"}
    if sender is not None:
        body["sender_id"] = sender
    return call(client, "POST", SEND, body, key=key.full_key, **extra)


@pytest.fixture
def acme(alice):
    return SenderName.objects.create(account=alice, name="ACME",
                                     status=SenderName.Status.APPROVED)


@pytest.fixture
def sam(make_user, alice):
    return make_user("sam", owner=alice, permissions=["send_sms", "read_reports"])


def test_without_an_approved_name_any_sender_goes_out_as_today(client, alice, key):
    SenderName.objects.create(account=alice, name="WAITING")
    for sender in (None, "Anything", "+40712345678"):
        assert send(client, key, sender).status_code == 202
    assert [m.sender for m in sms.outbox] == ["", "Anything", "+40712345678"]


@pytest.mark.parametrize("sender", [None, "", "WAITING", "Acme", "OTHER"])
def test_once_a_name_is_approved_anything_else_is_403_and_nothing_is_sent(client, alice, key,
                                                                        acme, sender):
    SenderName.objects.create(account=alice, name="WAITING")
    response = send(client, key, sender)
    assert (response.status_code, error_code(response)) == (403, "SENDER_NOT_ALLOWED")
    assert "ACME" in response.json()["error"]["message"]
    assert not sms.outbox and not Message.objects.exists()


def test_an_approved_name_goes_out_by_json_and_by_form(client, key, acme):
    assert send(client, key, "ACME").status_code == 202
    form = call(client, "POST", SEND, urlencode({"to": "+14155551234", "message": "Hi",
                                                 "sender_id": "ACME"}),
                key=key.full_key, content_type="application/x-www-form-urlencoded")
    assert form.status_code == 202
    refused = call(client, "POST", SEND, urlencode({"to": "+14155551234", "message": "Hi"}),
                   key=key.full_key, content_type="application/x-www-form-urlencoded")
    assert error_code(refused) == "SENDER_NOT_ALLOWED"
    assert [m.sender for m in sms.outbox] == ["ACME", "ACME"]


def test_a_test_key_and_a_token_are_held_to_the_same_rule(client, alice, make_key, acme):
    test_key = make_key(mode="test")
    assert error_code(send(client, test_key, "OTHER")) == "SENDER_NOT_ALLOWED"
    assert send(client, test_key, "ACME").status_code == 202
    headers = token(client, "alice")
    refused = call(client, "POST", SEND, {"to": ["+14155551234"], "message": "Hi"},
                   headers=headers)
    assert (refused.status_code, error_code(refused)) == (403, "SENDER_NOT_ALLOWED")


def test_a_sub_user_sends_only_as_the_names_its_owner_gave_it(client, alice, sam, acme):
    other = SenderName.objects.create(account=alice, name="OTHER",
                                      status=SenderName.Status.APPROVED)
    headers = token(client, "sam")
    body = {"to": ["+14155551234"], "message": "Hi", "sender_id": "OTHER"}
    assert call(client, "POST", SEND, body, headers=headers).status_code == 202
    senders.give(None, alice, sam, [acme])
    response = call(client, "POST", SEND, body, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "SENDER_NOT_ALLOWED")
    listed = call(client, "GET", "/api/v1/senders", headers=headers).json()
    assert listed == {"status": True, "senders": [{"name": "ACME", "status": "approved"}]}
    senders.give(None, alice, sam, [acme, other])
    assert call(client, "POST", SEND, body, headers=headers).status_code == 202


def test_the_owner_lists_every_name_with_its_status(client, alice, key, acme, mallory):
    SenderName.objects.create(account=alice, name="WAITING")
    SenderName.objects.create(account=alice, name="NOPE", status=SenderName.Status.REFUSED)
    SenderName.objects.create(account=mallory, name="MALLORY")
    response = call(client, "GET", "/api/v1/senders", key=key.full_key)
    assert response.json() == {"status": True, "senders": [
        {"name": "ACME", "status": "approved"}, {"name": "NOPE", "status": "refused"},
        {"name": "WAITING", "status": "pending"}]}


def test_the_list_needs_sms_read(client, make_key, acme):
    sender_only = make_key(scopes=["sms:send"])
    response = call(client, "GET", "/api/v1/senders", key=sender_only.full_key)
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")
    assert call(client, "GET", "/api/v1/senders").status_code == 401


def test_sender_not_allowed_is_a_403():
    assert STATUS["SENDER_NOT_ALLOWED"] == 403


def test_the_document_describes_the_rule(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "SENDER_NOT_ALLOWED" in document["paths"][SEND]["post"]["description"]
    assert "/api/v1/senders" in document["paths"]
