"""Passkeys (issue 14): added, named, used and removed on the Security page with fresh proof;
"use a passkey" at the code step; signing in with one alone through the portal's own door.

The authenticator is tests/passkeys.py's (real ES256 signatures); the sign-in policy cases
through the passkey door are in test_policy_doors.py, the browser journeys in
tests/browser/test_passkeys.py.
"""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import otp
from accounts.passkeys import Passkey
from portal import sms
from security.models import EventType, IPWhitelistEntry, SecurityEvent
from tests.conftest import PASSWORD, signed_in_client
from tests.passkeys import Authenticator, add_passkey, ceremony, post_json, register, sign_in_alone

pytestmark = pytest.mark.django_db

SECURITY = "/account/security/"
NEW = "/account/security/passkeys/new/"
REGISTER = "/account/security/passkeys/register/"
CODE = "/accounts/login/code/passkey/"


def _stale(client) -> None:
    """The password was confirmed longer ago than FRESH_PROOF_SECONDS."""
    session = client.session
    session["_proof_at"] = int(timezone.now().timestamp()) - settings.FRESH_PROOF_SECONDS - 1
    session.save()


def _security_mails(to: str = "alice@example.com") -> list[str]:
    return [m.body for m in mail.outbox if m.to == [to] and "passkey" in m.body]


# --- adding one -----------------------------------------------------------------------------


def test_the_first_passkey_comes_with_backup_codes_an_event_and_an_email(client, alice):
    signed_in_client(client, alice)
    response = client.post(NEW, {"name": "Work laptop"})
    assert response["Location"] == "/account/security/passkeys/create/"
    page = client.get(response["Location"]).content.decode()
    assert "Create the passkey" in page and "Work laptop" in page
    config = json.loads(re.search(r'id="otp_webauthn_config" type="application/json">(.*?)<',
                                  page).group(1))
    assert config["beginRegistrationUrl"] == REGISTER + "begin/"
    assert config["completeRegistrationUrl"] == REGISTER + "complete/"

    answer = ceremony(client, REGISTER, Authenticator().create)
    assert answer.status_code == 200, answer.content
    codes = client.post("/account/security/passkeys/added/")
    assert "Your backup codes" in codes.content.decode()
    assert otp.backup_codes_left(alice) == 10

    passkey = Passkey.objects.get(user=alice)
    assert (passkey.name, passkey.confirmed, passkey.discoverable) == ("Work laptop", True, True)
    assert otp.has_second_factor(alice)
    assert otp.confirmed_devices(alice)[0] == passkey
    event = SecurityEvent.objects.get(type=EventType.MFA_ENABLED, user=alice)
    assert event.detail == {"factor": "passkey", "label": "Work laptop"}
    [body] = _security_mails()
    assert "A passkey was added to your account: “Work laptop”." in body


def test_a_second_passkey_keeps_the_backup_codes(client, alice):
    signed_in_client(client, alice)
    authenticator = Authenticator()
    register(client, authenticator, "Phone")
    first_codes = otp.backup_codes_left(alice)
    client.post(NEW, {"name": "Key"})
    assert ceremony(client, REGISTER, authenticator.create).status_code == 200
    response = client.post("/account/security/passkeys/added/")
    assert response["Location"] == SECURITY
    assert otp.backup_codes_left(alice) == first_codes == 10
    assert sorted(Passkey.objects.values_list("name", flat=True)) == ["Key", "Phone"]


def test_adding_one_takes_fresh_proof(client, alice):
    signed_in_client(client, alice)
    client.post(NEW, {"name": "Laptop"})
    _stale(client)
    assert client.get(NEW)["Location"].startswith("/accounts/reauth/")
    begin = post_json(client, REGISTER + "begin/")
    assert (begin.status_code, begin.json()["code"]) == (403, "fresh_proof_required")
    assert not Passkey.objects.exists()


