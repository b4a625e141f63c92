"""Signing in for a token (POST /user/auth) and the account (GET /me)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router

from accounts import lockout, otp
from portal import ratelimit
from portal.clientip import client_ip
from security.events import record
from security.models import EventType
from security.whitelists import ip_allowed

from ... import auth as api_auth
from .. import tokens
from ..errors import APIError
from ..responses import ok
from ..schemas import AUTH_ERRORS, LoginIn, MeOut, TokenOut, errors
from ..security import auth

router = Router(tags=["account"])


def _binding(user) -> str:
    # A code sent for an API sign-in works only for an API sign-in of this account.
    return f"api-login:{user.pk}"


def password_sign_in(request, login: str, password: str):
    """The password step, as the portal's: rate limit, lock-outs, the portal whitelist.

    Returns the user or raises APIError. Failures are recorded by accounts' signal handlers.
    """
    ip = client_ip(request)
    limit = ratelimit.hit(f"api-login:{ip}", settings.API_LOGIN_RATE_LIMIT_PER_MINUTE, 60)
    if not limit.allowed:
        raise APIError("RATE_LIMITED", _("Too many sign-in attempts; try again later."),
                       retry_after=limit.retry_after)
    locked_for = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if lockout.account_locked(login):
        record(request, EventType.SIGNIN_LOCKED, username=login[:150])
        raise APIError("RATE_LIMITED", _("Too many failed sign-ins: this account is locked for "
                                          "%(m)d minutes.") % {"m": locked_for // 60},
                       retry_after=locked_for)
    user = authenticate(request, username=login, password=password)
    if getattr(request, "axes_locked_out", False):
        # The lock-out stands (axes stored it); this JSON answer replaces the HTML page that
        # AxesMiddleware would otherwise put in its place.
        request.axes_locked_out = False
        raise APIError("RATE_LIMITED", _("Too many failed sign-ins: this account is locked for "
                                          "%(m)d minutes.") % {"m": locked_for // 60},
                       retry_after=locked_for)
    if user is None:
        raise APIError("INVALID_CREDENTIALS", _("The username or password is not right."))
    if not user.email_confirmed:
        raise APIError("FORBIDDEN", _("Confirm your e-mail address first: follow the link in "
                                      "the message we sent you."))
    if not ip_allowed(user.account_id, "portal", ip):
        record(request, EventType.REQUEST_BLOCKED, user=user, surface="portal", via="api")
        raise APIError("IP_NOT_ALLOWED", _("Your account's sign-in whitelist does not include "
                                           "%(ip)s.") % {"ip": ip})
    return user


def second_factor(request, user, code: str | None):
    """Ask for (and send) the code, or check it. Returns the device that passed."""
    binding = _binding(user)
    if not code:
        device = otp.sms_device(user)
        retry_after = None
        if device is not None:
            sent = otp.send_code(request, device, binding)
            if sent.sent:
                message = _("A code was sent by SMS. Send it again with the same request as "
                            "\"otp\".")
            else:
                message = sent.message + " " + _("Or use a code from your authenticator app "
                                                 "or a backup code as \"otp\".")
                retry_after = sent.retry_after or None
        else:
            message = _("Send the code from your authenticator app (or a backup code) as "
                        "\"otp\".")
        raise APIError("OTP_REQUIRED", message, retry_after=retry_after)
    result = otp.verify_code(request, user, code, binding)
    if result.result is otp.CodeResult.OK:
        return result.device
    if result.result is otp.CodeResult.LOCKED:
        raise APIError("INVALID_CREDENTIALS", _("Too many wrong codes. Sign in again without "
                                                "\"otp\" to get a new code."))
    raise APIError("INVALID_CREDENTIALS", _("That code is not right. %(n)d attempts left.")
                   % {"n": result.remaining})


@router.post("/user/auth", auth=None, response={200: TokenOut, **errors(400, 401, 403, 413,
                                                                         415, 429)},
             summary="Sign in for a token (JWT)")
def user_auth(request, payload: LoginIn):
    """Password (and, with a second factor on, `otp`) for a short-lived bearer token.

    Without `otp` on an account with a second factor, an SMS code is sent and the answer is
    401 OTP_REQUIRED; send the same request again with `otp`.
    """
    user = password_sign_in(request, payload.login, payload.password)
    device = None
    if otp.has_second_factor(user):
        device = second_factor(request, user, payload.otp)
    token, lifetime = tokens.issue(user)
    method = "api-token" + (f"+{type(device).__name__}" if device is not None else "")
    record(request, EventType.SIGNIN_SUCCESS, user=user, method=method)
    return ok({"token": token, "expires_in": lifetime})


@router.get("/me", auth=auth(), response={200: MeOut, **errors(*AUTH_ERRORS)},
            summary="The account, and the key that authenticated")
def me(request):
    principal: api_auth.Principal = request.auth
    user = principal.user
    key = principal.key
    return ok({
        "user": {"username": user.username, "email": user.email,
                 "two_factor": otp.has_second_factor(user)},
        "key": {"id": key.lookup_id, "scopes": list(principal.scopes)} if key else None,
    })
