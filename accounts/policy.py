"""The sign-in policy: who may sign in with a password, through which door, and what then.

Every door that takes a password calls `password_step` and nothing else decides:
- `Door.PORTAL`: the sign-in page (operators reach the admin through it too, and the admin
  then asks for a verified second factor);
- `Door.API_TOKEN`: `POST /api/v1/user/auth`;
- `Door.REGENERATE`: `POST /api/v1/regenerateAPIKey` with `userId` + `password`.

The rules, in order: attempts per client address, the lock-outs, the password, the
account's whitelist for that door (refused exactly like a wrong password, and the owner
told), a confirmed e-mail address, the new-device notice, then what the account must do
first (change its password, set up the second factor its owner requires). The portal
signs such a person in and leads them to the form; the API doors refuse, since an API
client cannot fill a form. `token_refusal` applies the same two to a token on every request.

A refusal is `SignInRefused`, whose `code` is the API's error code; each door only
presents it (a page, a JSON error, a statusCode).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _

from portal import metrics, ratelimit
from portal.clientip import client_ip
from security import devices, whitelists
from security.events import record
from security.models import EventType

from . import lockout, otp
from .models import Permission, User


class Door(StrEnum):
    PORTAL = "portal"
    API_TOKEN = "api_token"
    REGENERATE = "regenerate"


# The whitelist each door is held to.
_LIST = {Door.PORTAL: whitelists.PORTAL, Door.API_TOKEN: whitelists.API,
         Door.REGENERATE: whitelists.API}


class SignInRefused(Exception):
    """`code` is the API's error code (INVALID_CREDENTIALS, RATE_LIMITED, ...)."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None,
                 locked: bool = False, user: User | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.locked = locked  # a lock-out (the portal shows its own page for it)
        self.user = user  # who, once the password was right (e.g. to resend a link)


@dataclass(frozen=True)
class PasswordPassed:
    """The password step passed: who, and what the door must do next."""

    user: User
    needs_code: bool  # a second factor is on: the code step comes next
    must_change_password: bool = False  # portal only: signed in, led to the change form
    must_add_second_factor: bool = False  # portal only: signed in, led to the security page


def invalid_credentials() -> SignInRefused:
    return SignInRefused("INVALID_CREDENTIALS",
                         _("The username or password is not right. Check both and try again."))


def _locked() -> SignInRefused:
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return SignInRefused("RATE_LIMITED", _("Too many failed sign-ins: this account is locked "
                                           "for %(m)d minutes.") % {"m": seconds // 60},
                         retry_after=seconds, locked=True)


def password_step(request: HttpRequest, door: Door, login: str, password: str) -> PasswordPassed:
    """Apply the sign-in policy to a username and password arriving through `door`.

    Returns what passed, or raises SignInRefused. Wrong passwords are counted and recorded
    by the accounts' signal handlers (django-axes and the account-wide cap).
    """
    try:
        passed = _password_step(request, door, login, password)
    except SignInRefused as refusal:
        result = "locked" if refusal.locked else refusal.code.lower()
        metrics.SIGN_INS.labels(str(door), result).inc()
        raise
    metrics.SIGN_INS.labels(str(door), "passed").inc()
    return passed


def _password_step(request: HttpRequest, door: Door, login: str, password: str) -> PasswordPassed:
    ip = client_ip(request)
    limit = ratelimit.hit(f"signin:{ip}", settings.LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE, 60)
    if not limit.allowed:
        raise SignInRefused("RATE_LIMITED", _("Too many sign-in attempts from your address; "
                                              "try again in a minute."),
                            retry_after=limit.retry_after)
    if lockout.account_locked(login):
        record(request, EventType.SIGNIN_LOCKED, username=login[:150])
        raise _locked()
    # authenticate() runs the password hasher for unknown usernames too: the answer and the
    # work are the same whether the account exists or not.
    user = authenticate(request, username=login, password=password)
    if getattr(request, "axes_locked_out", False):
        # The lock-out stands (axes stored it); the door answers it in its own way instead of
        # the page AxesMiddleware would put in place.
        request.axes_locked_out = False
        raise _locked()
    if user is None or not user.is_active:
        raise invalid_credentials()
    if not whitelists.ip_allowed(user.account_id, _LIST[door], ip):
        whitelists.note_refused_sign_in(request, user, _LIST[door], ip)
        raise invalid_credentials()
    if not user.email_confirmed:
        raise SignInRefused("EMAIL_UNCONFIRMED", _(
            "Your e-mail address is not confirmed yet. Follow the link in the message we sent "
            "you (signing in on the portal sends it again)."), user=user)
    devices.note_password_step(request, user, api=door != Door.PORTAL)
    must_change = user.password_change_required()
    must_add = second_factor_missing(user)
    has_code = otp.has_second_factor(user)
    if door != Door.PORTAL:
        _refuse_api_door(door, user, must_change, must_add, has_code)
    return PasswordPassed(user, has_code, must_change, must_add)


def _refuse_api_door(door: Door, user: User, must_change: bool, must_add: bool,
                     has_code: bool) -> None:
    if must_change:
        raise SignInRefused("PASSWORD_CHANGE_REQUIRED", _(
            "This account must change its password first: sign in on the portal to do so."))
    if must_add:
        raise SignInRefused("SECOND_FACTOR_REQUIRED", _(
            "Your account owner requires a second factor: set one up on the portal's Security "
            "page first."))
    if door == Door.REGENERATE:
        if not user.has_portal_permission(Permission.MANAGE_KEYS):
            raise SignInRefused("FORBIDDEN", _("You may not manage API keys: ask your account "
                                               "owner for the “Manage API keys” permission."))
        if has_code:
            raise SignInRefused("FORBIDDEN", _(
                "This account has a second factor: regenerate keys in the portal, or with a "
                "token from /api/v1/user/auth."))


def second_factor_missing(user: User) -> bool:
    """The account owner requires a second factor of its sub-users and this one has none."""
    return (user.is_sub_user and user.owner.subusers_require_second_factor
            and not otp.has_second_factor(user))


def token_refusal(user: User) -> SignInRefused | None:
    """What stops a signed-in API token now (checked on every request): the same "must do
    first" rules as at sign-in, so a token issued before an operator forced a password change
    (or an owner began to require a second factor) stops at once."""
    try:
        _refuse_api_door(Door.API_TOKEN, user, user.password_change_required(),
                         second_factor_missing(user), has_code=False)
    except SignInRefused as refusal:
        return refusal
    return None