def test_the_ceremony_needs_the_name_first(client, alice):
    signed_in_client(client, alice)
    begin = post_json(client, REGISTER + "begin/")
    assert (begin.status_code, begin.json()["code"]) == (400, "invalid_state")
    response = client.post(NEW, {"name": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert client.post(NEW, {"name": "x" * 65}).status_code == 400


def test_a_passkey_made_on_another_origin_is_refused(client, alice):
    signed_in_client(client, alice)
    answer = register(client, Authenticator(origin="https://portal.example.net"))
    assert answer.status_code == 422
    assert "the passkey was not added" in answer.json()["detail"]
    assert not Passkey.objects.exists() and not otp.has_second_factor(alice)


def test_signed_out_no_ceremony_begins(client):
    assert post_json(client, REGISTER + "begin/").status_code == 403
    assert not Passkey.objects.exists()


# --- the code step --------------------------------------------------------------------------


@pytest.fixture
def alice_with_sms_and_passkey(alice_with_sms):
    authenticator = Authenticator()
    add_passkey(alice_with_sms, authenticator)
    return alice_with_sms, authenticator


def test_the_code_step_offers_the_passkey_and_sends_no_sms(client, alice_with_sms_and_passkey):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    page = client.get(response["Location"]).content.decode()
    assert "Use a passkey" in page and "Send me a code by SMS instead" in page
    assert sms.outbox == []  # the passkey first; an SMS only when asked for


def test_a_passkey_finishes_the_sign_in(client, alice_with_sms_and_passkey):
    alice, authenticator = alice_with_sms_and_passkey
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD,
                                     "next": "/account/security/"})
    answer = ceremony(client, CODE, authenticator.get)
    assert answer.status_code == 200, answer.content
    assert answer.json()["redirect_url"] == "/account/security/"
    assert client.get("/dashboard/").status_code == 200
    assert Passkey.objects.get(user=alice).last_used_at is not None
    event = SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS).latest("id")
    assert event.detail == {"method": "WebAuthnCredential"}


def test_another_accounts_passkey_is_refused_at_the_code_step(client, alice_with_sms, mallory):
    theirs = Authenticator()
    add_passkey(alice_with_sms, Authenticator())
    add_passkey(mallory, theirs)
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    answer = ceremony(client, CODE, lambda options: theirs.get(options, theirs.credentials[0]))
    assert (answer.status_code, answer.json()["code"]) == (403, "passkey_refused")
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(type=EventType.SIGNIN_FAILURE, user=alice_with_sms,
                                        detail__factor="passkey").exists()


def test_without_a_pending_sign_in_the_code_step_begins_nothing(client):
    begin = post_json(client, CODE + "begin/")
    assert (begin.status_code, begin.json()["code"]) == (400, "sign_in_expired")


# --- a passkey alone ------------------------------------------------------------------------


