"""One sign-in policy, every door (SEC-41, SEC-08): each case through each door.

The doors: the portal's sign-in page, `POST /api/v1/user/auth` (an API token),
`POST /api/v1/regenerateAPIKey` with userId + password, the admin (reached through the
portal's sign-in, then asking for a verified second factor), and a passkey alone on the
sign-in page (for the portal, and for the admin). A door that forgets a rule answers
differently from the table and fails.

An outcome is normalised to one of:
- ("refused", CODE): no session, no token, no new key; CODE is the API's error code;
- ("code",): the password passed and the second step (a code) comes next;
- ("in", None): signed in / token issued / key regenerated;
- ("in", CODE): signed in on the portal, but led first to the form CODE names
  (PASSWORD_CHANGE_REQUIRED: the change-password form; SECOND_FACTOR_REQUIRED: Security).
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import lockout
from accounts.models import Permission, SMSDevice, User
from apikeys import flows as key_flows
from apikeys.models import APIKey
from security.models import IPWhitelistEntry
from tests.conftest import PASSWORD
from tests.passkeys import Authenticator, add_passkey, sign_in_alone

pytestmark = pytest.mark.django_db

WRONG = ("refused", "INVALID_CREDENTIALS")
# regenerateAPIKey's statusCodes (API.md), by the API's error code.
STATUS_CODE = {"900": None, "902": "INVALID_CREDENTIALS", "904": "FORBIDDEN", "906": "RATE_LIMITED"}


# --- the doors ------------------------------------------------------------------------------


def portal(username: str, password: str) -> tuple:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    if response.status_code == 429:
        return ("refused", "RATE_LIMITED")
    if response.status_code == 400:
        page = response.content.decode()
        if "not confirmed yet" in page:
            return ("refused", "EMAIL_UNCONFIRMED")
        assert "username or password is not right" in page, page
        return WRONG
    assert response.status_code == 302, response.status_code
    if response["Location"].endswith("/accounts/login/code/"):
        return ("code",)
    return _landing(client, "/dashboard/")


def _landing(client: Client, page: str) -> tuple:
    """Signed in: where `page` leads."""
    landing = client.get(page)
    if landing.status_code == 200:
        return ("in", None)
    where = landing["Location"]
    if where.endswith("/accounts/password/change/"):
        return ("in", "PASSWORD_CHANGE_REQUIRED")
    if where.endswith("/account/security/") or "/admin/login/" in where:
        return ("in", "SECOND_FACTOR_REQUIRED")
    raise AssertionError(f"unexpected landing {where}")


def api_token(username: str, password: str) -> tuple:
    response = Client().post("/api/v1/user/auth", json.dumps({"login": username,
                                                              "password": password}),
                             content_type="application/json")
    body = response.json()
    if response.status_code == 200:
        assert body["token"]
        return ("in", None)
    assert "token" not in body
    code = body["error"]["code"]
    return ("code",) if code == "OTP_REQUIRED" else ("refused", code)


def regenerate(username: str, password: str) -> tuple:
    before = set(APIKey.objects.values_list("lookup_id", flat=True))
    response = Client().post("/api/v1/regenerateAPIKey",
                             urlencode({"userId": username, "password": password,
                                        "format": "json"}),
                             content_type="application/x-www-form-urlencoded")
    body = response.json()
    made = set(APIKey.objects.values_list("lookup_id", flat=True)) - before
    if body["statusCode"] == "900":
        assert response.status_code == 200 and len(made) == 1
        return ("in", None)
    assert not made and "apiKey" not in body
    return ("refused", STATUS_CODE[body["statusCode"]])


def admin(username: str, password: str) -> tuple:
    """An operator's way in: the admin sends to the portal's sign-in, which comes back."""
    client = Client()
    first = client.get("/admin/")
    login = client.get(first["Location"])
    login_url = login["Location"]  # the admin's login view hands over to the portal's
    response = client.post(login_url, {"username": username, "password": password,
                                       "next": "/admin/"})
    if response.status_code != 302:
        return portal(username, password)  # the same refusal, asked of the portal directly
    if response["Location"].endswith("/accounts/login/code/"):
        return ("code",)
    index = client.get("/admin/")
    return ("in", None) if index.status_code == 200 else ("in", "SECOND_FACTOR_REQUIRED")


def _passkey(username: str, password: str, page: str) -> tuple:
    """A passkey alone, then `page`. The case's user gets a passkey first; a wrong password
    stands for a wrong passkey (its proof signed with another key), and an unknown user for
    a passkey no account has."""
    authenticator = Authenticator()
    user = User.objects.filter(username=username).first()
    forged = {}
    if user is None:
        authenticator.new_credential()
    else:
        add_passkey(user, authenticator)
        if password != PASSWORD:
            forged = {"signing_key": ec.generate_private_key(ec.SECP256R1())}
    client = Client()
    response = sign_in_alone(client, authenticator, **forged)
    if response.status_code != 200:
        assert "_auth_user_id" not in client.session
        return ("refused", response.json()["code"])
    return _landing(client, page)


def passkey(username: str, password: str) -> tuple:
    return _passkey(username, password, "/dashboard/")


def admin_passkey(username: str, password: str) -> tuple:
    """An operator's passkey is a verified second factor: the admin opens."""
    return _passkey(username, password, "/admin/")


DOORS = {"portal": portal, "api_token": api_token, "regenerate": regenerate, "admin": admin,
         "passkey": passkey, "admin_passkey": admin_passkey}


# --- the cases ------------------------------------------------------------------------------


