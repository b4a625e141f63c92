"""Signed-in sessions: their record, the Devices page, signing out one or all others."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from security.models import EventType, SecurityEvent, UserSession
from tests.conftest import PASSWORD

from .conftest import CHROME_WIN, IPHONE, browser, sign_in

DEVICES = "/account/devices/"


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _row(client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
class TestTheRecord:
    def test_it_records_the_session_at_sign_in_with_browser_os_and_ip(self, alice):
        client = browser("203.0.113.9", IPHONE)
        sign_in(client, alice)
        row = _row(client)
        assert (row.user, row.browser, row.os, row.device, row.ip) == (
            alice, "Mobile Safari 17", "iOS 17.4", "iPhone", "203.0.113.9")

    def test_it_writes_last_activity_at_most_once_a_minute(self, alice):
        with freeze_time("2026-03-01 10:00:00") as clock:
            client = browser()
            sign_in(client, alice)
            signed_in = _row(client).last_activity
            clock.tick(timedelta(seconds=40))
            assert client.get("/dashboard/").status_code == 200
            assert _row(client).last_activity == signed_in
            clock.tick(timedelta(seconds=21))
            client.get("/dashboard/", REMOTE_ADDR="203.0.113.50")
            row = _row(client)
            assert row.last_activity == timezone.now()
            assert row.ip == "203.0.113.50"

    def test_requests_within_the_minute_write_nothing(self, alice_browser,
                                                      django_assert_num_queries):
        alice_browser.get("/dashboard/")
        # Session, user, portal whitelist, and the dashboard's own reads (second factor,
        # whitelists, keys, the two charts, the latest events): no write to the session or
        # its row.
        with django_assert_num_queries(9) as captured:
            alice_browser.get("/dashboard/")
        assert not [q for q in captured.captured_queries
                    if q["sql"].startswith(("UPDATE", "INSERT"))]

    def test_signing_out_deletes_the_row(self, alice_browser):
        key = alice_browser.session.session_key
        alice_browser.post("/accounts/logout/")
        assert not UserSession.objects.filter(session_key=key).exists()


@pytest.mark.django_db
class TestDevicesPage:
    def test_it_lists_the_sessions_and_marks_the_current_one(self, alice, alice_browser):
        phone = browser("203.0.113.9", IPHONE)
        sign_in(phone, alice)
        page = alice_browser.get(DEVICES).content.decode()
        assert "Mobile Safari 17" in page and "iOS 17.4" in page and "203.0.113.9" in page
        assert "Firefox 128" in page
        current = _row(alice_browser)
        assert f'data-session="{current.pk}" data-current' in page
        assert page.count("This browser") == 1

    def test_it_shows_only_the_accounts_own_sessions(self, alice_browser, mallory):
        sign_in(browser("192.0.2.66", CHROME_WIN), mallory)
        page = alice_browser.get(DEVICES).content.decode()
        assert "192.0.2.66" not in page and "Chrome 126" not in page

    def test_it_costs_the_same_queries_for_one_session_or_twenty(
        self, alice, alice_browser, django_assert_num_queries
    ):
        alice_browser.get(DEVICES)
        with django_assert_num_queries(5):
            alice_browser.get(DEVICES)
        for i in range(19):
            UserSession.objects.create(user=alice, session_key=f"k{i}", browser="Chrome 1",
                                       ip=f"192.0.2.{i + 1}")
        with django_assert_num_queries(5):
            page = alice_browser.get(DEVICES)
        assert page.content.decode().count("data-session=") == 20

    def test_an_expired_session_is_not_listed(self, alice, alice_browser):
        old = timezone.now() - timedelta(hours=2)  # alice's idle timeout is 1 hour
        UserSession.objects.create(user=alice, session_key="stale", ip="192.0.2.200",
                                   signed_in_at=old, last_activity=old)
        assert "192.0.2.200" not in alice_browser.get(DEVICES).content.decode()


@pytest.mark.django_db
class TestSigningOut:
    def test_signing_out_another_session_ends_it_at_once(self, alice, alice_browser):
        phone = browser("203.0.113.9", IPHONE)
        sign_in(phone, alice)
        row = _row(phone)
        response = alice_browser.post(f"/account/devices/sessions/{row.pk}/sign-out/")
        assert response.status_code == 302 and response["Location"] == DEVICES
        assert not _store()().exists(row.session_key)
        assert not UserSession.objects.filter(pk=row.pk).exists()
        assert phone.get("/dashboard/")["Location"].startswith("/accounts/login/")
        assert alice_browser.get("/dashboard/").status_code == 200
        event = SecurityEvent.objects.get(type=EventType.SESSION_ENDED)
        assert event.detail["scope"] == "one" and event.user == alice

    def test_it_refuses_to_sign_out_another_accounts_session(self, alice_browser, mallory):
        theirs = browser("192.0.2.66")
        sign_in(theirs, mallory)
        row = _row(theirs)
        response = alice_browser.post(f"/account/devices/sessions/{row.pk}/sign-out/")
        assert response.status_code == 404
        assert theirs.get("/dashboard/").status_code == 200

    def test_signing_out_needs_fresh_proof(self, alice, alice_browser):
        phone = browser("203.0.113.9", IPHONE)
        sign_in(phone, alice)
        session = alice_browser.session
        session["_proof_at"] = 0
        session.save()
        response = alice_browser.post(f"/account/devices/sessions/{_row(phone).pk}/sign-out/")
        assert response.status_code == 403
        assert "Confirm your password" in response.content.decode()
        assert phone.get("/dashboard/").status_code == 200

    def test_signing_out_the_current_session_signs_this_browser_out(self, alice_browser):
        row = _row(alice_browser)
        response = alice_browser.post(f"/account/devices/sessions/{row.pk}/sign-out/")
        assert response["Location"] == "/accounts/login/"
        assert alice_browser.get("/dashboard/").status_code == 302

    def test_a_get_changes_nothing(self, alice, alice_browser):
        phone = browser("203.0.113.9", IPHONE)
        sign_in(phone, alice)
        assert alice_browser.get(f"/account/devices/sessions/{_row(phone).pk}/sign-out/"
                                 ).status_code == 405
        assert phone.get("/dashboard/").status_code == 200


@pytest.mark.django_db
class TestSignOutAllOthers:
    def test_it_ends_every_other_session_and_every_issued_token(self, alice, alice_browser):
        others = [browser(f"203.0.113.{i}", CHROME_WIN) for i in (1, 2, 3)]
        for other in others:
            sign_in(other, alice)
        epoch = User.objects.get(pk=alice.pk).token_epoch
        response = alice_browser.post("/account/devices/sessions/sign-out-others/")
        assert response.status_code == 302
        for other in others:
            assert other.get("/dashboard/")["Location"].startswith("/accounts/login/")
        assert alice_browser.get("/dashboard/").status_code == 200
        assert User.objects.get(pk=alice.pk).token_epoch == epoch + 1
        assert list(UserSession.objects.filter(user=alice)) == [_row(alice_browser)]
        event = SecurityEvent.objects.get(type=EventType.SESSION_ENDED)
        assert event.detail == {"scope": "all_others", "count": 3}

    def test_it_ends_a_session_that_has_no_row(self, alice, alice_browser):
        ghost = browser("203.0.113.1")
        ghost.force_login(alice)
        UserSession.objects.filter(session_key=ghost.session.session_key).delete()
        alice_browser.post("/account/devices/sessions/sign-out-others/")
        response = ghost.get("/dashboard/")
        assert response["Location"].startswith("/accounts/login/")

    def test_it_needs_fresh_proof(self, alice, alice_browser):
        other = browser("203.0.113.1")
        sign_in(other, alice)
        session = alice_browser.session
        session["_proof_at"] = 0
        session.save()
        assert alice_browser.post("/account/devices/sessions/sign-out-others/"
                                  ).status_code == 403
        assert other.get("/dashboard/").status_code == 200


@pytest.mark.django_db
class TestPasswordChange:
    NEW = "N3w-Sunrise-Path-77"

    def test_it_signs_out_every_other_session_and_keeps_this_one(self, alice, alice_browser):
        other = browser("203.0.113.1", CHROME_WIN)
        sign_in(other, alice)
        other_key = other.session.session_key
        response = alice_browser.post("/accounts/password/change/", {
            "old_password": PASSWORD, "new_password1": self.NEW, "new_password2": self.NEW})
        assert response.status_code == 302
        assert not _store()().exists(other_key)
        assert other.get("/dashboard/")["Location"].startswith("/accounts/login/")
        assert alice_browser.get("/dashboard/").status_code == 200
        # The change gave this session a new key; its row follows it.
        assert [r.session_key for r in UserSession.objects.filter(user=alice)] == [
            alice_browser.session.session_key]
        assert alice_browser.get(DEVICES).content.decode().count("This browser") == 1

    def test_a_password_reset_signs_out_every_session(self, alice, alice_browser):
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        alice.refresh_from_db()  # the token covers last_login, which signing in changed
        uid = urlsafe_base64_encode(force_bytes(alice.pk))
        token = default_token_generator.make_token(alice)
        stranger = browser("192.0.2.1")
        url = stranger.get(f"/accounts/password/reset/{uid}/{token}/")["Location"]
        response = stranger.post(url, {"new_password1": self.NEW, "new_password2": self.NEW})
        assert response.status_code == 302
        assert not UserSession.objects.filter(user=alice).exists()
        assert alice_browser.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_prune_sessions_deletes_only_run_out_rows_and_browsers(alice, alice_browser):
    from django.core.management import call_command

    from security.models import RememberedBrowser

    old = timezone.now() - timedelta(hours=13)
    stale = UserSession.objects.create(user=alice, session_key="stale", signed_in_at=old,
                                       last_activity=old)
    RememberedBrowser.objects.create(user=alice, token_hash="0" * 64, expires_at=old)
    live = RememberedBrowser.objects.create(user=alice, token_hash="1" * 64,
                                            expires_at=timezone.now() + timedelta(days=1))
    call_command("prune_sessions")
    assert not UserSession.objects.filter(pk=stale.pk).exists()
    assert UserSession.objects.filter(session_key=alice_browser.session.session_key).exists()
    assert list(RememberedBrowser.objects.all()) == [live]
    assert alice_browser.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_sign_out_all_others_also_ends_an_issued_api_token(alice, alice_browser):
    api = browser("203.0.113.30")
    reply = api.post("/api/v1/user/auth", {"login": "alice", "password": PASSWORD},
                     content_type="application/json")
    assert reply.status_code == 200
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {reply.json()['token']}"}
    assert api.get("/api/v1/me", **bearer).status_code == 200
    alice_browser.post("/account/devices/sessions/sign-out-others/")
    refused = api.get("/api/v1/me", **bearer)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "INVALID_TOKEN"


@pytest.mark.django_db
def test_a_cycled_session_key_can_still_be_signed_out(alice, alice_browser):
    phone = browser("203.0.113.9", IPHONE)
    sign_in(phone, alice)
    row = _row(phone)
    session = phone.session
    session.cycle_key()  # as a step-up or a privilege change would
    phone.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    assert phone.get("/dashboard/").status_code == 200
    row.refresh_from_db()
    assert row.session_key == session.session_key
    alice_browser.post(f"/account/devices/sessions/{row.pk}/sign-out/")
    assert phone.get("/dashboard/")["Location"].startswith("/accounts/login/")
