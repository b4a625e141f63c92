"""Operators and the SMS Authenticator: verifications listed read-only with the number masked
and no digest, an account's allowed countries changed (an event on the account), refused
starts listed."""

from __future__ import annotations

import pytest

from messaging import verification
from messaging.models import Verification, VerifyRefusal
from portal import sms
from security.models import SecurityEvent

from .verify_helpers import NUMBER, code_in

pytestmark = pytest.mark.django_db
ADMIN = "/admin/messaging/"


def test_verifications_are_listed_masked_and_read_only(operator_client, alice_with_sms):
    found = verification.start(alice_with_sms, NUMBER).verification
    code = code_in(sms.outbox[-1].body)
    listing = operator_client.get(f"{ADMIN}verification/").content.decode()
    assert found.public_id in listing and "+4071****679" in listing and NUMBER not in listing
    page = operator_client.get(f"{ADMIN}verification/{found.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200 and "+4071****679" in text
    assert found.code_digest not in text and code not in text and NUMBER not in text
    assert operator_client.get(f"{ADMIN}verification/add/").status_code == 403
    operator_client.post(f"{ADMIN}verification/{found.pk}/change/", {"status": "approved"})
    assert Verification.objects.get(pk=found.pk).status == "pending"


def test_an_operator_changes_the_allowed_countries(operator_client, alice_with_sms):
    current = verification.settings_for(alice_with_sms)
    response = operator_client.post(f"{ADMIN}verifysettings/{current.pk}/change/", {
        "app_name": "Shop", "code_length": 6, "ttl": 300, "allowed_countries": ["RO", "MD"]})
    assert response.status_code == 302, response.content[:2000]
    current.refresh_from_db()
    assert (current.app_name, current.allowed_countries) == ("Shop", ["MD", "RO"])
    event = SecurityEvent.objects.get(type="verify.settings")
    assert (event.user, event.detail["added"], event.detail["operator"]) == (
        alice_with_sms, "MD", "root")
    assert verification.start(alice_with_sms, "+37369123456").verification.to == "+37369123456"


def test_out_of_range_settings_are_refused_in_the_admin(operator_client, alice_with_sms):
    current = verification.settings_for(alice_with_sms)
    response = operator_client.post(f"{ADMIN}verifysettings/{current.pk}/change/", {
        "app_name": "Shop", "code_length": 11, "ttl": 30, "allowed_countries": ["XX"]})
    assert response.status_code == 200  # the form again, with its errors
    current.refresh_from_db()
    assert (current.code_length, current.ttl, current.allowed_countries) == (6, 300, ["RO"])


def test_refused_starts_are_listed(operator_client, alice_with_sms):
    with pytest.raises(verification.VerifyRefused):
        verification.start(alice_with_sms, "+14155551234")
    assert VerifyRefusal.objects.count() == 1
    listing = operator_client.get(f"{ADMIN}verifyrefusal/").content.decode()
    assert "+1415****234" in listing and "DESTINATION_NOT_ALLOWED" in listing
