"""SMS limits and one-time codes under real concurrency (SEC-14, SEC-45, SEC-13).

Threads, each with its own database connection, on SQLite and on PostgreSQL
(transactional_db: real commits): parallel sends pass exactly the cooldown and each hourly
cap, and a right code sent twice at the same moment is accepted once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from accounts import otp
from accounts.models import SMSDevice, User
from portal import sms
from portal.sms import SMSError
from tests.concurrency import run_together
from tests.conftest import PASSWORD, last_sms_code

pytestmark = pytest.mark.django_db(transaction=True)

AN_HOURS_START = "2026-01-01 12:00:00"  # no hourly window ends in the middle of a test
PARALLEL = 16
TOO_MANY = "Too many codes were sent"


def _request(ip: str = "198.51.100.7"):
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)


def _send(device_pk: int, ip: str = "198.51.100.7", binding: str = "nonce") -> otp.SendResult:
    # Each door loads the device itself, as a request would.
    return otp.send_code(_request(ip), SMSDevice.objects.get(pk=device_pk), binding)


def _limits(settings, cooldown=0, account=1000, phone=1000, ip=1000, overall=1000):
    settings.OTP_SMS_RESEND_COOLDOWN = cooldown
    settings.OTP_SMS_MAX_PER_ACCOUNT_HOUR = account
    settings.OTP_SMS_MAX_PER_PHONE_HOUR = phone
    settings.OTP_SMS_MAX_PER_IP_HOUR = ip
    settings.OTP_SMS_MAX_GLOBAL_HOUR = overall


def _devices(make_user, count: int, same_phone: bool = False, first: int = 0) -> list[int]:
    """`count` users with a confirmed SMS device each: their devices' ids."""
    ids = []
    for i in range(first, first + count):
        user = make_user(f"user{i}")
        phone = "+40712345678" if same_phone else f"+407123450{i:02d}"
        ids.append(SMSDevice.objects.create(user=user, name="SMS", phone=phone,
                                            confirmed=True).pk)
    return ids


def _sends_at_once(user: User) -> tuple[int, list[otp.SendResult]]:
    """PARALLEL sends to the user's phone at the same moment: the SMS sent, the refusals."""
    device_pk = SMSDevice.objects.get(user=user).pk
    results = run_together([lambda i=i: _send(device_pk, binding=f"n{i}")
                            for i in range(PARALLEL)])
    assert [r.sent for r in results].count(True) == len(sms.outbox)
    return len(sms.outbox), [r for r in results if not r.sent]


@freeze_time(AN_HOURS_START)
def test_parallel_sends_within_the_cooldown_send_one_sms(settings, alice_with_sms):
    _limits(settings, cooldown=60)
    sent, refused = _sends_at_once(alice_with_sms)
    assert sent == 1
    assert all(r.message == "Please wait before asking for another code." for r in refused)
    assert all(r.retry_after == 60 for r in refused), [r.retry_after for r in refused]


@freeze_time(AN_HOURS_START)
def test_parallel_api_sign_ins_send_one_sms(settings, alice_with_sms):
    _limits(settings, cooldown=60)

    def sign_in():
        response = Client().post("/api/v1/user/auth", {"login": "alice", "password": PASSWORD},
                                 content_type="application/json")
        return response.json()["error"]["code"]

    assert run_together([sign_in] * 12) == ["OTP_REQUIRED"] * 12
    assert len(sms.outbox) == 1


@freeze_time(AN_HOURS_START)
def test_parallel_sends_pass_exactly_the_hourly_cap_of_an_account(settings, alice_with_sms):
    _limits(settings, account=5)
    sent, refused = _sends_at_once(alice_with_sms)
    assert sent == 5
    assert all(TOO_MANY in r.message and 1 <= r.retry_after <= 3600 for r in refused)
    assert TOO_MANY in _send(SMSDevice.objects.get(user=alice_with_sms).pk).message  # it stays


@pytest.mark.parametrize(("cap", "same_phone", "same_ip"), [
    ("phone", True, False),
    ("ip", False, True),
    ("overall", False, False),
])
@freeze_time(AN_HOURS_START)
def test_parallel_sends_for_many_accounts_pass_exactly_each_shared_cap(
    settings, make_user, cap, same_phone, same_ip
):
    _limits(settings, **{cap: 3})
    devices = _devices(make_user, PARALLEL, same_phone=same_phone)
    results = run_together([
        lambda i=i, pk=pk: _send(pk, ip="198.51.100.7" if same_ip else f"198.51.100.{i + 1}")
        for i, pk in enumerate(devices)
    ])
    assert len(sms.outbox) == 3
    assert [r.sent for r in results].count(True) == 3
    assert all(TOO_MANY in r.message for r in results if not r.sent)


