"""The IP whitelists page and the portal list's enforcement (sign-in and signed-in requests)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from portal import sms
from security.models import EventType, IPWhitelistEntry, SecurityEvent
from security.whitelists import ip_allowed
from tests.conftest import PASSWORD

from .conftest import browser, sign_in

PAGE = "/account/whitelists/"
ADD = "/account/whitelists/add/"
HOME_IP = "198.51.100.7"  # where alice_browser connects from


def _add(client, kind, value, label="", **extra):
    return client.post(ADD, {"kind": kind, "value": value, "label": label}, **extra)


def _errors(response) -> str:
    """The sign-in page's error box (the rest of the page is the same form)."""
    return re.search(r'<ul class="errorlist[^"]*">.*?</ul>', response.content.decode(),
                     re.S).group(0)


def _entry(user, kind, value, label=""):
    return IPWhitelistEntry.objects.create(user=user, kind=kind, value=value, label=label)


@pytest.mark.django_db
class TestThePage:
    def test_it_shows_both_lists_and_the_current_address(self, alice, alice_browser):
        _entry(alice, "api", "2001:db8::/32", "servers")
        page = alice_browser.get(PAGE).content.decode()
        assert 'data-list="portal"' in page and 'data-list="api"' in page
        assert "2001:db8::/32" in page and "servers" in page
        assert f'data-current-ip="{HOME_IP}"' in page

    def test_it_needs_a_signed_in_user(self, client):
        assert client.get(PAGE)["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
class TestAdding:
    def test_it_adds_a_portal_entry_that_includes_the_current_address(self, alice,
                                                                     alice_browser):
        mail.outbox.clear()
        response = _add(alice_browser, "portal", "198.51.100.0/24", " office  network ")
        assert response.status_code == 302 and response["Location"] == PAGE + "#portal"
        entry = IPWhitelistEntry.objects.get(user=alice)
        assert (entry.kind, entry.value, entry.label) == ("portal", "198.51.100.0/24",
                                                          "office network")
        event = SecurityEvent.objects.get(type=EventType.WHITELIST_CHANGED)
        assert event.detail["list"] == "portal" and event.detail["action"] == "added"
        assert len(mail.outbox) == 1 and "198.51.100.0/24 was added" in mail.outbox[0].body
        assert "/account/whitelists/" in mail.outbox[0].body

    @pytest.mark.parametrize("typed, stored", [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7/32", "203.0.113.7"),
        ("2001:DB8:0:0::/48", "2001:db8::/48"),
        ("2001:db8::1/128", "2001:db8::1"),
    ])
    def test_it_stores_api_entries_in_one_normal_form(self, alice, alice_browser, typed,
                                                      stored):
        assert _add(alice_browser, "api", typed).status_code == 302
        assert IPWhitelistEntry.objects.get(user=alice).value == stored

    @pytest.mark.parametrize("value, message", [
        ("", "Enter an IP address or a range."),
        ("not-an-ip", "is not an IP address or range"),
        ("203.0.113.7/24", "has host bits set: did you mean 203.0.113.0/24?"),
        ("0.0.0.0/0", "covers every address"),
        ("::ffff:203.0.113.7", "Write an IPv4 address as IPv4, e.g. 203.0.113.7."),
        ("1" * 150, "too long to be an IP address"),
        ("203.0.113.300", "is not an IP address or range"),
    ])
    def test_it_refuses_bad_input_with_a_clear_message(self, alice, alice_browser, value,
                                                       message):
        response = _add(alice_browser, "api", value)
        assert response.status_code == 400
        assert message in response.content.decode().replace("&quot;", '"')
        assert not IPWhitelistEntry.objects.exists()
        assert not SecurityEvent.objects.filter(type=EventType.WHITELIST_CHANGED).exists()

    def test_it_refuses_an_unknown_list(self, alice_browser):
        response = _add(alice_browser, "smtp", "203.0.113.7")
        assert response.status_code == 400
        assert "Choose which list the entry is for." in response.content.decode()
        assert not IPWhitelistEntry.objects.exists()

    def test_it_refuses_a_duplicate(self, alice, alice_browser):
        _entry(alice, "api", "203.0.113.0/24")
        response = _add(alice_browser, "api", "203.0.113.0/24")
        assert response.status_code == 400
        assert "already on this list" in response.content.decode()
        assert IPWhitelistEntry.objects.count() == 1

    def test_the_same_value_may_be_on_both_lists(self, alice, alice_browser):
        _entry(alice, "api", HOME_IP)
        assert _add(alice_browser, "portal", HOME_IP).status_code == 302
        assert IPWhitelistEntry.objects.count() == 2

    def test_it_refuses_a_portal_entry_that_would_shut_the_user_out(self, alice,
                                                                   alice_browser):
        response = _add(alice_browser, "portal", "203.0.113.0/24")
        assert response.status_code == 400
        page = response.content.decode()
        assert f"You are connecting from {HOME_IP}, which this list would not include" in page
        assert "Add your own address" in page
        assert not IPWhitelistEntry.objects.exists()

    def test_it_accepts_an_outside_entry_once_the_own_address_is_on_the_list(self, alice,
                                                                            alice_browser):
        _entry(alice, "portal", HOME_IP)
        assert _add(alice_browser, "portal", "203.0.113.0/24").status_code == 302

    def test_an_api_entry_may_exclude_the_current_address(self, alice, alice_browser):
        assert _add(alice_browser, "api", "203.0.113.0/24").status_code == 302

    def test_a_full_list_takes_no_more(self, alice, alice_browser, settings):
        settings.IP_WHITELIST_MAX_ENTRIES = 2
        _entry(alice, "api", "203.0.113.1")
        _entry(alice, "api", "203.0.113.2")
        response = _add(alice_browser, "api", "203.0.113.3")
        assert response.status_code == 400 and "This list is full" in response.content.decode()

    def test_it_needs_fresh_proof(self, alice, alice_browser):
        session = alice_browser.session
        session["_proof_at"] = 0
        session.save()
        response = _add(alice_browser, "api", "203.0.113.7")
        assert response.status_code == 403
        assert "Confirm your password" in response.content.decode()
        assert not IPWhitelistEntry.objects.exists()


@pytest.mark.django_db
class TestRemoving:
    def test_it_removes_an_entry_with_an_event_and_an_email(self, alice, alice_browser):
        entry = _entry(alice, "api", "203.0.113.0/24")
        mail.outbox.clear()
        response = alice_browser.post(f"/account/whitelists/{entry.pk}/remove/")
        assert response.status_code == 302
        assert not IPWhitelistEntry.objects.exists()
        event = SecurityEvent.objects.get(type=EventType.WHITELIST_CHANGED)
        assert event.detail == {"list": "api", "action": "removed", "value": "203.0.113.0/24"}
        assert "203.0.113.0/24 was removed" in mail.outbox[0].body

    def test_it_refuses_a_removal_that_would_shut_the_user_out(self, alice, alice_browser):
        mine = _entry(alice, "portal", HOME_IP)
        _entry(alice, "portal", "203.0.113.0/24")
        response = alice_browser.post(f"/account/whitelists/{mine.pk}/remove/")
        assert response.status_code == 400
        assert "cannot be removed" in response.content.decode()
        assert IPWhitelistEntry.objects.count() == 2

    def test_removing_the_last_portal_entry_lifts_the_restriction(self, alice,
                                                                   alice_browser):
        mine = _entry(alice, "portal", HOME_IP)
        assert alice_browser.post(f"/account/whitelists/{mine.pk}/remove/").status_code == 302
        assert ip_allowed(alice.pk, "portal", "192.0.2.1")

    def test_it_refuses_to_remove_another_accounts_entry(self, alice_browser, mallory):
        theirs = _entry(mallory, "api", "203.0.113.0/24")
        assert alice_browser.post(f"/account/whitelists/{theirs.pk}/remove/"
                                  ).status_code == 404
        assert IPWhitelistEntry.objects.filter(pk=theirs.pk).exists()

    def test_it_needs_fresh_proof_and_a_post(self, alice, alice_browser):
        entry = _entry(alice, "api", "203.0.113.0/24")
        assert alice_browser.get(f"/account/whitelists/{entry.pk}/remove/").status_code == 405
        session = alice_browser.session
        session["_proof_at"] = 0
        session.save()
        assert alice_browser.post(f"/account/whitelists/{entry.pk}/remove/"
                                  ).status_code == 403
        assert IPWhitelistEntry.objects.exists()


@pytest.mark.django_db
class TestPortalListAtSignIn:
    def test_a_sign_in_from_outside_answers_as_a_wrong_password(self, client, alice):
        _entry(alice, "portal", "203.0.113.0/24")
        outside = browser("192.0.2.10")
        right = sign_in(outside, alice)
        wrong = sign_in(outside, alice, password="Wrong-Password-77")
        # The same page, word for word: the list cannot be used to test passwords.
        assert right.status_code == wrong.status_code == 400
        assert _errors(right) == _errors(wrong) and "not right" in _errors(right)
        assert outside.get("/dashboard/").status_code == 302
        event = SecurityEvent.objects.get(type=EventType.REQUEST_BLOCKED)
        assert (event.user, event.ip, event.detail["stage"]) == (alice, "192.0.2.10", "signin")
        assert not SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS).exists()

    def test_the_owner_is_emailed_once_an_hour_per_address(self, alice):
        _entry(alice, "portal", "203.0.113.0/24")
        for _ in range(3):
            sign_in(browser("192.0.2.10"), alice)
        sign_in(browser("192.0.2.11"), alice)
        refused = [m for m in mail.outbox if "refused by your IP whitelist" in m.subject]
        assert [m.to for m in refused] == [["alice@example.com"]] * 2
        assert "192.0.2.10" in refused[0].body and "192.0.2.11" in refused[1].body
        assert PASSWORD not in refused[0].body

    def test_no_code_is_sent_to_a_refused_sign_in(self, alice_with_sms):
        _entry(alice_with_sms, "portal", "203.0.113.0/24")
        assert sign_in(browser("192.0.2.10"), alice_with_sms).status_code == 400
        assert not sms.outbox

    def test_a_sign_in_from_inside_the_list_works(self, alice):
        _entry(alice, "portal", "203.0.113.0/24")
        assert sign_in(browser("203.0.113.77"), alice).status_code == 302

    def test_a_forged_forwarded_for_does_not_pass(self, alice):
        _entry(alice, "portal", "203.0.113.0/24")
        outside = browser("192.0.2.10")
        response = outside.post("/accounts/login/", {"username": "alice",
                                                     "password": "Tr1cky-Sunset-42"},
                                HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert response.status_code == 400
        assert SecurityEvent.objects.get(type=EventType.REQUEST_BLOCKED).ip == "192.0.2.10"

    def test_the_api_list_does_not_restrict_the_portal(self, alice):
        _entry(alice, "api", "203.0.113.0/24")
        assert sign_in(browser("192.0.2.10"), alice).status_code == 302


@pytest.mark.django_db
class TestPortalListOnEveryRequest:
    def test_a_signed_in_session_is_refused_from_outside(self, alice, alice_browser):
        _entry(alice, "portal", HOME_IP)
        response = alice_browser.get("/account/devices/", REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 403
        assert "cannot be used from here" in response.content.decode()
        event = SecurityEvent.objects.get(type=EventType.REQUEST_BLOCKED)
        assert event.detail == {"surface": "portal", "stage": "session",
                                "path": "/account/devices/"}
        # Still signed in: back on an allowed network, the session works.
        assert alice_browser.get("/account/devices/").status_code == 200

    def test_a_forged_forwarded_for_does_not_pass(self, alice, alice_browser):
        _entry(alice, "portal", HOME_IP)
        response = alice_browser.get("/dashboard/", REMOTE_ADDR="192.0.2.10",
                                     HTTP_X_FORWARDED_FOR=HOME_IP)
        assert response.status_code == 403

    def test_a_trusted_proxys_forwarded_for_is_believed(self, alice, alice_browser, settings):
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        _entry(alice, "portal", HOME_IP)
        ok = alice_browser.get("/dashboard/", REMOTE_ADDR="10.1.2.3",
                               HTTP_X_FORWARDED_FOR=f"192.0.2.99, {HOME_IP}")
        assert ok.status_code == 200
        refused = alice_browser.get("/dashboard/", REMOTE_ADDR="10.1.2.3",
                                    HTTP_X_FORWARDED_FOR=f"{HOME_IP}, 192.0.2.99")
        assert refused.status_code == 403

    def test_signing_out_is_possible_from_outside(self, alice, alice_browser):
        _entry(alice, "portal", HOME_IP)
        response = alice_browser.post("/accounts/logout/", REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 302
        assert alice_browser.get("/dashboard/").status_code == 302

    def test_a_retrying_browser_leaves_one_event_a_minute(self, alice, alice_browser):
        _entry(alice, "portal", HOME_IP)
        for _ in range(5):
            assert alice_browser.get("/dashboard/", REMOTE_ADDR="192.0.2.10"
                                     ).status_code == 403
        assert SecurityEvent.objects.filter(type=EventType.REQUEST_BLOCKED).count() == 1

    def test_the_portal_list_does_not_touch_the_api_list(self, alice):
        _entry(alice, "portal", HOME_IP)
        assert ip_allowed(alice.pk, "api", "192.0.2.10")
        assert not ip_allowed(alice.pk, "portal", "192.0.2.10")
