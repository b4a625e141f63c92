"""A new e-mail address takes over only once confirmed (SEC-44, issue 10 item 13)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from security.models import EventType, SecurityEvent
from tests.conftest import outbox_link

PROFILE = "/account/profile/"
OLD, NEW = "alice@example.com", "alice.new@example.com"


def _ask_for(client, email):
    response = client.post(PROFILE, {"email": email, "time_zone": "UTC", "language": "en",
                                     "session_idle_seconds": 3600})
    assert response.status_code == 302, response.content[:300]
    return response


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def _link_to(address: str) -> str:
    """The confirmation link in the newest e-mail to `address`."""
    index = max(i for i, m in enumerate(mail.outbox) if m.to == [address])
    return outbox_link(index)


def _reset_mails(client, email) -> list:
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": email})
    return [m for m in mail.outbox if "/accounts/password/reset/" in m.body]


@pytest.mark.django_db
class TestTheChange:
    def test_resets_go_to_the_old_address_until_the_link_is_followed(self, alice_client,
                                                                     alice):
        _ask_for(alice_client, NEW)
        link = _link_to(NEW)
        stranger = Client()
        assert _reset_mails(stranger, NEW) == []
        assert [m.to for m in _reset_mails(stranger, OLD)] == [[OLD]]
        alice.refresh_from_db()
        assert alice.email == OLD and alice.pending_email == NEW

        alice_client.get(link, follow=True)
        assert _reset_mails(Client(), OLD) == []
        assert [m.to for m in _reset_mails(Client(), NEW)] == [[NEW]]

    def test_the_old_address_is_told_at_once_without_the_link(self, alice_client):
        mail.outbox.clear()
        _ask_for(alice_client, NEW)
        (notice,) = _mails_to(OLD)
        assert NEW in notice.body and "Nothing has changed yet" in notice.body
        link = _link_to(NEW)
        token = link.rstrip("/").rsplit("/", 1)[-1]
        assert token not in notice.body and "/accounts/email/" not in notice.body
        assert all(token not in a for m in mail.outbox for a, _type in m.alternatives
                   if m.to == [OLD])

    def test_the_followed_link_changes_the_address_once_and_tells_the_old_one(
            self, alice_client, alice):
        _ask_for(alice_client, NEW)
        link = _link_to(NEW)
        mail.outbox.clear()
        done = alice_client.get(link, follow=True)
        # The token left the address bar before the page was shown.
        assert all(link not in url for url, _status in done.redirect_chain)
        assert done.redirect_chain[-1][0] == PROFILE
        assert f"Your e-mail address is now {NEW}" in done.content.decode()
        alice.refresh_from_db()
        assert alice.email == NEW and alice.pending_email == "" and alice.email_confirmed
        assert any("was changed to" in m.body for m in _mails_to(OLD))
        assert SecurityEvent.objects.filter(user=alice, type=EventType.EMAIL_CHANGED).exists()
        again = alice_client.get(link, follow=True)
        assert again.status_code == 400
        assert "Your e-mail address was not changed" in again.content.decode()

    def test_the_page_shows_the_waiting_address_and_cancels_it(self, alice_client, alice):
        _ask_for(alice_client, NEW)
        link = _link_to(NEW)
        page = alice_client.get(PROFILE).content.decode()
        assert "waiting for confirmation" in page and NEW in page
        assert re.search(r'name="email"[^>]*value="alice@example.com"', page)
        alice_client.post("/account/profile/email/cancel/")
        alice.refresh_from_db()
        assert alice.pending_email == ""
        assert "waiting for confirmation" not in alice_client.get(PROFILE).content.decode()
        refused = alice_client.get(link, follow=True)
        assert refused.status_code == 400
        alice.refresh_from_db()
        assert alice.email == OLD


@pytest.mark.django_db
class TestStaleLinks:
    def test_an_address_another_account_took_meanwhile_is_refused(self, alice_client, alice,
                                                                  make_user):
        _ask_for(alice_client, NEW)
        make_user("bob", email=NEW)
        refused = alice_client.get(_link_to(NEW), follow=True)
        assert refused.status_code == 400
        assert "Another account uses this address now" in refused.content.decode()
        alice.refresh_from_db()
        assert alice.email == OLD and alice.pending_email == ""
        assert User.objects.get(username="bob").email == NEW

    def test_the_link_of_a_replaced_request_is_refused(self, alice_client, alice):
        _ask_for(alice_client, NEW)
        first = _link_to(NEW)
        _ask_for(alice_client, "alice.other@example.com")
        refused = alice_client.get(first, follow=True)
        assert refused.status_code == 400
        assert "replaced by a newer one" in refused.content.decode()
        alice_client.get(_link_to("alice.other@example.com"), follow=True)
        alice.refresh_from_db()
        assert alice.email == "alice.other@example.com"

    def test_a_forged_link_is_refused(self, client, alice):
        refused = client.get("/accounts/email/not-a-token/", follow=True)
        assert refused.status_code == 400
        alice.refresh_from_db()
        assert alice.email == OLD
