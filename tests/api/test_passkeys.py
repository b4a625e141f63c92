"""The API cannot use a passkey (issue 14): an account whose only second factor is a passkey
is asked for a code the API can take, never given a token on its password alone."""

from __future__ import annotations

import pytest

from accounts import otp
from tests.passkeys import Authenticator, add_passkey

from .conftest import call, error_code
from .test_jwt import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def passkey_only(alice):
    add_passkey(alice, Authenticator())
    return otp.generate_backup_codes(alice)


def test_the_password_alone_gets_no_token_and_the_answer_says_what_to_send(client, passkey_only):
    response = sign_in(client)
    assert (response.status_code, error_code(response)) == (401, "OTP_REQUIRED")
    body = response.json()
    assert "token" not in body and body.get("challenge") is None
    message = body["error"]["message"]
    assert message.startswith("A passkey cannot be used through the API.")
    assert "backup codes" in message and "authenticator app" in message
    assert "API key" in message


def test_a_backup_code_then_gets_the_token(client, passkey_only):
    response = sign_in(client, otp=passkey_only[0])
    assert response.status_code == 200, response.content
    assert response.json()["token"]


def test_an_account_with_an_app_beside_its_passkey_is_asked_for_the_apps_code(client, alice):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    add_passkey(alice, Authenticator())
    TOTPDevice.objects.create(user=alice, name="app", confirmed=True)
    response = sign_in(client)
    assert error_code(response) == "OTP_REQUIRED"
    assert response.json()["error"]["message"].startswith("Send the code from your "
                                                          "authenticator app")


def test_an_api_key_says_a_passkey_is_a_second_factor(client, alice, key):
    assert call(client, "GET", "/api/v1/me", key=key.full_key).json()["user"]["two_factor"] \
        is False
    add_passkey(alice, Authenticator())
    assert call(client, "GET", "/api/v1/me", key=key.full_key).json()["user"]["two_factor"] \
        is True
