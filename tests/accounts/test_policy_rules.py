"""The sign-in policy's rules beyond the door table: limits per address, new devices at the
password step, half-done sign-ins, API challenges and tokens that must stop."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Permission, User
from portal import sms
from tests.conftest import PASSWORD, last_sms_code

pytestmark = pytest.mark.django_db


def api_sign_in(client: Client, login="alice", password=PASSWORD, **more):
    return client.post("/api/v1/user/auth",
                       json.dumps({"login": login, "password": password, **more}),
                       content_type="application/json")


def new_device_mails() -> list:
    return [m for m in mail.outbox if m.subject.endswith("from a new device")]


class TestAttemptsPerAddress:
    """Item 14: password spraying (many usernames from one address) stops on every door."""

    def test_the_portal_refuses_past_the_limit_whatever_the_username(self, settings, db):
        settings.LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE = 20
        client = Client(REMOTE_ADDR="192.0.2.50")
        answers = [client.post("/accounts/login/", {"username": f"user{n}",
                                                    "password": "Spray-Password-1"}).status_code
                   for n in range(21)]
        assert answers == [400] * 20 + [429]
        # Another address is not held back.
        other = Client(REMOTE_ADDR="192.0.2.51")
        assert other.post("/accounts/login/", {"username": "x", "password": "y"}).status_code \
            == 400

    def test_the_portal_and_the_api_share_one_budget(self, settings, alice):
        settings.LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE = 4
        client = Client()
        for n in range(2):
            client.post("/accounts/login/", {"username": f"user{n}", "password": "x"})
        for n in range(2):
            api_sign_in(client, login=f"user{n}", password="x")
        response = api_sign_in(client)  # the right password, too late
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "RATE_LIMITED"
        assert response["Retry-After"]


class TestNewDeviceAtThePasswordStep:
    """Items 8 and 15: the owner hears of a new device as soon as the password passes."""

    def test_a_password_without_its_code_already_tells_the_owner(self, alice_with_sms):
        client = Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Mozilla/5.0 Firefox/128.0")
        response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        assert response["Location"].endswith("/accounts/login/code/")
        [message] = new_device_mails()
        assert "203.0.113.9" in message.body and "entered correctly" in message.body
        # Completing the sign-in from the same browser sends no second e-mail.
        client.post("/accounts/login/code/", {"code": last_sms_code()})
        assert len(new_device_mails()) == 1

    def test_an_api_client_is_known_by_its_address_and_program(self, alice):
        crm = Client(REMOTE_ADDR="203.0.113.20", HTTP_USER_AGENT="crm-sync/2.1")
        for _ in range(3):  # an integration that signs in every 15 minutes
            assert api_sign_in(crm).status_code == 200
        [message] = new_device_mails()
        assert "through the API" in message.body and "203.0.113.20" in message.body
        assert api_sign_in(Client(REMOTE_ADDR="203.0.113.20",
                                  HTTP_USER_AGENT="curl/8.5")).status_code == 200
        assert api_sign_in(Client(REMOTE_ADDR="203.0.113.21",
                                  HTTP_USER_AGENT="crm-sync/2.1")).status_code == 200
        assert len(new_device_mails()) == 3

    def test_a_wrong_password_tells_nobody(self, alice):
        api_sign_in(Client(), password="Wrong-Password-1")
        Client().post("/accounts/login/", {"username": "alice", "password": "Wrong-1"})
        assert not new_device_mails()


class TestHalfDoneSignIn:
    """Item 9: a sign-in waiting for its code ends when the password changes."""

    def test_a_password_change_ends_the_pending_sign_in(self, alice_with_sms):
        attacker = Client()
        attacker.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        code = last_sms_code()
        alice_with_sms.set_password("A-New-Password-77")
        alice_with_sms.save()
        response = attacker.post("/accounts/login/code/", {"code": code})
        assert response.status_code == 302 and response["Location"].endswith("/accounts/login/")
        assert attacker.get("/dashboard/").status_code == 302

    def test_ending_every_session_ends_it_too(self, alice_with_sms):
        attacker = Client()
        attacker.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        code = last_sms_code()
        User.objects.filter(pk=alice_with_sms.pk).update(token_epoch=7)
        attacker.post("/accounts/login/code/", {"code": code})
        assert attacker.get("/dashboard/").status_code == 302

    def test_an_untouched_pending_sign_in_still_completes(self, alice_with_sms):
        client = Client()
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        client.post("/accounts/login/code/", {"code": last_sms_code()})
        assert client.get("/dashboard/").status_code == 200


class TestAPIChallenges:
    """Item 10: an API sign-in's SMS code is bound to the attempt that asked for it."""

    def test_a_code_works_only_with_its_challenge(self, alice_with_sms, settings):
        settings.OTP_SMS_RESEND_COOLDOWN = 0
        first = api_sign_in(Client())
        assert first.status_code == 401
        challenge = first.json()["challenge"]
        code = last_sms_code()
        other = Client(REMOTE_ADDR="203.0.113.77")
        for attempt in ({"otp": code}, {"otp": code, "challenge": "made-up"}):
            response = api_sign_in(other, **attempt)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"
        good = api_sign_in(Client(), otp=code, challenge=challenge)
        assert good.status_code == 200 and good.json()["token"]

    def test_asking_again_within_the_cooldown_gives_the_same_challenge(self, alice_with_sms):
        first = api_sign_in(Client()).json()
        second = api_sign_in(Client()).json()
        assert first["error"]["code"] == second["error"]["code"] == "OTP_REQUIRED"
        assert first["challenge"] == second["challenge"]
        assert len(sms.outbox) == 1

    def test_an_expired_challenge_is_refused(self, alice_with_sms):
        from freezegun import freeze_time

        with freeze_time() as clock:
            challenge = api_sign_in(Client()).json()["challenge"]
            code = last_sms_code()
            clock.tick(5 * 60 + 1)
            response = api_sign_in(Client(), otp=code, challenge=challenge)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"

    def test_an_authenticator_code_needs_no_challenge(self, alice):
        device = TOTPDevice.objects.create(user=alice, name="app", confirmed=True)
        first = api_sign_in(Client())
        assert first.json()["error"]["code"] == "OTP_REQUIRED"
        assert "challenge" not in first.json() and not sms.outbox
        code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
        assert api_sign_in(Client(), otp=code).status_code == 200


class TestTokensThatMustStop:
    """Items 1 and 2: a token already issued stops when the account must do something first."""

    def _token(self, login="alice") -> str:
        response = api_sign_in(Client(), login=login)
        assert response.status_code == 200, response.content
        return response.json()["token"]

    def _me(self, token: str):
        return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    def test_a_forced_password_change_stops_the_token(self, alice):
        token = self._token()
        User.objects.filter(pk=alice.pk).update(must_change_password=True)
        response = self._me(token)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "PASSWORD_CHANGE_REQUIRED"
        created = Client().post("/api/v1/keys", json.dumps({"description": "x",
                                                            "type": "cloud"}),
                                content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {token}")
        assert created.status_code == 403

    def test_an_owner_requiring_a_second_factor_stops_the_sub_users_token(self, make_user):
        owner = make_user("shop")
        make_user("cashier", owner=owner, permissions=[Permission.SEND_SMS])
        token = self._token("cashier")
        assert self._me(token).status_code == 200
        User.objects.filter(pk=owner.pk).update(subusers_require_second_factor=True)
        response = Client().post("/api/v1/sms/send",
                                 json.dumps({"to": ["+40712345678"], "message": "hi"}),
                                 content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "SECOND_FACTOR_REQUIRED"
        assert not sms.outbox
