"""Sender names: the account asks on a page, an operator decides in the admin (and the
account is e-mailed), the rule holds once a name is approved, and the owner chooses each
sub-user's names."""

from __future__ import annotations

import pytest
from django.core import mail

from messaging import senders
from messaging.models import SenderName
from security.models import EventType, SecurityEvent
from tests.apikeys.test_pages import stale, text
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db
PAGE = "/account/senders/"
ADMIN = "/admin/messaging/sendername/"


@pytest.fixture
def sam(make_user, alice):
    return make_user("sam", owner=alice, permissions=["send_sms"])


def approved(account, *names: str) -> list[SenderName]:
    return [SenderName.objects.create(account=account, name=name,
                                      status=SenderName.Status.APPROVED) for name in names]


# --- the rule ---------------------------------------------------------------------------------


def test_an_account_with_no_approved_name_sends_as_today(alice, sam):
    SenderName.objects.create(account=alice, name="PENDING")
    SenderName.objects.create(account=alice, name="NOPE", status=SenderName.Status.REFUSED)
    for user in (alice, sam):
        assert senders.allowed_names(user) is None
        for sender in ("", "ANYTHING", "+14155551234"):
            assert senders.refusal(user, sender) is None


def test_once_a_name_is_approved_only_approved_names_go_out(alice, sam, mallory):
    approved(alice, "ACME", "ACME2")
    SenderName.objects.create(account=alice, name="WAITING")
    approved(mallory, "MALLORY")
    assert senders.refusal(alice, "ACME") is None and senders.refusal(sam, "ACME2") is None
    for sender in ("", "WAITING", "MALLORY", "acme"):
        why = senders.refusal(alice, sender)
        assert why is not None and "ACME, ACME2" in why, sender
    assert "give sender_id" in senders.refusal(alice, "")
    assert senders.refusal(mallory, "ACME") is not None


def test_the_owner_gives_a_sub_user_some_names_all_or_none(alice, sam):
    acme, other = approved(alice, "ACME", "OTHER")
    assert senders.allowed_names(sam) == ["ACME", "OTHER"]  # by default: all of the owner's
    senders.give(None, alice, sam, [acme])
    assert senders.allowed_names(sam) == ["ACME"]
    assert senders.refusal(sam, "OTHER") is not None and senders.refusal(alice, "OTHER") is None
    approved(alice, "LATER")
    assert senders.allowed_names(sam) == ["ACME"]  # a chosen list does not grow by itself
    senders.give(None, alice, sam, [])
    assert "ask the account owner" in senders.refusal(sam, "ACME")
    senders.give(None, alice, sam, None)
    assert senders.allowed_names(sam) == ["ACME", "LATER", "OTHER"]
    event = SecurityEvent.objects.filter(type=EventType.SUBUSER_CHANGED).first()  # newest
    assert event.detail == {"sub_user": "sam", "senders": "all"}


def test_a_refused_name_given_to_a_sub_user_no_longer_counts(alice, sam):
    acme, other = approved(alice, "ACME", "OTHER")
    senders.give(None, alice, sam, [acme, other])
    senders.decide(acme, approve=False)
    assert senders.allowed_names(sam) == ["OTHER"]


def test_an_owner_gives_only_its_own_names_to_its_own_sub_users(alice, sam, mallory):
    (theirs,) = approved(mallory, "MALLORY")
    with pytest.raises(ValueError):
        senders.give(None, alice, sam, [theirs])
    with pytest.raises(ValueError):
        senders.give(None, mallory, sam, None)


# --- the page ---------------------------------------------------------------------------------


def test_the_owner_asks_for_a_name_and_sees_it_wait(alice_client):
    assert "You have not asked for a sender name yet." in text(alice_client.get(PAGE))
    response = alice_client.post(PAGE, {"name": " ACME  Shop "})
    assert response.status_code == 302
    page = text(alice_client.get(PAGE))
    assert "You asked for “ACME Shop”" in page and "ACME Shop Waiting for approval" in page
    assert SenderName.objects.get().status == "pending"


