"""Property-based: whatever is sent to start and check, the answer is never a 500, always the
API's shape, and nothing is sent or changed unless the request was a valid one."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.models import Verification
from portal import ratelimit

from .verify_helpers import NUMBER, VERIFY, call, code_in

pytestmark = pytest.mark.django_db

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6)
NUMBERS = st.sampled_from([NUMBER, "+40712345670", "+14155551234", "+4071234567", "0712345679",
                           "+40 712 345 679", "", "+", "+0000", NUMBER + "\n", "+4915123456789"])
START_FIELDS = {
    "to": NUMBERS | JSON_VALUES,
    "code_length": st.integers(0, 12) | JSON_VALUES,
    "ttl": st.integers(0, 700) | JSON_VALUES,
    "locale": st.sampled_from(["en", "ro", "", "de", "EN", None]) | JSON_VALUES,
    "app_name": st.text(max_size=40) | JSON_VALUES,
}
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@st.composite
def start_bodies(draw):
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)  # not even an object
    names = draw(st.lists(st.sampled_from(sorted(START_FIELDS)), unique=True, max_size=5))
    return {name: draw(START_FIELDS[name]) for name in names}


def _shape(response) -> dict:
    assert response.status_code < 500, response.content
    data = response.json()
    if response.status_code >= 400:
        assert data["status"] is False and data["error"]["code"] and data["error"]["message"]
    else:
        assert data["status"] is True
        assert set(data["verification"]) == {"id", "to", "status", "delivery", "expires_at",
                                             "attempts_left"}
    return data


@FUZZ
@given(body=start_bodies())
def test_no_start_crashes_and_only_valid_ones_send(twilio, key, settings, body):
    settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR = 10**6
    ratelimit.forget_leases()
    before = len(twilio.requests)
    response = call(Client(), "POST", VERIFY, json.dumps(body), key=key)
    data = _shape(response)
    if response.status_code == 201:
        assert len(twilio.requests) == before + 1
        assert body["to"] in (NUMBER, "+40712345670")  # Romania only
        assert "test_code" not in data
    else:
        assert len(twilio.requests) == before


@FUZZ
@given(code=st.text(st.characters(codec="utf-8"), max_size=14) | JSON_VALUES,
       path=st.text(st.characters(codec="utf-8", exclude_characters="/?#"), max_size=30)
       | st.just(""))
def test_no_check_crashes_and_only_the_code_approves(twilio, key, settings, code, path):
    settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR = 10**6
    verification_id = call(Client(), "POST", VERIFY, {"to": NUMBER},
                           key=key).json()["verification"]["id"]
    right = code_in(twilio.bodies()[-1])
    target = verification_id if not path else path
    response = call(Client(), "POST", f"{VERIFY}/{quote(target, safe='')}/check",
                    json.dumps({"code": code}), key=key)
    data = _shape(response)
    found = Verification.objects.get(public_id=verification_id)
    if response.status_code == 200:
        assert target == verification_id
        assert (data["verification"]["status"] == "approved") is (code == right)
        assert found.attempts_left == (5 if code == right else 4)
    else:
        assert found.status == "pending" and found.attempts_left == 5
