"""The profile's "sign me out after" choices and the absolute session lifetime agree: only
timeouts a session can reach before its absolute end are offered, and the page says that end."""

from __future__ import annotations

import re

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db
PROFILE = "/account/profile/"
DATA = {"email": "alice@example.com", "time_zone": "UTC", "language": "en"}


def offered(response) -> list[str]:
    select = re.search(r'<select name="session_idle_seconds".*?</select>',
                       response.content.decode(), re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]+)</option>", select)


def test_the_profile_offers_only_timeouts_within_the_12_hour_lifetime_and_says_so(
        alice_client):
    response = alice_client.get(PROFILE)
    assert offered(response) == ["15 minutes", "30 minutes", "1 hour", "4 hours", "8 hours"]
    assert "Sessions also end 12 hours after sign-in, whatever this says." in (
        response.content.decode())


def test_a_timeout_past_the_lifetime_is_refused_and_changes_nothing(alice_client, alice):
    response = alice_client.post(PROFILE, {**DATA, "session_idle_seconds": 24 * 60 * 60})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert User.objects.get(pk=alice.pk).session_idle_seconds == 60 * 60


def test_a_longer_lifetime_offers_the_longer_choice(alice_client, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 24 * 60 * 60
    response = alice_client.get(PROFILE)
    assert offered(response)[-1] == "24 hours"
    assert "Sessions also end 24 hours after sign-in" in response.content.decode()


def test_a_timeout_kept_from_before_shows_as_the_longest_offered(alice_client, alice):
    alice.session_idle_seconds = 24 * 60 * 60
    alice.save(update_fields=["session_idle_seconds"])
    page = alice_client.get(PROFILE).content.decode()
    assert re.search(r'<option value="28800" selected>8 hours</option>', page)
