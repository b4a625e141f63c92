"""Sub-users through the API: their permissions bound tokens and keys, their sending rules
(hours, monthly limit) answer OUTSIDE_SENDING_HOURS and LIMIT_REACHED."""

from __future__ import annotations

from datetime import time

import pytest
from freezegun import freeze_time

from accounts.models import User
from apikeys import flows
from apikeys.issuance import BeyondIssuer
from messaging.models import Message
from portal import sms
from tests.conftest import PASSWORD

from .conftest import call, error_code

pytestmark = pytest.mark.django_db
SEND = {"to": ["+14155551234"], "message": "Hi"}


@pytest.fixture
def sub(make_user, alice):
    user = make_user("sam", owner=alice, permissions=["send_sms"])
    return user


def token(client, login):
    response = call(client, "POST", "/api/v1/user/auth", {"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return {"Authorization": "Bearer " + response.json()["token"]}


def test_a_sub_users_token_has_only_its_permissions(client, sub):
    headers = token(client, "sam")
    assert call(client, "POST", "/api/v1/sms/send", SEND, headers=headers).status_code == 202
    for path in ("/api/v1/keys", "/api/v1/sms/messages"):
        response = call(client, "GET", path, headers=headers)
        assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")


def test_a_permission_taken_away_applies_to_the_next_request(client, sub):
    headers = token(client, "sam")
    User.objects.filter(pk=sub.pk).update(permissions=["read_reports"])
    response = call(client, "POST", "/api/v1/sms/send", SEND, headers=headers)
    assert error_code(response) == "INSUFFICIENT_SCOPE"
    assert call(client, "GET", "/api/v1/sms/stats", headers=headers).status_code == 200


def test_a_sub_users_key_never_exceeds_its_permissions(client, sub):
    with pytest.raises(BeyondIssuer):
        flows.create_key(None, sub, description="sam's", type="cloud",
                         scopes=["sms:send", "sms:read"])
    User.objects.filter(pk=sub.pk).update(permissions=["send_sms", "read_reports"])
    created = flows.create_key(None, User.objects.get(pk=sub.pk), description="sam's",
                               type="cloud", scopes=["sms:send", "sms:read"])
    User.objects.filter(pk=sub.pk).update(permissions=["send_sms"])
    assert call(client, "POST", "/api/v1/sms/send", SEND, key=created.full_key).status_code == 202
    response = call(client, "GET", "/api/v1/sms/messages", key=created.full_key)
    assert error_code(response) == "INSUFFICIENT_SCOPE"


def test_outside_the_sending_hours_nothing_is_sent(client, sub):
    User.objects.filter(pk=sub.pk).update(sending_hours_start=time(9), sending_hours_end=time(17))
    with freeze_time("2026-05-04 20:00:00"):  # UTC, the account's time zone
        headers = token(client, "sam")
        response = call(client, "POST", "/api/v1/sms/send", SEND, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "OUTSIDE_SENDING_HOURS")
    assert "09:00" in response.json()["error"]["message"]
    assert not sms.outbox and not Message.objects.exists()
    with freeze_time("2026-05-04 10:00:00"):
        headers = token(client, "sam")
        assert call(client, "POST", "/api/v1/sms/send", SEND, headers=headers).status_code == 202


def test_the_monthly_limit_is_all_or_nothing(client, sub):
    User.objects.filter(pk=sub.pk).update(monthly_limit=3)
    headers = token(client, "sam")
    two = {"to": ["+14155551234", "+40712345678"], "message": "Hi"}
    assert call(client, "POST", "/api/v1/sms/send", two, headers=headers).status_code == 202
    response = call(client, "POST", "/api/v1/sms/send", two, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "LIMIT_REACHED")
    assert len(sms.outbox) == 2
    assert call(client, "POST", "/api/v1/sms/send", SEND, headers=headers).status_code == 202


def test_a_message_the_provider_refused_gives_its_place_back(client, sub, settings):
    User.objects.filter(pk=sub.pk).update(monthly_limit=1)
    headers = token(client, "sam")
    settings.SMS_BACKEND = "tests.messaging.test_sending.RefusingBackend"
    response = call(client, "POST", "/api/v1/sms/send", SEND, headers=headers)
    assert response.json()["messages"][0]["status"] == "failed"
    settings.SMS_BACKEND = "locmem"
    assert call(client, "POST", "/api/v1/sms/send", SEND, headers=headers).status_code == 202


def test_owners_have_no_sending_rules(client, alice):
    with freeze_time("2026-05-04 03:00:00"):
        headers = token(client, "alice")
        assert call(client, "POST", "/api/v1/sms/send", SEND, headers=headers).status_code == 202
