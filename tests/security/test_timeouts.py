"""Session duration: the user's idle timeout and the absolute lifetime, enforced server-side."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from security.models import EventType, SecurityEvent, UserSession

from .conftest import browser, sign_in

START = "2026-03-01 09:00:00"


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.fixture
def quarter_hour_alice(alice):
    alice.session_idle_seconds = 15 * 60
    alice.save(update_fields=["session_idle_seconds"])
    return alice


@pytest.mark.django_db
class TestIdleTimeout:
    def test_it_signs_out_after_the_chosen_idle_time(self, quarter_hour_alice):
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, quarter_hour_alice)
            clock.tick(timedelta(minutes=15, seconds=1))
            response = client.get("/account/devices/?x=1")
        assert _signed_out(response)
        assert response["Location"] == "/accounts/login/?next=%2Faccount%2Fdevices%2F%3Fx%3D1"
        assert not UserSession.objects.exists()
        event = SecurityEvent.objects.get(type=EventType.SESSION_ENDED)
        assert event.detail == {"scope": "expired", "reason": "idle"}

    def test_it_says_why_and_returns_to_the_page_after_signing_in(self, quarter_hour_alice):
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, quarter_hour_alice)
            clock.tick(timedelta(minutes=16))
            login_url = client.get("/account/activity/")["Location"]
            page = client.get(login_url).content.decode()
            assert "signed out after a period of inactivity" in page
            assert 'name="next" value="/account/activity/"' in page
            response = sign_in(client, quarter_hour_alice, next_url="/account/activity/")
        assert response["Location"] == "/account/activity/"

    def test_activity_before_the_timeout_extends_it(self, quarter_hour_alice):
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, quarter_hour_alice)
            clock.tick(timedelta(minutes=14))
            assert client.get("/dashboard/").status_code == 200
            clock.tick(timedelta(minutes=14))  # 28 minutes after sign-in, 14 idle
            assert client.get("/dashboard/").status_code == 200
            clock.tick(timedelta(minutes=15, seconds=1))
            assert _signed_out(client.get("/dashboard/"))

    def test_it_follows_a_change_of_the_setting_at_once(self, alice):
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, alice)  # 1 hour by default
            clock.tick(timedelta(minutes=20))
            assert client.get("/dashboard/").status_code == 200
            alice.session_idle_seconds = 15 * 60
            alice.save(update_fields=["session_idle_seconds"])
            clock.tick(timedelta(minutes=15, seconds=1))
            assert _signed_out(client.get("/dashboard/"))

    def test_a_post_after_the_timeout_changes_nothing(self, quarter_hour_alice):
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, quarter_hour_alice)
            clock.tick(timedelta(minutes=16))
            response = client.post("/account/whitelists/add/",
                                   {"kind": "api", "value": "203.0.113.7"},
                                   HTTP_REFERER="http://testserver/account/whitelists/")
        assert _signed_out(response)
        assert response["Location"].endswith("?next=%2Faccount%2Fwhitelists%2F")
        assert not quarter_hour_alice.ip_whitelist.exists()


@pytest.mark.django_db
class TestAbsoluteLifetime:
    def test_it_ends_an_active_session_at_the_cap(self, alice, settings):
        assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, alice)
            for _ in range(23):  # active every half hour, for 11.5 hours
                clock.tick(timedelta(minutes=30))
                assert client.get("/dashboard/").status_code == 200
            clock.tick(timedelta(minutes=29, seconds=59))
            assert client.get("/dashboard/").status_code == 200
            clock.tick(timedelta(seconds=1))
            response = client.get("/dashboard/")
        assert _signed_out(response)
        event = SecurityEvent.objects.get(type=EventType.SESSION_ENDED)
        assert event.detail["reason"] == "lifetime"

    def test_an_idle_timeout_longer_than_the_cap_is_capped(self, alice):
        alice.session_idle_seconds = 24 * 60 * 60
        alice.save(update_fields=["session_idle_seconds"])
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, alice)
            clock.tick(timedelta(hours=11, minutes=59))
            assert client.get("/dashboard/").status_code == 200
            clock.tick(timedelta(minutes=1))
            assert _signed_out(client.get("/dashboard/"))

    def test_a_new_sign_in_starts_a_new_lifetime(self, alice):
        with freeze_time(START) as clock:
            client = browser()
            sign_in(client, alice)
            clock.tick(timedelta(hours=12))
            assert _signed_out(client.get("/dashboard/"))
            sign_in(client, alice)
            clock.tick(timedelta(minutes=30))
            assert client.get("/dashboard/").status_code == 200
