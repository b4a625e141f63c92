"""One budget of password and code tries for every signed-in form (SEC-22, issue 10 item 6)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from accounts.models import SMSDevice
from accounts.otp import generate_backup_codes
from security.models import EventType, SecurityEvent
from tests.concurrency import run_together
from tests.conftest import PASSWORD, last_sms_code, signed_in_client

WRONG = "Wrong-Password-1"
DISABLE = "/account/security/disable/"
REAUTH = "/accounts/reauth/"


@pytest.fixture
def one_window():
    """Hold the clock at the first second of a 15-minute window: no window may end in the
    middle of a test that counts tries."""
    now = int(time.time())
    with freeze_time(datetime.fromtimestamp(now - now % 900 + 900, tz=UTC)):
        yield


@pytest.fixture
def alice_in(one_window, client, alice_with_sms):
    """alice, signed in with her password and SMS code, with backup codes."""
    signed_in_client(client, alice_with_sms)
    client.codes = generate_backup_codes(alice_with_sms)
    return client


def _disable(client, password=WRONG, code="zzzzz-zzzzz"):
    return client.post(DISABLE, {"password": password, "code": code})


def _page_text(response) -> str:
    """What the user reads: no CSRF token, no value typed back into the code field."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'(name="code"[^>]*?) value="[^"]*"', r"\1", html)


def _assert_too_many(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()


@pytest.mark.django_db
class TestTheDisableForm:
    def test_the_11th_wrong_password_gets_429_and_a_right_one_then_too(self, alice_in,
                                                                       alice_with_sms):
        # A half-typed code is a typing slip: nothing is checked, no try is counted.
        for _ in range(5):
            assert _disable(alice_in, PASSWORD, "123").status_code == 400
        for _ in range(10):
            assert _disable(alice_in).status_code == 400
        _assert_too_many(_disable(alice_in))
        _assert_too_many(_disable(alice_in, PASSWORD, alice_in.codes[0]))
        assert SMSDevice.objects.filter(user=alice_with_sms, confirmed=True).exists()

    def test_a_wrong_password_and_a_wrong_code_get_the_same_answer(self, alice_in,
                                                                   alice_with_sms):
        wrong_password = _disable(alice_in, WRONG, alice_in.codes[0])
        wrong_code = _disable(alice_in, PASSWORD, "zzzzz-zzzzz")
        both_wrong = _disable(alice_in, WRONG, "zzzzz-zzzzz")
        assert wrong_password.status_code == wrong_code.status_code == both_wrong.status_code
        assert wrong_code.status_code == 400
        assert _page_text(wrong_password) == _page_text(wrong_code) == _page_text(both_wrong)
        text = wrong_code.content.decode()
        assert text.count("The password or the code is not right.") == 1
        assert "That password is not right" not in text and "That code" not in text
        # The backup code sent with the wrong password was not used up.
        assert _disable(alice_in, PASSWORD, alice_in.codes[0]).status_code == 302
        assert not SMSDevice.objects.filter(user=alice_with_sms).exists()


@pytest.mark.django_db
class TestOneBudget:
    def test_wrong_reauths_and_wrong_disables_share_it(self, alice_in, make_user):
        for _ in range(5):
            assert alice_in.post(REAUTH, {"password": WRONG}).status_code == 400
        for _ in range(5):
            assert _disable(alice_in).status_code == 400
        _assert_too_many(alice_in.post(REAUTH, {"password": PASSWORD}))
        _assert_too_many(_disable(alice_in, PASSWORD, alice_in.codes[0]))
        _assert_too_many(alice_in.post("/account/security/sms/", {
            "phone": "+40712345679", "password": PASSWORD}))
        _assert_too_many(alice_in.post("/accounts/password/change/", {
            "old_password": PASSWORD, "new_password1": "N3w-Sunrise-Path",
            "new_password2": "N3w-Sunrise-Path"}))
        # The budget is alice's: another user still has all of theirs.
        mallory = signed_in_client(Client(), make_user("mallory"))
        assert mallory.post(REAUTH, {"password": PASSWORD}).status_code == 302

    def test_codes_of_a_new_phone_and_of_an_app_count_in_it(self, alice_in):
        # Enrolling a new phone: the password, then wrong codes.
        assert alice_in.post("/account/security/sms/", {
            "phone": "+40712345679", "password": PASSWORD}).status_code == 302
        code = last_sms_code()
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            assert alice_in.post("/account/security/sms/confirm/",
                                 {"code": wrong}).status_code == 400
        alice_in.get("/account/security/totp/")
        for _ in range(4):
            assert alice_in.post("/account/security/totp/", {"code": wrong}).status_code == 400
        # Ten tries: the right code is refused too, on both pages.
        _assert_too_many(alice_in.post("/account/security/sms/confirm/", {"code": code}))
        _assert_too_many(alice_in.post("/account/security/totp/", {"code": wrong}))


@pytest.mark.django_db
def test_a_wrong_password_on_any_form_is_recorded_without_it(alice_in):
    _disable(alice_in)
    alice_in.post("/account/security/sms/", {"phone": "+40712345679", "password": WRONG})
    alice_in.post("/accounts/password/change/", {
        "old_password": WRONG, "new_password1": "N3w-Sunrise-Path",
        "new_password2": "N3w-Sunrise-Path"})
    events = SecurityEvent.objects.filter(type=EventType.REAUTH_FAILED)
    assert sorted(e.detail.get("via") for e in events) == [
        "disable", "password_change", "sms_enable"]
    assert not any(WRONG in str(e.detail) for e in events)


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_never_pass_the_budget(one_window, alice_with_sms):
    signed_in = signed_in_client(Client(), alice_with_sms)
    cookies = signed_in.cookies

    def guess():
        client = Client()
        client.cookies = cookies
        return _disable(client).status_code

    statuses = run_together([guess] * 16)
    assert statuses.count(400) == 10 and statuses.count(429) == 6