@freeze_time(AN_HOURS_START)
def test_a_refused_cap_gives_back_the_others_and_the_cooldown(settings, make_user):
    """Eight accounts ask at once from one address allowed one SMS: one is sent. What the
    seven refused sends took from their account, their phone, the overall budget and their
    cooldown was given back, so each of them then gets its code from another address, and
    the overall budget of eight is just enough for all of them."""
    _limits(settings, cooldown=60, account=1, phone=1, ip=1, overall=8)
    devices = _devices(make_user, 8)
    results = run_together([lambda pk=pk: _send(pk, ip="203.0.113.9") for pk in devices])
    assert [r.sent for r in results].count(True) == 1
    assert len(sms.outbox) == 1
    refused = [pk for pk, r in zip(devices, results, strict=True) if not r.sent]
    for i, pk in enumerate(refused):
        assert _send(pk, ip=f"198.51.100.{i + 1}").sent
    assert len(sms.outbox) == 8
    assert TOO_MANY in _send(_devices(make_user, 1, first=8)[0], ip="192.0.2.1").message


class RefusingBackend:
    """An SMS provider that refuses every message (as Twilio does a blocked destination)."""

    def send(self, to, body, sender="", status_callback=""):
        raise SMSError("The SMS provider refused the message.")


@freeze_time(AN_HOURS_START)
def test_an_sms_the_provider_refused_is_not_counted_but_the_cooldown_holds(
    settings, alice_with_sms
):
    """A refused SMS costs nothing, so it takes nothing from the hourly caps; its code is
    void; the cooldown still paces the next try, so a refusing provider is not called in a
    loop."""
    _limits(settings, cooldown=60, account=1, phone=1, ip=1, overall=1)
    device = SMSDevice.objects.get(user=alice_with_sms)
    settings.SMS_BACKEND = f"{__name__}.RefusingBackend"
    result = _send(device.pk, binding="first")
    assert not result.sent and result.message == "The SMS provider refused the message."
    assert SMSDevice.objects.get(pk=device.pk).token is None  # the unsent code is void
    settings.SMS_BACKEND = "locmem"
    assert _send(device.pk).message == "Please wait before asking for another code."
    with freeze_time(timezone.now() + timedelta(seconds=61)):
        assert _send(device.pk, binding="second").sent
    assert len(sms.outbox) == 1


# --- one-time codes -------------------------------------------------------------------------


def _sms_code(user: User, binding: str) -> str:
    assert otp.send_code(None, SMSDevice.objects.get(user=user), binding).sent
    return last_sms_code()


@pytest.mark.parametrize("round", range(3))
def test_two_parallel_right_sms_codes_sign_in_once(settings, alice_with_sms, round):
    settings.OTP_SMS_RESEND_COOLDOWN = 0
    code = _sms_code(alice_with_sms, "nonce")
    results = run_together([
        lambda: otp.verify_code(None, User.objects.get(pk=alice_with_sms.pk), code, "nonce")
    ] * 2)
    assert sorted(r.result.value for r in results) == ["ok", "wrong"]


def test_a_code_read_by_two_requests_before_either_used_it_works_once(alice_with_sms):
    code = _sms_code(alice_with_sms, "nonce")
    copies = [SMSDevice.objects.get(user=alice_with_sms) for _ in range(2)]  # one a request
    results = run_together([lambda d=d: d.check_code(code, "nonce") for d in copies])
    assert sorted(results) == [False, True]
    assert not SMSDevice.objects.get(pk=copies[0].pk).check_code(code, "nonce")


@pytest.fixture
def alice_with_app(alice):
    return TOTPDevice.objects.create(user=alice, name="App", confirmed=True)


def _app_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.parametrize("round", range(3))
def test_two_parallel_right_app_codes_sign_in_once(alice, alice_with_app, round):
    code = _app_code(alice_with_app)
    results = run_together([
        lambda: otp.verify_code(None, User.objects.get(pk=alice.pk), code, "nonce")
    ] * 2)
    assert sorted(r.result.value for r in results) == ["ok", "wrong"]


def test_an_app_code_read_by_two_requests_before_either_used_it_works_once(alice_with_app):
    code = _app_code(alice_with_app)
    copies = [TOTPDevice.objects.get(pk=alice_with_app.pk) for _ in range(2)]
    results = run_together([lambda d=d: otp.use_app_code(d, code) for d in copies])
    assert sorted(results) == [False, True]
    device = TOTPDevice.objects.get(pk=alice_with_app.pk)
    assert device.throttling_failure_count == 1  # the loser's try counts as a wrong code
    device.throttle_reset()
    assert not otp.use_app_code(device, code)  # and the code stays used
