"""The SMS Authenticator under real concurrency, on SQLite and on PostgreSQL (threads, each
with its own connection; transactional_db: real commits): two checks of the right code at the
same moment approve once; parallel starts for one number never send more than the hourly
cap; parallel wrong codes never take more attempts than there are."""

from __future__ import annotations

import pytest
from django.test import Client
from freezegun import freeze_time

from messaging.models import Verification
from tests.concurrency import run_together

from .verify_helpers import NUMBER, VERIFY, call, code_in, wrong

pytestmark = pytest.mark.django_db(transaction=True)
AN_HOURS_START = "2026-01-01 12:00:00"  # no hourly window ends in the middle of a test


def _start(key: str, to: str = NUMBER):
    return call(Client(), "POST", VERIFY, {"to": to}, key=key)


def _check(key: str, verification_id: str, code: str):
    return call(Client(), "POST", f"{VERIFY}/{verification_id}/check", {"code": code}, key=key)


@pytest.mark.parametrize("round", range(3))
def test_two_parallel_checks_of_the_right_code_approve_once(twilio, key, round):
    verification_id = _start(key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[-1])
    responses = run_together([lambda: _check(key, verification_id, code)] * 2)
    assert sorted(r.status_code for r in responses) == [200, 409]
    [approved] = [r.json() for r in responses if r.status_code == 200]
    assert approved["verification"]["status"] == "approved"
    [refused] = [r.json() for r in responses if r.status_code == 409]
    assert refused["error"]["code"] == "CONFLICT"
    assert Verification.objects.get(public_id=verification_id).status == "approved"


@freeze_time(AN_HOURS_START)
def test_ten_parallel_starts_for_one_number_send_at_most_the_hourly_cap(twilio, key, settings):
    settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR = 5
    responses = run_together([lambda: _start(key)] * 10)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 5 + [429] * 5, codes
    assert len(twilio.requests) == 5
    # However the starts interleaved, one verification of the number is left pending.
    assert Verification.objects.filter(status="pending").count() == 1
    assert Verification.objects.filter(status="canceled").count() == 4


@freeze_time(AN_HOURS_START)
def test_parallel_wrong_codes_take_no_more_attempts_than_there_are(twilio, key):
    verification_id = _start(key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[-1])
    responses = run_together([lambda: _check(key, verification_id, wrong(code))] * 8)
    assert sorted(r.status_code for r in responses) == [200] * 5 + [409] * 3
    found = Verification.objects.get(public_id=verification_id)
    assert (found.status, found.attempts_left) == ("denied", 0)
