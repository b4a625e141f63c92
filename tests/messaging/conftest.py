"""The SMS Authenticator's fixtures (the helpers: verify_helpers.py)."""

from __future__ import annotations

import pytest

from apikeys.models import APIKey
from tests.conftest import key_factory

from .verify_helpers import RECORDER


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "tests.messaging.verify_helpers.RecordedTwilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "twilio-auth-token-for-tests-0123"
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    RECORDER.requests.clear()
    yield RECORDER
    RECORDER.requests.clear()


@pytest.fixture
def owner(alice_with_sms):
    """alice, whose verified phone is Romanian: her allowed countries start as ["RO"]."""
    return alice_with_sms


@pytest.fixture
def make_key(owner):
    return key_factory(owner, description="Sign-in", type=APIKey.Type.CLOUD)


@pytest.fixture
def key(make_key) -> str:
    return make_key().full_key
