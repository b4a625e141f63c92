"""POST /api/v1/user/auth and bearer tokens: a password sign-in like the portal's."""

from __future__ import annotations

import time

import jwt
import pytest
from django.conf import settings
from django.db.models import F
from freezegun import freeze_time

from accounts.models import User
from security.models import EventType, IPWhitelistEntry, SecurityEvent
from tests.conftest import PASSWORD, last_sms_code

from .conftest import call, error_code

pytestmark = pytest.mark.django_db


def sign_in(client, login="alice", password=PASSWORD, otp=None, challenge=None, **extra):
    body = {"login": login, "password": password}
    if otp is not None:
        body["otp"] = otp
    if challenge is not None:
        body["challenge"] = challenge
    return call(client, "POST", "/api/v1/user/auth", body, **extra)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_for(client) -> str:
    response = sign_in(client)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_a_password_gives_a_short_lived_token(client, alice):
    response = sign_in(client)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] is True and data["expires_in"] == settings.JWT_LIFETIME_SECONDS == 900
    header = jwt.get_unverified_header(data["token"])
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert {"exp", "iat", "iss", "aud", "sub", "epoch"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 900
    assert SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS, user=alice).exists()


def test_the_token_authenticates_with_every_scope(client, alice):
    token = token_for(client)
    me = call(client, "GET", "/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == {"status": True, "key": None, "user": {
        "username": "alice", "email": "alice@example.com", "two_factor": False}}
    for path in ("/api/v1/keys", "/api/v1/sms/messages", "/api/v1/sms/stats"):
        assert call(client, "GET", path, headers=bearer(token)).status_code == 200
    created = call(client, "POST", "/api/v1/keys", {"description": "from a token"},
                   headers=bearer(token))
    assert created.status_code == 201


def test_the_jwt_secret_is_256_bits_and_not_the_secret_key():
    assert len(settings.JWT_SECRET.encode()) >= 32
    assert settings.JWT_SECRET != settings.SECRET_KEY
    assert settings.JWT_SECRET not in settings.SECRET_KEY