@pytest.mark.parametrize("name, error", [
    ("", "This field is required."),
    ("12345", "1-11 letters and digits"),
    ("Much-too-long-a-name", "Ensure this value has at most 16 characters"),
    ("ACME<b>", "1-11 letters and digits"),
])
def test_a_bad_name_is_a_form_error_and_asks_for_nothing(alice_client, name, error):
    response = alice_client.post(PAGE, {"name": name})
    assert response.status_code == 400 and error in text(response)
    assert not SenderName.objects.exists()


def test_asking_twice_is_refused_but_a_refused_name_may_be_asked_again(alice_client, alice):
    alice_client.post(PAGE, {"name": "ACME"})
    response = alice_client.post(PAGE, {"name": "ACME"})
    assert response.status_code == 400 and "You already asked for “ACME”." in text(response)
    senders.decide(SenderName.objects.get(), approve=False)
    assert alice_client.post(PAGE, {"name": "ACME"}).status_code == 302
    sender = SenderName.objects.get()
    assert (sender.status, sender.decided_at) == ("pending", None)


def test_a_sub_user_cannot_reach_the_page(client, sam):
    signed_in_client(client, sam)
    response = client.get(PAGE)
    assert response.status_code == 403 and "Only the account owner" in text(response)
    assert client.post(PAGE, {"name": "SAM"}).status_code == 403
    assert not SenderName.objects.exists()
    assert "Sender names" not in text(client.get("/account/"))


def test_the_owner_chooses_a_sub_users_names_with_fresh_proof(alice_client, alice, sam, mallory):
    acme, _other = approved(alice, "ACME", "OTHER")
    page = text(alice_client.get(PAGE))
    assert "sam All approved names" in page
    url = f"{PAGE}users/{sam.pk}/"
    form = text(alice_client.get(url))
    assert "Only these names ACME OTHER" in form
    response = alice_client.post(url, {"names": ["ACME"]})
    assert response.status_code == 302
    assert senders.allowed_names(sam) == ["ACME"]
    assert "sam ACME Change" in text(alice_client.get(PAGE))

    stale(alice_client)
    response = alice_client.post(url, {"everything": "on"})
    assert response.status_code == 403 and senders.allowed_names(sam) == ["ACME"]


def test_a_strangers_sub_user_and_a_strangers_name_are_out_of_reach(alice_client, alice, sam,
                                                                    make_user, mallory):
    outsider = make_user("oscar", owner=mallory)
    assert alice_client.get(f"{PAGE}users/{outsider.pk}/").status_code == 404
    approved(mallory, "MALLORY")
    response = alice_client.post(f"{PAGE}users/{sam.pk}/", {"names": ["MALLORY"]})
    assert response.status_code == 400 and "Select a valid choice" in text(response)
    assert senders.allowed_names(sam) is None


# --- the admin ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action, status, word", [("approve", "approved", "approved"),
                                                  ("refuse", "refused", "refused")])
def test_an_operator_decides_and_the_account_is_emailed_once(operator_client, alice, action,
                                                              status, word):
    sender = SenderName.objects.create(account=alice, name="ACME")
    mail.outbox.clear()
    for _ in range(2):
        operator_client.post(ADMIN, {"action": action, "_selected_action": [sender.pk]})
    sender.refresh_from_db()
    assert sender.status == status and sender.decided_at is not None
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert f"“ACME” {word}" in mail.outbox[0].subject
    assert "/account/senders/" in mail.outbox[0].body
    assert "ACME" in operator_client.get(ADMIN).content.decode()


def test_operators_cannot_add_or_rename_a_name(operator_client, alice):
    sender = SenderName.objects.create(account=alice, name="ACME")
    assert operator_client.get(f"{ADMIN}add/").status_code == 403
    operator_client.post(f"{ADMIN}{sender.pk}/change/", {"name": "OTHER", "status": "approved"})
    sender.refresh_from_db()
    assert (sender.name, sender.status) == ("ACME", "pending")
