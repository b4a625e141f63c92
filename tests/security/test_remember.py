"""Remember this browser: the code step is skipped (never the password) for 30 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from freezegun import freeze_time

from accounts import flows
from portal import sms
from security.models import EventType, RememberedBrowser, SecurityEvent
from tests.conftest import PASSWORD

from .conftest import CHROME_WIN, browser, sign_in

CODE_STEP = "/accounts/login/code/"


def _password_step(client, user, password=PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


@pytest.fixture
def remembered(alice_with_sms):
    """A browser that ticked "Remember this browser", then signed out."""
    client = browser()
    response = sign_in(client, alice_with_sms, remember=True)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    client.post("/accounts/logout/")
    sms.outbox.clear()
    return client


@pytest.mark.django_db
class TestRemembering:
    def test_the_code_step_offers_it(self, alice_with_sms):
        client = browser()
        _password_step(client, alice_with_sms)
        page = client.get(CODE_STEP).content.decode()
        assert 'name="remember" value="1"' in page
        assert "Remember this browser for 30 days" in page

    def test_a_remembered_browser_skips_the_code(self, alice_with_sms, remembered):
        response = _password_step(remembered, alice_with_sms)
        assert response.status_code == 302 and response["Location"] == "/dashboard/"
        assert remembered.get("/dashboard/").status_code == 200
        assert not sms.outbox
        latest = SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS).first()
        assert latest.detail == {"method": "remembered_browser"}
        row = RememberedBrowser.objects.get(user=alice_with_sms)
        assert row.last_used_at is not None and row.browser == "Firefox 128"

    def test_the_password_is_still_needed(self, alice_with_sms, remembered):
        response = _password_step(remembered, alice_with_sms, password="Wrong-Password-9")
        assert response.status_code == 400
        assert remembered.get("/dashboard/").status_code == 302

    def test_without_ticking_the_code_is_asked_again(self, alice_with_sms):
        client = browser()
        sign_in(client, alice_with_sms)
        client.post("/accounts/logout/")
        assert _password_step(client, alice_with_sms)["Location"] == CODE_STEP
        assert not RememberedBrowser.objects.exists()

    def test_the_cookie_is_signed_httponly_and_lasts_thirty_days(self, alice_with_sms):
        client = browser()
        _password_step(client, alice_with_sms)
        from tests.conftest import last_sms_code

        response = client.post(CODE_STEP, {"code": last_sms_code(), "remember": "1"})
        cookie = response.cookies[settings.REMEMBER_COOKIE_NAME]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert int(cookie["max-age"]) == 30 * 24 * 60 * 60
        row = RememberedBrowser.objects.get()
        assert row.token_hash not in cookie.value  # only a digest is stored
        assert SecurityEvent.objects.filter(type=EventType.BROWSER_REMEMBERED).exists()

    def test_a_wrong_code_remembers_nothing(self, alice_with_sms):
        client = browser()
        _password_step(client, alice_with_sms)
        response = client.post(CODE_STEP, {"code": "000000x", "remember": "1"})
        assert response.status_code == 400
        assert not RememberedBrowser.objects.exists()


@pytest.mark.django_db
class TestWhenItStops:
    def test_after_thirty_days_the_code_is_asked_again(self, alice_with_sms):
        with freeze_time("2026-03-01 10:00:00") as clock:
            client = browser()
            sign_in(client, alice_with_sms, remember=True)
            client.post("/accounts/logout/")
            clock.tick(timedelta(days=29, hours=23))
            assert _password_step(client, alice_with_sms)["Location"] == "/dashboard/"
            client.post("/accounts/logout/")
            clock.tick(timedelta(hours=2))
            assert _password_step(client, alice_with_sms)["Location"] == CODE_STEP

    def test_another_accounts_cookie_does_not_skip(self, alice_with_sms, make_user):
        from accounts.models import SMSDevice

        bob = make_user("bob")
        SMSDevice.objects.create(user=bob, name="SMS", phone="+40712345679", confirmed=True)
        client = browser()
        sign_in(client, alice_with_sms, remember=True)
        client.post("/accounts/logout/")
        assert _password_step(client, bob)["Location"] == CODE_STEP

    def test_a_tampered_cookie_does_not_skip(self, alice_with_sms, remembered):
        name = settings.REMEMBER_COOKIE_NAME
        value = remembered.cookies[name].value
        remembered.cookies[name] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
        assert _password_step(remembered, alice_with_sms)["Location"] == CODE_STEP

    def test_a_row_whose_digest_does_not_match_does_not_skip(self, alice_with_sms,
                                                             remembered):
        RememberedBrowser.objects.update(token_hash="0" * 64)
        assert _password_step(remembered, alice_with_sms)["Location"] == CODE_STEP

    def test_forgetting_it_on_the_devices_page_asks_for_the_code_again(
        self, alice_with_sms, remembered
    ):
        other = browser("203.0.113.5", CHROME_WIN)
        sign_in(other, alice_with_sms)
        page = other.get("/account/devices/").content.decode()
        row = RememberedBrowser.objects.get()
        assert f'data-remembered="{row.pk}"' in page and "Firefox 128" in page
        assert other.post(f"/account/devices/browsers/{row.pk}/forget/").status_code == 302
        assert not RememberedBrowser.objects.exists()
        assert SecurityEvent.objects.filter(type=EventType.BROWSER_FORGOTTEN).exists()
        assert _password_step(remembered, alice_with_sms)["Location"] == CODE_STEP

    def test_it_refuses_to_forget_another_accounts_browser(self, alice_with_sms, remembered,
                                                           mallory):
        client = browser()
        sign_in(client, mallory)
        row = RememberedBrowser.objects.get()
        assert client.post(f"/account/devices/browsers/{row.pk}/forget/").status_code == 404
        assert RememberedBrowser.objects.exists()

    def test_the_devices_page_marks_this_browser(self, alice_with_sms, remembered):
        _password_step(remembered, alice_with_sms)
        page = remembered.get("/account/devices/").content.decode()
        assert page.count("This browser") == 2  # the session and the remembered browser

    def test_a_password_change_forgets_every_browser(self, alice_with_sms, remembered):
        other = browser("203.0.113.5", CHROME_WIN)
        sign_in(other, alice_with_sms)
        new = "N3w-Sunrise-Path-77"
        other.post("/accounts/password/change/", {
            "old_password": PASSWORD, "new_password1": new, "new_password2": new})
        assert not RememberedBrowser.objects.exists()
        event = SecurityEvent.objects.get(type=EventType.BROWSER_FORGOTTEN)
        assert event.detail == {"scope": "all", "reason": "password", "count": 1}
        assert _password_step(remembered, alice_with_sms, new)["Location"] == CODE_STEP

    def test_turning_the_second_factor_off_forgets_every_browser(self, rf, alice_with_sms,
                                                                 remembered):
        request = rf.post("/")
        request.user = alice_with_sms
        flows.disable_second_factor(request)
        assert not RememberedBrowser.objects.exists()

    def test_a_new_authenticator_app_forgets_every_browser(self, rf, alice_with_sms,
                                                           remembered):
        from django.contrib.sessions.backends.db import SessionStore

        request = rf.post("/")
        request.user = alice_with_sms
        request.session = SessionStore()
        device = flows.start_totp_enrolment(alice_with_sms)
        flows.confirm_totp_enrolment(request, device)
        assert not RememberedBrowser.objects.exists()