def test_the_sign_in_page_offers_a_passkey_with_no_inline_script(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with a passkey" in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert 'src="/static/django_otp_webauthn/otp_webauthn_auth.js"' in page


def test_a_passkey_alone_follows_next(client, alice):
    authenticator = Authenticator()
    add_passkey(alice, authenticator)
    begin = post_json(client, "/accounts/login/passkey/begin/").json()
    assert begin["userVerification"] == "required" and not begin.get("allowCredentials")
    answer = post_json(client, "/accounts/login/passkey/complete/?next=/account/security/",
                       authenticator.get(begin))
    assert answer.json()["redirect_url"] == "/account/security/"
    answer_elsewhere = sign_in_alone(Client(), authenticator)
    assert answer_elsewhere.json()["redirect_url"] == "/dashboard/"


def test_a_replayed_answer_is_refused(client, alice):
    authenticator = Authenticator()
    add_passkey(alice, authenticator)
    begin = post_json(client, "/accounts/login/passkey/begin/").json()
    assertion = authenticator.get(begin)
    complete = "/accounts/login/passkey/complete/"
    assert post_json(client, complete, assertion).status_code == 200
    thief = Client()
    post_json(thief, "/accounts/login/passkey/begin/")
    replayed = post_json(thief, complete, assertion)  # its challenge is not this session's
    assert (replayed.status_code, replayed.json()["code"]) == (401, "INVALID_CREDENTIALS")
    assert "_auth_user_id" not in thief.session


def test_a_passkey_used_from_another_origin_is_refused(client, alice):
    authenticator = Authenticator(origin="http://127.0.0.1:8000")
    add_passkey(alice, authenticator)
    answer = sign_in_alone(client, authenticator)
    assert (answer.status_code, answer.json()["code"]) == (401, "INVALID_CREDENTIALS")
    assert answer.json()["detail"].startswith("That passkey could not sign you in.")
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_from_this_address_lock_the_passkey_door_too(client, alice):
    authenticator = Authenticator()
    add_passkey(alice, authenticator)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "Wrong-Password-1"})
    answer = sign_in_alone(client, authenticator)
    assert (answer.status_code, answer.json()["code"]) == (429, "RATE_LIMITED")
    assert "_auth_user_id" not in client.session


def test_outside_the_whitelist_the_owner_hears_of_the_passkey(client, alice):
    authenticator = Authenticator()
    add_passkey(alice, authenticator)
    IPWhitelistEntry.objects.create(user=alice, kind="portal", value="203.0.113.0/24")
    mail.outbox.clear()
    answer = sign_in_alone(client, authenticator)
    assert answer.json()["code"] == "INVALID_CREDENTIALS"
    [message] = mail.outbox
    assert "Someone used one of your passkeys to sign in from an address" in message.body
    assert "someone knows your password" not in message.body


def test_the_new_device_mail_names_the_passkey(client, alice):
    authenticator = Authenticator()
    add_passkey(alice, authenticator)
    sign_in_alone(client, authenticator)
    [message] = [m for m in mail.outbox if m.subject.endswith("from a new device")]
    assert "One of your passkeys was just used to sign in" in message.body
    assert "remove that passkey on the Security page" in message.body


def test_an_unconfirmed_address_gets_its_link_again(client, make_user):
    user = make_user("bob", confirmed=False)
    authenticator = Authenticator()
    add_passkey(user, authenticator)
    answer = sign_in_alone(client, authenticator)
    assert (answer.status_code, answer.json()["code"]) == (403, "EMAIL_UNCONFIRMED")
    assert "We have sent the confirmation link" in answer.json()["detail"]
    assert any("/accounts/confirm/" in m.body for m in mail.outbox)


def test_the_librarys_own_passwordless_door_is_not_there(client):
    assert settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False
    with pytest.raises(NoReverseMatch):
        reverse("otp_webauthn:credential-authentication-begin")


# --- the Security page: see, rename, remove -------------------------------------------------


@pytest.fixture
def alice_with_two(client, alice):
    signed_in_client(client, alice)
    authenticator = Authenticator()
    register(client, authenticator, "Phone")
    register(client, authenticator, "Laptop")
    mail.outbox.clear()
    return {p.name: p for p in Passkey.objects.filter(user=alice)}


def test_the_security_page_lists_them_and_says_why_they_beat_sms(client, alice_with_two):
    Passkey.objects.filter(name="Phone").update(last_used_at=timezone.now())
    page = client.get(SECURITY).content.decode()
    assert "A passkey is stronger than an SMS code" in page
    assert 'value="Phone"' in page and 'value="Laptop"' in page
    laptop = page[page.index(f'data-passkey="{alice_with_two["Laptop"].pk}"'):]
    assert "Never" in laptop[:laptop.index("</tr>")]