def test_a_wrong_password_and_an_unknown_user_answer_alike(client, alice):
    wrong = sign_in(client, password=PASSWORD + "x")
    unknown = sign_in(client, login="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert error_code(wrong) == "INVALID_CREDENTIALS"
    assert SecurityEvent.objects.filter(type=EventType.SIGNIN_FAILURE).count() == 2


def test_the_password_is_never_in_the_answer_or_the_events(client, alice):
    response = sign_in(client, password="Secret-Guess-99")
    assert "Secret-Guess-99" not in response.content.decode()
    assert not any("Secret-Guess-99" in str(e.detail) for e in SecurityEvent.objects.all())


def test_repeated_failures_lock_the_username_and_address_out(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, password="wrong-Password-1").status_code == 401
    last = sign_in(client, password="wrong-Password-1")
    assert (last.status_code, error_code(last)) == (429, "RATE_LIMITED")
    response = sign_in(client)  # even the right password
    assert (response.status_code, error_code(response)) == (429, "RATE_LIMITED")
    assert int(response["Retry-After"]) > 0


def test_the_account_wide_lock_stops_rotating_addresses(client, alice, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in(client, password="wrong-Password-1", REMOTE_ADDR=f"198.51.100.{n + 1}")
    response = sign_in(client, REMOTE_ADDR="198.51.100.200")
    assert (response.status_code, error_code(response)) == (429, "RATE_LIMITED")


def test_sign_ins_are_rate_limited_per_address(client, alice, settings):
    settings.LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE = 2
    sign_in(client)
    sign_in(client)
    response = sign_in(client)
    assert (response.status_code, error_code(response)) == (429, "RATE_LIMITED")


def test_a_sign_in_from_outside_the_api_whitelist_answers_as_a_wrong_password(client, alice):
    from django.core import mail

    IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.0/24")
    right = sign_in(client)
    wrong = sign_in(client, password="Wrong-Password-9")
    assert (right.status_code, right.json()) == (wrong.status_code, wrong.json())
    assert (right.status_code, error_code(right)) == (401, "INVALID_CREDENTIALS")
    # The owner hears of the right password, once an hour per address.
    sign_in(client)
    refused = [m for m in mail.outbox if "refused by your IP whitelist" in m.subject]
    assert len(refused) == 1 and "127.0.0.1" in refused[0].body
    assert sign_in(client, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_the_portal_whitelist_does_not_hold_the_api_sign_in(client, alice):
    IPWhitelistEntry.objects.create(user=alice, kind="portal", value="203.0.113.0/24")
    assert sign_in(client).status_code == 200


def test_an_unconfirmed_email_gets_no_token(client, make_user):
    make_user("carol", confirmed=False)
    response = sign_in(client, login="carol")
    assert (response.status_code, error_code(response)) == (403, "EMAIL_UNCONFIRMED")


def test_with_a_second_factor_a_code_is_sent_then_required(client, alice_with_sms):
    first = sign_in(client)
    assert (first.status_code, error_code(first)) == (401, "OTP_REQUIRED")
    assert "token" not in first.json()
    challenge = first.json()["challenge"]
    code = last_sms_code()
    wrong = sign_in(client, otp="000000" if code != "000000" else "111111", challenge=challenge)
    assert (wrong.status_code, error_code(wrong)) == (401, "INVALID_CREDENTIALS")
    good = sign_in(client, otp=code, challenge=challenge)
    assert good.status_code == 200 and good.json()["token"]
    # single use
    assert sign_in(client, otp=code, challenge=challenge).status_code == 401


def test_a_portal_code_does_not_work_for_the_api(client, alice_with_sms):
    from accounts import otp

    otp.send_code(None, otp.sms_device(alice_with_sms), "some-portal-sign-in")
    portal_code = last_sms_code()
    response = sign_in(client, otp=portal_code)
    assert response.status_code == 401


def test_too_many_wrong_codes_end_the_attempt(client, alice_with_sms, settings):
    challenge = sign_in(client).json()["challenge"]
    code = last_sms_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.OTP_MAX_FAILURES):
        sign_in(client, otp=wrong, challenge=challenge)
    # the code was expired
    assert sign_in(client, otp=code, challenge=challenge).status_code == 401


def test_the_token_has_the_users_scopes_but_the_api_whitelist_applies(client, alice):
    token = token_for(client)
    IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.0/24")
    response = call(client, "GET", "/api/v1/me", headers=bearer(token))
    assert (response.status_code, error_code(response)) == (403, "IP_NOT_ALLOWED")
    assert error_code(call(client, "GET", "/api/v1/me", headers=bearer(token))) == \
        "IP_NOT_ALLOWED"
    # Refused every time, recorded once a minute.
    assert SecurityEvent.objects.filter(type=EventType.REQUEST_BLOCKED, user=alice).count() == 1


def test_signing_out_everywhere_or_a_new_password_kills_the_token(client, alice):
    token = token_for(client)
    User.objects.filter(pk=alice.pk).update(token_epoch=F("token_epoch") + 1)
    response = call(client, "GET", "/api/v1/me", headers=bearer(token))
    assert (response.status_code, error_code(response)) == (401, "INVALID_TOKEN")
    fresh = token_for(client)
    assert call(client, "GET", "/api/v1/me", headers=bearer(fresh)).status_code == 200


def test_a_password_change_kills_the_token(client, alice):
    from accounts import flows

    token = token_for(client)
    alice.set_password("Another-Sunset-43")
    alice.save()
    flows.password_changed(None, alice)
    assert error_code(call(client, "GET", "/api/v1/me", headers=bearer(token))) == "INVALID_TOKEN"


def test_a_disabled_account_loses_its_token(client, alice):
    token = token_for(client)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert error_code(call(client, "GET", "/api/v1/me", headers=bearer(token))) == "INVALID_TOKEN"


def _claims(user, **changes):
    now = int(time.time())
    claims = {"iss": settings.JWT_ISSUER, "aud": settings.JWT_AUDIENCE, "sub": str(user.pk),
              "iat": now, "exp": now + 600, "epoch": user.token_epoch}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _none_alg(claims) -> str:
    import base64
    import json

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize("attack", ["none", "hs512", "expired", "no_exp", "no_iat", "wrong_aud",
                                    "wrong_iss", "other_secret", "rs_confusion", "garbage",
                                    "wrong_epoch", "sub_not_a_number"])
def test_forged_or_bent_tokens_are_refused(client, alice, attack):
    secret = settings.JWT_SECRET
    good = _claims(alice)
    token = {
        "none": lambda: _none_alg(good),
        "hs512": lambda: jwt.encode(good, secret, algorithm="HS512"),
        "expired": lambda: jwt.encode(_claims(alice, exp=int(time.time()) - 1), secret),
        "no_exp": lambda: jwt.encode({k: v for k, v in good.items() if k != "exp"}, secret),
        "no_iat": lambda: jwt.encode({k: v for k, v in good.items() if k != "iat"}, secret),
        "wrong_aud": lambda: jwt.encode(_claims(alice, aud="https://elsewhere/"), secret),
        "wrong_iss": lambda: jwt.encode(_claims(alice, iss="https://elsewhere/"), secret),
        "other_secret": lambda: jwt.encode(good, "x" * 64),
        # Another key type altogether: an RS256 token from a key pair of the attacker's.
        "rs_confusion": lambda: jwt.encode(good, _rsa_key(), algorithm="RS256"),
        "garbage": lambda: "not.a.token",
        "wrong_epoch": lambda: jwt.encode(_claims(alice, epoch=alice.token_epoch + 1), secret),
        "sub_not_a_number": lambda: jwt.encode(_claims(alice, sub="alice"), secret),
    }[attack]()
    response = call(client, "GET", "/api/v1/me", headers=bearer(token))
    assert (response.status_code, error_code(response)) == (401, "INVALID_TOKEN")


def test_a_token_expires_after_its_lifetime(client, alice):
    with freeze_time("2026-05-01 12:00:00") as frozen:
        token = token_for(client)
        frozen.tick(899)
        assert call(client, "GET", "/api/v1/me", headers=bearer(token)).status_code == 200
        frozen.tick(2)
        assert error_code(call(client, "GET", "/api/v1/me", headers=bearer(token))) == \
            "INVALID_TOKEN"


@pytest.mark.parametrize("body", [{}, {"login": "alice"}, {"password": "x"},
                                  {"login": 1, "password": 2}, []])
def test_a_malformed_sign_in_is_a_validation_error(client, db, body):
    response = call(client, "POST", "/api/v1/user/auth", body)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
