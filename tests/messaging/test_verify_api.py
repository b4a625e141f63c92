"""The SMS Authenticator through the API, end to end: the real Twilio SDK sends each code
(through a recording HTTP client), the user types it back, the answers are API.md's."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from freezegun import freeze_time
from twilio.request_validator import RequestValidator

from accounts.models import User
from apikeys import flows
from messaging import verification
from messaging.models import Message, Verification, VerifyRefusal
from portal import sms
from tests.conftest import PASSWORD

from .verify_helpers import NUMBER, VERIFY, allow, call, check, code_in, error_code, start, wrong

pytestmark = pytest.mark.django_db
AN_HOURS_START = "2026-05-04 10:00:00"


def test_a_start_sends_the_code_through_twilio_and_answers_201(client, twilio, key):
    response = start(client, key, app_name="Shop")
    assert response.status_code == 201, response.content
    data = response.json()
    found = Verification.objects.get()
    assert data == {"status": True, "verification": {
        "id": found.public_id, "to": "+4071****679", "status": "pending", "delivery": "queued",
        "expires_at": data["verification"]["expires_at"], "attempts_left": 5}}
    assert data["verification"]["id"].startswith("vf_") and len(found.public_id) == 23
    [sent] = twilio.requests
    assert sent["url"].endswith("/Messages.json") and sent["data"]["To"] == NUMBER
    code = code_in(sent["data"]["Body"])
    assert sent["data"]["Body"] == f"{code} is your Shop code. It expires in 5 minutes."
    expires = found.expires_at - found.created_at
    assert expires == timedelta(seconds=300)


def test_the_code_is_stored_nowhere_and_the_message_list_shows_it_blanked(client, twilio, key):
    start(client, key, code_length=8)
    code = code_in(twilio.bodies()[0])
    assert len(code) == 8
    message = Message.objects.get()
    assert message.body == "******** is your SMS Gateway code. It expires in 5 minutes."
    listed = call(client, "GET", "/api/v1/sms/messages", key=key).json()["messages"]
    assert [m["message"] for m in listed] == [message.body]
    found = Verification.objects.get()
    assert code not in found.code_digest and len(found.code_digest) == 64
    assert code not in str(call(client, "GET", f"{VERIFY}/{found.public_id}", key=key).content)


def test_a_wrong_code_takes_an_attempt_and_the_right_one_approves(client, twilio, key):
    verification_id = start(client, key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[0])
    response = check(client, key, verification_id, wrong(code))
    assert response.status_code == 200
    assert (response.json()["verification"]["status"],
            response.json()["verification"]["attempts_left"]) == ("pending", 4)
    response = check(client, key, verification_id, code)
    assert response.status_code == 200
    assert response.json()["verification"]["status"] == "approved"
    again = check(client, key, verification_id, code)
    assert (again.status_code, error_code(again)) == (409, "CONFLICT")
    assert "approved" in again.json()["error"]["message"]
    shown = call(client, "GET", f"{VERIFY}/{verification_id}", key=key).json()
    assert shown["verification"]["status"] == "approved"


def test_five_wrong_codes_deny_and_then_even_the_right_one_is_409(client, twilio, key):
    verification_id = start(client, key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[0])
    answers = [check(client, key, verification_id, wrong(code)).json()["verification"]
               for _ in range(5)]
    assert [(a["status"], a["attempts_left"]) for a in answers] == [
        ("pending", 4), ("pending", 3), ("pending", 2), ("pending", 1), ("denied", 0)]
    response = check(client, key, verification_id, code)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert "denied" in response.json()["error"]["message"]


def test_an_expired_code_is_409_and_reads_expired(client, twilio, key):
    with freeze_time(AN_HOURS_START) as clock:
        verification_id = start(client, key, ttl=60).json()["verification"]["id"]
        assert twilio.bodies()[0].endswith("It expires in 1 minute.")
        code = code_in(twilio.bodies()[0])
        clock.tick(timedelta(seconds=60))
        response = check(client, key, verification_id, code)
        assert (response.status_code, error_code(response)) == (409, "CONFLICT")
        assert "expired" in response.json()["error"]["message"]
        shown = call(client, "GET", f"{VERIFY}/{verification_id}", key=key).json()
    assert shown["verification"]["status"] == "expired"
    assert Verification.objects.get().status == "expired"


def test_a_canceled_verification_takes_no_code_and_cancels_once(client, twilio, key):
    verification_id = start(client, key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[0])
    response = call(client, "POST", f"{VERIFY}/{verification_id}/cancel", {}, key=key)
    assert response.status_code == 200
    assert response.json()["verification"]["status"] == "canceled"
    assert error_code(check(client, key, verification_id, code)) == "CONFLICT"
    again = call(client, "POST", f"{VERIFY}/{verification_id}/cancel", {}, key=key)
    assert (again.status_code, error_code(again)) == (409, "CONFLICT")


def test_a_new_start_for_the_number_cancels_the_pending_one(client, twilio, key):
    first = start(client, key).json()["verification"]["id"]
    first_code = code_in(twilio.bodies()[0])
    second = start(client, key).json()["verification"]["id"]
    assert call(client, "GET", f"{VERIFY}/{first}", key=key).json()[
        "verification"]["status"] == "canceled"
    assert error_code(check(client, key, first, first_code)) == "CONFLICT"
    second_code = code_in(twilio.bodies()[1])
    assert check(client, key, second, second_code).json()["verification"]["status"] == "approved"


def test_a_code_is_good_only_for_its_own_verification(client, twilio, key):
    first = start(client, key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[0])
    allow(User.objects.get(username="alice"), "RO", "DE")
    other = call(client, "POST", VERIFY, {"to": "+4915123456789"}, key=key).json()
    response = check(client, key, other["verification"]["id"], code)
    if code != code_in(twilio.bodies()[1]):
        assert response.json()["verification"]["attempts_left"] == 4
    assert check(client, key, first, code).json()["verification"]["status"] == "approved"


def test_a_destination_outside_the_allowed_countries_sends_nothing(client, twilio, key, owner):
    response = call(client, "POST", VERIFY, {"to": "+14155551234"}, key=key)
    assert (response.status_code, error_code(response)) == (403, "DESTINATION_NOT_ALLOWED")
    assert not twilio.requests and not Message.objects.exists()
    assert not Verification.objects.exists()
    refusal = VerifyRefusal.objects.get()
    assert (refusal.owner, refusal.country, refusal.reason, refusal.masked_to) == (
        owner, "US", "DESTINATION_NOT_ALLOWED", "+1415****234")
    allow(owner, "RO", "US")
    assert call(client, "POST", VERIFY, {"to": "+14155551234"}, key=key).status_code == 201


def test_an_account_without_a_verified_phone_may_send_nowhere_until_it_chooses(
        client, twilio, mallory):
    key = flows.create_key(None, mallory, description="x", type="cloud").full_key
    response = call(client, "POST", VERIFY, {"to": NUMBER}, key=key)
    assert error_code(response) == "DESTINATION_NOT_ALLOWED"
    assert not twilio.requests


@freeze_time(AN_HOURS_START)
def test_at_most_five_starts_an_hour_per_number(client, twilio, key, make_key, settings):
    for _ in range(5):
        assert start(client, key).status_code == 201
    response = start(client, key)
    assert (response.status_code, error_code(response)) == (429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert len(twilio.requests) == 5
    assert VerifyRefusal.objects.get().reason == "RATE_LIMITED"
    # Another number still goes; so does this one the next hour.
    assert call(client, "POST", VERIFY, {"to": "+40712345670"}, key=key).status_code == 201
    with freeze_time("2026-05-04 11:00:01"):
        assert start(client, key).status_code == 201


@freeze_time(AN_HOURS_START)
def test_the_account_cap_counts_every_number(client, twilio, key, settings):
    settings.VERIFY_STARTS_PER_ACCOUNT_PER_HOUR = 2
    assert start(client, key).status_code == 201
    assert call(client, "POST", VERIFY, {"to": "+40712345670"}, key=key).status_code == 201
    response = call(client, "POST", VERIFY, {"to": "+40712345671"}, key=key)
    assert error_code(response) == "RATE_LIMITED"
    assert len(twilio.requests) == 2


@freeze_time(AN_HOURS_START)
def test_verify_starts_and_sign_in_codes_have_separate_budgets(client, twilio, key, settings,
                                                               owner):
    settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR = 1
    assert call(client, "POST", VERIFY, {"to": "+40712345678"}, key=key).status_code == 201
    # alice's own sign-in code to the same phone is still sent.
    response = call(client, "POST", "/api/v1/user/auth", {"login": "alice",
                                                          "password": PASSWORD})
    assert error_code(response) == "OTP_REQUIRED"
    assert len(twilio.requests) == 2


def test_a_test_key_answers_the_code_and_sends_nothing(client, twilio, make_key):
    test_key = make_key(mode="test").full_key
    response = start(client, test_key)
    assert response.status_code == 201
    data = response.json()
    assert data["verification"]["delivery"] == "sent"
    assert not twilio.requests and not sms.outbox
    assert Message.objects.get().test is True
    assert check(client, test_key, data["verification"]["id"], data["test_code"]).json()[
        "verification"]["status"] == "approved"


def test_a_live_start_never_answers_the_code(client, twilio, key):
    assert "test_code" not in start(client, key).json()


def test_a_key_without_the_verify_scope_is_refused(client, twilio, make_key):
    narrow = make_key(scopes=["sms:send"]).full_key
    response = start(client, narrow)
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")
    assert not twilio.requests


def test_a_sub_user_needs_the_permission(client, twilio, make_user, owner):
    sam = make_user("sam", owner=owner, permissions=["send_sms"])
    token = call(client, "POST", "/api/v1/user/auth",
                 {"login": "sam", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = call(client, "POST", VERIFY, {"to": NUMBER}, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")
    User.objects.filter(pk=sam.pk).update(permissions=["use_verify"])
    response = call(client, "POST", VERIFY, {"to": NUMBER}, headers=headers)
    assert response.status_code == 201, response.content
    found = Verification.objects.get()
    assert (found.user, found.owner) == (sam, owner)  # the account's allowed countries


def test_a_sub_users_sending_rules_apply(client, twilio, make_user, owner):
    make_user("sam", owner=owner, permissions=["use_verify"], monthly_limit=1)
    token = call(client, "POST", "/api/v1/user/auth",
                 {"login": "sam", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert call(client, "POST", VERIFY, {"to": NUMBER}, headers=headers).status_code == 201
    response = call(client, "POST", VERIFY, {"to": "+40712345670"}, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "LIMIT_REACHED")
    assert len(twilio.requests) == 1
    assert Verification.objects.count() == 1


def test_another_accounts_verification_is_404(client, twilio, key, mallory):
    verification_id = start(client, key).json()["verification"]["id"]
    code = code_in(twilio.bodies()[0])
    theirs = flows.create_key(None, mallory, description="x", type="cloud").full_key
    for method, path, body in [("GET", "", None), ("POST", "/check", {"code": code}),
                               ("POST", "/cancel", {})]:
        response = call(client, method, f"{VERIFY}/{verification_id}{path}", body, key=theirs)
        assert (response.status_code, error_code(response)) == (404, "NOT_FOUND"), path
    assert Verification.objects.get().status == "pending"
    for unknown in ["vf_" + "x" * 20, "nope", "vf_%00", "1"]:
        assert call(client, "GET", f"{VERIFY}/{unknown}", key=key).status_code == 404


@pytest.mark.parametrize("body", [
    {}, {"to": "0712345679"}, {"to": "+4071234567"}, {"to": NUMBER, "code_length": 5},
    {"to": NUMBER, "code_length": 11}, {"to": NUMBER, "ttl": 59}, {"to": NUMBER, "ttl": 601},
    {"to": NUMBER, "locale": "de"}, {"to": NUMBER, "app_name": "x" * 31},
    {"to": NUMBER, "code_length": "6"}, {"to": [NUMBER]}, {"to": NUMBER, "app_name": "a\x00"},
])
def test_bad_starts_are_400_and_send_nothing(client, twilio, key, body):
    response = call(client, "POST", VERIFY, body, key=key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert response.json()["error"].get("fields")
    assert not twilio.requests and not Verification.objects.exists()


@pytest.mark.parametrize("code", ["", "12345", "12345678901", "12a456", " 123456", 123456])
def test_a_malformed_code_is_400_and_takes_no_attempt(client, twilio, key, code):
    verification_id = start(client, key).json()["verification"]["id"]
    response = call(client, "POST", f"{VERIFY}/{verification_id}/check", {"code": code}, key=key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert Verification.objects.get().attempts_left == 5


def test_the_romanian_sms_and_the_settings_defaults(client, twilio, key, owner):
    verification_settings = verification.settings_for(owner)
    verification_settings.app_name, verification_settings.ttl = "Magazin", 600
    verification_settings.code_length = 7
    verification_settings.save()
    start(client, key, locale="ro")
    body = twilio.bodies()[0]
    assert body == f"{code_in(body)} este codul tau pentru Magazin. Expira in 10 minute."
    assert len(code_in(body)) == 7


def test_a_delivery_report_changes_the_verifications_delivery(client, twilio, key, settings):
    settings.SMS_STATUS_CALLBACK_URL = "https://portal.example/api/v1/sms/status"
    verification_id = start(client, key).json()["verification"]["id"]
    sid = Message.objects.get().provider_id
    assert sid.startswith("SM")
    for status, shown in [("sent", "sent"), ("delivered", "delivered")]:
        params = {"MessageSid": sid, "MessageStatus": status}
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
            settings.SMS_STATUS_CALLBACK_URL, params)
        report = client.post("/api/v1/sms/status", urlencode(params),
                             content_type="application/x-www-form-urlencoded",
                             headers={"X-Twilio-Signature": signature})
        assert report.status_code == 204
        data = call(client, "GET", f"{VERIFY}/{verification_id}", key=key).json()
        assert data["verification"]["delivery"] == shown


def test_a_provider_refusal_answers_delivery_failed_and_costs_no_start(client, key, settings):
    settings.SMS_BACKEND = "tests.messaging.test_sending.RefusingBackend"
    settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR = 1
    response = start(client, key)
    assert response.status_code == 201
    assert response.json()["verification"]["delivery"] == "failed"
    settings.SMS_BACKEND = "locmem"
    assert start(client, key).status_code == 201  # the refused one was not counted
    assert len(sms.outbox) == 1


def test_the_document_describes_the_endpoints_with_curl_examples(client):
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    start_op = paths["/api/v1/verify"]["post"]
    check_op = paths["/api/v1/verify/{verification_id}/check"]["post"]
    assert "curl -X POST" in start_op["description"] and "/api/v1/verify" in start_op["description"]
    assert "curl -X POST" in check_op["description"] and '"code"' in check_op["description"]
    assert {"201", "400", "401", "403", "409", "429", "503"} <= set(start_op["responses"])
    assert {"200", "404", "409"} <= set(check_op["responses"])
    assert {"200", "404"} <= set(paths["/api/v1/verify/{verification_id}"]["get"]["responses"])
    assert {"200", "404", "409"} <= set(
        paths["/api/v1/verify/{verification_id}/cancel"]["post"]["responses"])
    start_in = document["components"]["schemas"]["VerifyStartIn"]
    assert start_in["required"] == ["to"]
    assert (start_in["properties"]["code_length"]["minimum"],
            start_in["properties"]["code_length"]["maximum"]) == (6, 10)
    assert (start_in["properties"]["ttl"]["minimum"],
            start_in["properties"]["ttl"]["maximum"]) == (60, 600)
    assert start_op["security"]  # a key or a token