def _user(make_user, username="alice", **extra) -> User:
    user = make_user(username, is_staff=True, **extra)
    key_flows.create_key(None, user, description="integration", type="cloud")
    return user


def case_fine(make_user):
    return _user(make_user), PASSWORD


def case_wrong_password(make_user):
    return _user(make_user), "Not-The-Password-1"


def case_unknown_user(make_user):
    class Nobody:
        username = "nobody-here"

    return Nobody, PASSWORD


def case_unconfirmed_email(make_user):
    return _user(make_user, confirmed=False), PASSWORD


def case_locked_out(make_user):
    user = _user(make_user)
    for _ in range(settings.LOGIN_ACCOUNT_FAILURE_LIMIT):
        lockout.count_account_failure(user.username)
    return user, PASSWORD


def case_outside_the_whitelists(make_user):
    user = _user(make_user)
    for kind in ("portal", "api"):
        IPWhitelistEntry.objects.create(user=user, kind=kind, value="203.0.113.0/24")
    return user, PASSWORD


def case_password_change_forced(make_user):
    return _user(make_user, must_change_password=True), PASSWORD


def case_password_expired(make_user):
    user = _user(make_user, password_expiry_enabled=True)
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - timedelta(days=settings.PASSWORD_EXPIRY_DAYS + 1))
    return user, PASSWORD


def case_second_factor_required_by_owner(make_user):
    owner = make_user("shop", subusers_require_second_factor=True)
    sub = _user(make_user, "cashier", owner=owner,
                permissions=[Permission.SEND_SMS, Permission.MANAGE_KEYS])
    return sub, PASSWORD


def case_sub_user_without_manage_keys(make_user):
    owner = make_user("shop")
    return _user(make_user, "cashier", owner=owner, permissions=[Permission.SEND_SMS]), PASSWORD


def case_second_factor_on(make_user):
    user = _user(make_user)
    SMSDevice.objects.create(user=user, name="SMS", phone="+40712345678", confirmed=True)
    return user, PASSWORD


IN = ("in", None)
CODE = ("code",)
PCR = "PASSWORD_CHANGE_REQUIRED"
SFR = "SECOND_FACTOR_REQUIRED"

# case -> what each door answers. Same rule, same answer; where a door answers differently
# (the portal signs in and leads to a form an API client could not fill), the table says so.
# A passkey is a second factor of its own: no code after it, and the admin opens.
TABLE = {
    case_fine: {"portal": IN, "api_token": IN, "regenerate": IN, "admin": ("in", SFR),
                "passkey": IN, "admin_passkey": IN},
    case_wrong_password: dict.fromkeys(DOORS, WRONG),
    case_unknown_user: dict.fromkeys(DOORS, WRONG),
    case_outside_the_whitelists: dict.fromkeys(DOORS, WRONG),
    case_unconfirmed_email: {"portal": ("refused", "EMAIL_UNCONFIRMED"),
                             "api_token": ("refused", "EMAIL_UNCONFIRMED"),
                             "regenerate": ("refused", "FORBIDDEN"),
                             "admin": ("refused", "EMAIL_UNCONFIRMED"),
                             "passkey": ("refused", "EMAIL_UNCONFIRMED"),
                             "admin_passkey": ("refused", "EMAIL_UNCONFIRMED")},
    case_locked_out: dict.fromkeys(DOORS, ("refused", "RATE_LIMITED")),
    case_password_change_forced: {"portal": ("in", PCR), "api_token": ("refused", PCR),
                                  "regenerate": ("refused", "FORBIDDEN"), "admin": ("in", SFR),
                                  "passkey": ("in", PCR), "admin_passkey": ("in", PCR)},
    case_password_expired: {"portal": ("in", PCR), "api_token": ("refused", PCR),
                            "regenerate": ("refused", "FORBIDDEN"), "admin": ("in", SFR),
                            "passkey": ("in", PCR), "admin_passkey": ("in", PCR)},
    case_second_factor_required_by_owner: {"portal": ("in", SFR), "api_token": ("refused", SFR),
                                           "regenerate": ("refused", "FORBIDDEN"),
                                           "admin": ("in", SFR),
                                           # the passkey is the second factor required
                                           "passkey": IN, "admin_passkey": IN},
    case_sub_user_without_manage_keys: {"portal": IN, "api_token": IN,
                                        "regenerate": ("refused", "FORBIDDEN"),
                                        "admin": ("in", SFR), "passkey": IN,
                                        "admin_passkey": IN},
    case_second_factor_on: {"portal": CODE, "api_token": CODE,
                            "regenerate": ("refused", "FORBIDDEN"), "admin": CODE,
                            "passkey": IN, "admin_passkey": IN},
}


@pytest.mark.parametrize("door", list(DOORS))
@pytest.mark.parametrize("case", list(TABLE), ids=lambda case: case.__name__[5:])
def test_each_case_through_each_door(case, door, make_user):
    user, password = case(make_user)
    assert DOORS[door](user.username, password) == TABLE[case][door]


def test_a_refused_door_leaves_the_key_working(make_user):
    """Item 3: without "Manage API keys", regenerateAPIKey by password kills nothing."""
    owner = make_user("shop")
    sub = make_user("cashier", owner=owner, permissions=[Permission.SEND_SMS])
    created = key_flows.create_key(None, sub, description="till", type="cloud",
                                   scopes=["sms:send"])
    assert regenerate("cashier", PASSWORD) == ("refused", "FORBIDDEN")
    response = Client().get("/api/v1/me", HTTP_X_API_KEY=created.full_key)
    assert response.status_code == 200
