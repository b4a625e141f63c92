"""Signing in for a token (POST /user/auth) and the account (GET /me)."""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from portal.api.errors import APIError
from portal.api.responses import ok
from portal.api.schemas import AUTH_ERRORS, OUTAGE, ErrorOut, Text, errors
from portal.api.security import auth
from security.events import record
from security.models import EventType

from . import challenges, otp, policy, tokens
from .forms import CodeForm, LoginForm


class ChallengeErrorOut(ErrorOut):
    challenge: str | None = Field(
        None, description="With OTP_REQUIRED when an SMS code was sent: send it back with the "
                          "code (valid 5 minutes).")


class MeUser(Schema):
    username: str
    email: str
    two_factor: bool


class MeKey(Schema):
    id: str
    scopes: list[str]


class MeOut(Schema):
    status: Literal[True]
    user: MeUser
    key: MeKey | None


# The sign-in page's limits (accounts.forms), so that the two doors cannot drift apart.
_LOGIN_FIELDS, _CODE_FIELD = LoginForm.base_fields, CodeForm.base_fields["code"]


class LoginIn(Schema):
    login: Text = Field(min_length=1, max_length=_LOGIN_FIELDS["username"].max_length)
    password: Text = Field(min_length=1, max_length=_LOGIN_FIELDS["password"].max_length)
    otp: Text | None = Field(None, max_length=_CODE_FIELD.max_length)
    challenge: Text | None = Field(None, max_length=64,
                                   description="From the OTP_REQUIRED answer, with an SMS code.")


class TokenOut(Schema):
    status: Literal[True]
    token: str
    expires_in: int


router = Router(tags=["account"])


def password_step(request, door: policy.Door, login: str, password: str) -> policy.PasswordPassed:
    """The sign-in policy's password step, its refusals as API errors."""
    try:
        return policy.password_step(request, door, login, password)
    except policy.SignInRefused as refusal:
        raise APIError(refusal.code, refusal.message, retry_after=refusal.retry_after) from None


def second_step(request, user, challenge: str | None, code: str | None):
    """Ask for the code (sending one, with a challenge, to an SMS account), or check it.
    Returns the device that passed."""
    if not code:
        started = challenges.start(request, user)
        if started.id is not None:
            message = _("A code was sent by SMS. Send the same request again with the code as "
                        "\"otp\" and this \"challenge\".")
        elif started.message:
            message = started.message + " " + _("Or use a code from your authenticator app "
                                                "or a backup code as \"otp\".")
        elif otp.passkeys_only(user):
            # Never a token on the password alone: the way out is a code the API can take.
            message = _("A passkey cannot be used through the API. Send one of your backup "
                        "codes as \"otp\", or set up an authenticator app and send its code, or "
                        "use an API key.")
        else:
            message = _("Send the code from your authenticator app (or a backup code) as "
                        "\"otp\".")
        raise APIError("OTP_REQUIRED", message, retry_after=started.retry_after or None,
                       extra={"challenge": started.id} if started.id else None)
    result = challenges.verify(request, user, challenge, code)
    if result.result is otp.CodeResult.OK:
        return result.device
    if result.result is otp.CodeResult.LOCKED:
        raise APIError("INVALID_CREDENTIALS", _("Too many wrong codes. Sign in again without "
                                                "\"otp\" to get a new code."))
    if result.result is otp.CodeResult.WAIT:
        raise APIError("INVALID_CREDENTIALS", _("Wait %(n)d seconds after a wrong code, then "
                                                "send the code the app shows.")
                       % {"n": result.retry_after}, retry_after=result.retry_after)
    raise APIError("INVALID_CREDENTIALS", _("That code is not right (or its challenge is "
                                            "missing or expired). %(n)d attempts left.")
                   % {"n": result.remaining})


@router.post("/user/auth", auth=None,
             response={200: TokenOut, 401: ChallengeErrorOut,
                       **errors(400, 403, 413, 415, 429, OUTAGE)},
             summary="Sign in for a token (JWT)")
def user_auth(request, payload: LoginIn):
    """Password (and, with a second factor on, `otp`) for a short-lived bearer token.

    Without `otp` on an account with SMS codes, a code is sent and the answer is 401
    OTP_REQUIRED with a `challenge`; send the same request again with `challenge` and `otp`.
    An authenticator-app or backup code needs no challenge. A passkey cannot be used here: an
    account whose only second factor is a passkey sends a backup code.
    """
    passed = password_step(request, policy.Door.API_TOKEN, payload.login, payload.password)
    user = passed.user
    device = None
    if passed.needs_code:
        device = second_step(request, user, payload.challenge, payload.otp)
    token, lifetime = tokens.issue(user)
    method = "api-token" + (f"+{type(device).__name__}" if device is not None else "")
    record(request, EventType.SIGNIN_SUCCESS, user=user, method=method)
    return ok({"token": token, "expires_in": lifetime})


@router.get("/me", auth=auth(), response={200: MeOut, **errors(*AUTH_ERRORS)},
            summary="The account, and the key that authenticated")
def me(request):
    principal = request.auth  # apikeys.auth.Principal
    key = principal.key
    return ok({
        "user": {"username": principal.username, "email": principal.email,
                 "two_factor": principal.two_factor},
        "key": {"id": key.lookup_id, "scopes": list(principal.scopes)} if key else None,
    })