def test_rename_takes_fresh_proof(client, alice_with_two):
    phone = alice_with_two["Phone"]
    url = f"/account/security/passkeys/{phone.pk}/rename/"
    _stale(client)
    assert client.post(url, {"name": "Old phone"}).status_code == 403
    client.post("/accounts/reauth/", {"password": PASSWORD})
    assert client.post(url, {"name": "Old phone"})["Location"] == SECURITY
    phone.refresh_from_db()
    assert phone.name == "Old phone"


def test_remove_takes_fresh_proof_and_tells_the_owner(client, alice, alice_with_two):
    phone = alice_with_two["Phone"]
    url = f"/account/security/passkeys/{phone.pk}/remove/"
    _stale(client)
    assert client.post(url).status_code == 403
    assert Passkey.objects.filter(pk=phone.pk).exists()
    client.post("/accounts/reauth/", {"password": PASSWORD})
    assert client.post(url)["Location"] == SECURITY
    assert not Passkey.objects.filter(pk=phone.pk).exists()
    event = SecurityEvent.objects.get(type=EventType.MFA_DISABLED, user=alice)
    assert event.detail == {"factor": "passkey", "label": "Phone", "action": "removed"}
    [body] = _security_mails()
    assert "A passkey was removed from your account: “Phone”." in body


def test_the_last_factor_is_turned_off_only_with_a_code(client, alice, alice_with_two):
    client.post(f"/account/security/passkeys/{alice_with_two['Phone'].pk}/remove/")
    last = alice_with_two["Laptop"]
    response = client.post(f"/account/security/passkeys/{last.pk}/remove/", follow=True)
    assert "This passkey is your only second factor" in response.content.decode()
    assert Passkey.objects.filter(pk=last.pk).exists()
    # Turning the second factor off (password and a backup code) takes the passkeys too.
    code = otp.generate_backup_codes(alice)[0]
    client.post("/account/security/disable/", {"password": PASSWORD, "code": code})
    assert not Passkey.objects.filter(user=alice).exists()
    assert not otp.has_second_factor(alice)


def test_someone_elses_passkey_cannot_be_touched(client, alice_with_two, mallory):
    theirs = add_passkey(mallory, Authenticator(), name="Mallory's")
    for action in ("rename", "remove"):
        url = f"/account/security/passkeys/{theirs.pk}/{action}/"
        assert client.post(url, {"name": "mine now"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Mallory's"


# --- bad input ------------------------------------------------------------------------------

BAD_ANSWERS = [
    (b"", "application/json"), (b"not json", "application/json"), (b"[]", "application/json"),
    (b'{"id": 5}', "application/json"), (b"id=AAAA", "application/x-www-form-urlencoded"),
    (b'{"id": null, "rawId": [], "type": {}, "response": []}', "application/json"),
    (b'{"id": "AAAA", "rawId": "%%%", "type": "public-key", "response": {"clientDataJSON": '
     b'"e30", "authenticatorData": "AA", "signature": "AA", "userHandle": 5}}',
     "application/json"),
    (b'{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": '
     b'"e30", "attestationObject": "AAAA"}}', "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), BAD_ANSWERS)
def test_a_malformed_answer_is_refused_and_changes_nothing(alice, make_user, body, content_type):
    add_passkey(alice, Authenticator())
    alone = Client()
    post_json(alone, "/accounts/login/passkey/begin/")
    code_step = Client()
    code_step.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    post_json(code_step, CODE + "begin/")
    adding = signed_in_client(Client(), make_user("bob"))
    adding.post(NEW, {"name": "Key"})
    post_json(adding, REGISTER + "begin/")
    for client, url in ((alone, "/accounts/login/passkey/complete/"),
                        (code_step, CODE + "complete/"), (adding, REGISTER + "complete/")):
        response = client.post(url, body, content_type=content_type)
        assert 400 <= response.status_code < 500 and response.json()["detail"], url
    assert "_auth_user_id" not in alone.session and "_auth_user_id" not in code_step.session
    assert Passkey.objects.count() == 1
