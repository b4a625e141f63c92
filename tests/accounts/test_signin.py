"""Sign-in: enumeration, lock-out, session keys, the code step (SEC-07..17)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import SMSDevice, User
from portal import sms
from security.models import EventType, SecurityEvent
from tests.conftest import PASSWORD, last_sms_code

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"


def _login(client, username="alice", password=PASSWORD, ip="198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _body(response) -> str:
    import re

    # CSRF tokens are masked anew on each page (the form's, and the passkey script's).
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"csrfToken": "[^"]+"', "",
                  response.content.decode())


@pytest.mark.django_db
class TestNoEnumeration:
    def test_unknown_user_and_wrong_password_look_the_same(self, client, alice, monkeypatch):
        calls = []
        original = Argon2PasswordHasher.encode

        def counting(self, password, salt):
            calls.append(1)
            return original(self, password, salt)

        monkeypatch.setattr(Argon2PasswordHasher, "encode", counting)
        original_verify = Argon2PasswordHasher.verify

        def counting_verify(self, password, encoded):
            calls.append(1)
            return original_verify(self, password, encoded)

        monkeypatch.setattr(Argon2PasswordHasher, "verify", counting_verify)
        wrong = _login(client, "alice", "Wrong-Password-1")
        wrong_calls = len(calls)
        calls.clear()
        unknown = _login(client, "nobody", "Wrong-Password-1")
        assert wrong.status_code == unknown.status_code == 400
        assert _body(wrong).replace("alice", "USER") == _body(unknown).replace("nobody", "USER")
        assert wrong_calls == len(calls) == 1


@pytest.mark.django_db
class TestLockout:
    def test_past_the_limit_even_the_right_password_gets_429(self, client, alice):
        for _ in range(5):
            assert _login(client, password="Wrong-Password-1").status_code in (400, 429)
        response = _login(client)
        assert response.status_code == 429
        assert "Too many failed sign-ins" in response.content.decode()
        assert SecurityEvent.objects.filter(type=EventType.SIGNIN_LOCKED).exists()

    def test_an_unknown_username_locks_out_the_same_way(self, client):
        for _ in range(5):
            _login(client, "nobody", "Wrong-Password-1")
        assert _login(client, "nobody", "Wrong-Password-1").status_code == 429

    def test_rotating_addresses_does_not_escape_the_account_cap(self, client, alice, settings):
        for i in range(settings.LOGIN_ACCOUNT_FAILURE_LIMIT):
            _login(client, password="Wrong-Password-1", ip=f"203.0.113.{i + 1}")
        assert _login(client, ip="192.0.2.200").status_code == 429

    def test_another_address_is_not_locked_by_the_pair_limit(self, client, alice):
        for _ in range(5):
            _login(client, password="Wrong-Password-1", ip="203.0.113.9")
        assert _login(client, ip="192.0.2.10").status_code == 302

    def test_the_lock_ends_after_the_cool_off(self, client, alice):
        for _ in range(6):
            _login(client, password="Wrong-Password-1")
        with freeze_time(timezone.now() + timedelta(minutes=16)):
            assert _login(client).status_code == 302

    def test_an_operator_unlock_lets_the_user_in_again(self, client, alice):
        from accounts.lockout import unlock

        for _ in range(6):
            _login(client, password="Wrong-Password-1")
        unlock("alice")
        assert _login(client).status_code == 302


@pytest.mark.django_db
class TestSessions:
    def test_the_session_key_changes_after_the_password_and_after_the_code(
        self, client, alice_with_sms
    ):
        client.get(LOGIN)
        client.session.save()
        first = client.session.session_key
        _login(client)
        second = client.session.session_key
        client.post(CODE, {"code": last_sms_code()})
        third = client.session.session_key
        assert len({first, second, third}) == 3

    def test_a_password_only_session_reaches_no_page_but_the_code_step(
        self, client, alice_with_sms
    ):
        _login(client)
        for path in ("/dashboard/", "/account/security/", "/account/profile/", "/admin/"):
            response = client.get(path, follow=True)
            assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
            assert "Welcome" not in response.content.decode()
        assert client.get(CODE).status_code == 200


@pytest.mark.django_db
class TestCodes:
    def test_the_code_is_six_digits_and_never_stored_or_logged(
        self, client, alice_with_sms, caplog
    ):
        caplog.set_level(logging.DEBUG)
        _login(client)
        code = last_sms_code()
        assert sms.outbox[-1].to == "+40712345678"
        device = SMSDevice.objects.get(user=alice_with_sms)
        assert device.token and code not in device.token
        assert code not in caplog.text
        client.post(CODE, {"code": code})
        assert code not in caplog.text
        for event in SecurityEvent.objects.all():
            assert code not in str(event.detail)

    def test_the_otp_module_draws_from_secrets(self):
        import inspect

        import accounts.models
        import accounts.otp

        for module in (accounts.models, accounts.otp):
            source = inspect.getsource(module)
            assert "random." not in source
        assert "secrets.randbelow" in inspect.getsource(accounts.models)

    def test_a_code_is_refused_after_its_lifetime(self, client, alice_with_sms):
        _login(client)
        code = last_sms_code()
        with freeze_time(timezone.now() + timedelta(minutes=5, seconds=1)):
            response = client.post(CODE, {"code": code})
        assert response.status_code in (302, 400)
        assert client.get("/dashboard/").status_code == 302

    def test_a_code_works_once(self, client, alice_with_sms):
        _login(client)
        code = last_sms_code()
        assert client.post(CODE, {"code": code}).status_code == 302
        client.post("/accounts/logout/")
        sms.outbox.clear()
        with freeze_time(timezone.now() + timedelta(seconds=61)):
            _login(client)
            response = client.post(CODE, {"code": code})
        # The new sign-in got a new code, and the used one no longer works.
        assert len(sms.outbox) == 1
        assert response.status_code == 400

    def test_session_a_code_fails_in_session_b(self, alice_with_sms):
        a, b = Client(), Client()
        _login(a)
        code_a = last_sms_code()
        with freeze_time(timezone.now() + timedelta(seconds=61)):
            _login(b)
            # b's sign-in sent its own code; a's code is bound to a's sign-in.
            code_b = last_sms_code()
            if code_b != code_a:
                assert b.post(CODE, {"code": code_a}).status_code == 400
            assert b.post(CODE, {"code": code_b}).status_code == 302

    def test_a_code_sent_to_session_a_does_not_work_in_session_b_within_the_cooldown(
        self, alice_with_sms
    ):
        a, b = Client(), Client()
        _login(a)
        code_a = last_sms_code()
        _login(b)  # within the cooldown: no new code for b
        assert len(sms.outbox) == 1
        assert b.post(CODE, {"code": code_a}).status_code == 400
        assert a.post(CODE, {"code": code_a}).status_code == 302

    def test_five_wrong_codes_end_the_sign_in_even_before_the_right_one(
        self, client, alice_with_sms
    ):
        _login(client)
        code = last_sms_code()
        wrong = "000000" if code != "000000" else "111111"
        for i in range(4):
            response = client.post(CODE, {"code": wrong})
            assert response.status_code == 400
            assert f"{4 - i} attempts left" in response.content.decode()
        response = client.post(CODE, {"code": wrong})
        assert response["Location"] == LOGIN
        response = client.post(CODE, {"code": code})
        assert response["Location"] == LOGIN
        assert client.get("/dashboard/").status_code == 302
        assert SecurityEvent.objects.filter(type=EventType.CODE_LOCKED).exists()

    def test_a_resend_does_not_reset_the_wrong_code_count(self, client, alice_with_sms):
        _login(client)
        for _ in range(3):
            client.post(CODE, {"code": "000001"})
        with freeze_time(timezone.now() + timedelta(seconds=61)):
            client.post("/accounts/login/code/resend/")
            assert User.objects.get(pk=alice_with_sms.pk).otp_failures == 3
            response = client.post(CODE, {"code": "000002"})
            assert "1 attempts left" in response.content.decode()

    def test_resend_waits_for_the_cooldown(self, client, alice_with_sms):
        _login(client)
        response = client.post("/accounts/login/code/resend/", follow=True)
        assert "wait" in response.content.decode()
        assert len(sms.outbox) == 1
        with freeze_time(timezone.now() + timedelta(seconds=61)):
            client.post("/accounts/login/code/resend/")
        assert len(sms.outbox) == 2

    def test_the_sixth_code_in_an_hour_is_not_sent(self, alice_with_sms):
        now = timezone.now().replace(minute=0, second=0)
        statuses = []
        for i in range(6):
            with freeze_time(now + timedelta(seconds=61 * (i + 1))):
                c = Client()
                _login(c, ip=f"198.51.100.{i + 1}")
                statuses.append(c.get(CODE).content.decode())
        assert len(sms.outbox) == 5
        assert "Too many codes were sent" in statuses[-1]

    def test_a_backup_code_is_accepted_once(self, client, alice_with_sms):
        from accounts.otp import generate_backup_codes

        codes = generate_backup_codes(alice_with_sms)
        _login(client)
        assert client.post(CODE, {"code": codes[0]}).status_code == 302
        assert SecurityEvent.objects.filter(type=EventType.BACKUP_CODE_USED).exists()
        client.post("/accounts/logout/")
        with freeze_time(timezone.now() + timedelta(seconds=61)):
            _login(client)
            assert client.post(CODE, {"code": codes[0]}).status_code == 400
            assert client.post(CODE, {"code": codes[1].upper()}).status_code == 302

    def test_backup_codes_are_stored_as_digests(self, alice_with_sms):
        from django_otp.plugins.otp_static.models import StaticToken

        from accounts.otp import generate_backup_codes

        codes = generate_backup_codes(alice_with_sms)
        stored = set(StaticToken.objects.values_list("token", flat=True))
        assert len(codes) == 10 and len(stored) == 10
        assert not stored & {c.replace("-", "") for c in codes}

    def test_codes_are_compared_in_constant_time(self, client, alice_with_sms, monkeypatch):
        import hmac

        import accounts.models

        seen = []
        real = hmac.compare_digest

        def spy(a, b):
            seen.append(1)
            return real(a, b)

        monkeypatch.setattr(accounts.models.hmac, "compare_digest", spy)
        _login(client)
        client.post(CODE, {"code": last_sms_code()})
        assert seen


@pytest.mark.django_db
def test_a_half_typed_code_does_not_use_up_an_attempt(client, alice_with_sms):
    _login(client)
    response = client.post(CODE, {"code": "123"})
    assert response.status_code == 400
    assert "Enter the 6 digits" in response.content.decode()
    assert User.objects.get(pk=alice_with_sms.pk).otp_failures == 0


@pytest.mark.django_db
def test_a_password_reset_lifts_the_lock_out(client, alice):
    from tests.conftest import outbox_link

    for _ in range(6):
        _login(client, password="Wrong-Password-1")
    assert _login(client).status_code == 429
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    form = client.get(outbox_link(), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "N3w-Sunrise-Path",
                                             "new_password2": "N3w-Sunrise-Path"})
    assert _login(client, password="N3w-Sunrise-Path").status_code == 302
