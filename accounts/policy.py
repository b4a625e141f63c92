"""The sign-in policy: who may sign in, through which door, and what then.

Every door calls `password_step` or `passkey_step` and nothing else decides:
- `Door.PORTAL`: the sign-in page (operators reach the admin through it too, and the admin
  then asks for a verified second factor);
- `Door.PASSKEY`: the sign-in page's "Sign in with a passkey", a passkey alone (it is both
  factors: something held, unlocked by the person);
- `Door.API_TOKEN`: `POST /api/v1/user/auth`;
- `Door.REGENERATE`: `POST /api/v1/regenerateAPIKey` with `userId` + `password`.

The rules, in order: attempts per client address, the lock-outs, the credential (password or
passkey), then, alike for both (`_after_credential`): the account's whitelist for that door
(refused exactly like a wrong credential, and the owner told), a confirmed e-mail address, the
new-device notice, then what the account must do first (change its password, set up the
second factor its owner requires). The portal's doors sign such a person in and lead them to
the form; the API doors refuse, since an API client cannot fill a form. `token_refusal`
applies the same two to a token on every request.

A refusal is `SignInRefused`, whose `code` is the API's error code; each door only
presents it (a page, a JSON error, a statusCode).
"""

from __future__ import annotations

from collections.abc import Callable
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
    PASSKEY = "passkey"
    API_TOKEN = "api_token"
    REGENERATE = "regenerate"


# The whitelist each door is held to.
_LIST = {Door.PORTAL: whitelists.PORTAL, Door.PASSKEY: whitelists.PORTAL,
         Door.API_TOKEN: whitelists.API, Door.REGENERATE: whitelists.API}
# The doors of the portal's pages; the others are the API's.
_PAGES = {Door.PORTAL, Door.PASSKEY}


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
    """The credential step passed: who, and what the door must do next."""

    user: User
    needs_code: bool  # a second factor is on and was not used yet: the code step comes next
    must_change_password: bool = False  # portal only: signed in, led to the change form
    must_add_second_factor: bool = False  # portal only: signed in, led to the security page


def invalid_credentials() -> SignInRefused:
    return SignInRefused("INVALID_CREDENTIALS",
                         _("The username or password is not right. Check both and try again."))


def invalid_passkey() -> SignInRefused:
    """A passkey that signs no one in: unknown, removed, or its proof is not right."""
    return SignInRefused("INVALID_CREDENTIALS", _(
        "That passkey could not sign you in. Try another passkey, or sign in with your "
        "password."))


def _wrong_credential(door: Door) -> SignInRefused:
    return invalid_passkey() if door == Door.PASSKEY else invalid_credentials()


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
    return _counted(door, lambda: _password_step(request, door, login, password))


def _password_step(request: HttpRequest, door: Door, login: str, password: str) -> PasswordPassed:
    count_attempt(request)
    ip = client_ip(request)
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
    return _after_credential(request, door, user, ip)


def passkey_step(request: HttpRequest, verify: Callable[[], User | None]) -> PasswordPassed:
    """Apply the sign-in policy to a passkey used alone (`Door.PASSKEY`).

    `verify` checks the passkey's proof and returns its owner, or None when it signs no one
    in; it runs after the per-address limit, as the password check does. A passkey proves
    both factors, so nothing asks for a code after it.
    """
    return _counted(Door.PASSKEY, lambda: _passkey_step(request, verify))


def _passkey_step(request: HttpRequest, verify: Callable[[], User | None]) -> PasswordPassed:
    count_attempt(request)
    ip = client_ip(request)
    user = verify()
    if user is None or not user.is_active:
        raise invalid_passkey()
    if lockout.locked(request, user.username):
        record(request, EventType.SIGNIN_LOCKED, user=user)
        raise _locked()
    return _after_credential(request, Door.PASSKEY, user, ip)


def _counted(door: Door, step: Callable[[], PasswordPassed]) -> PasswordPassed:
    """Run a door's step, counting what came of it for operators (portal.metrics)."""
    try:
        passed = step()
    except SignInRefused as refusal:
        result = "locked" if refusal.locked else refusal.code.lower()
        metrics.SIGN_INS.labels(str(door), result).inc()
        raise
    metrics.SIGN_INS.labels(str(door), "passed").inc()
    return passed


def count_attempt(request: HttpRequest) -> None:
    """One sign-in attempt from the client's address, within LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE
    (against password spraying: many usernames from one address)."""
    limit = ratelimit.hit(f"signin:{client_ip(request)}",
                          settings.LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE, 60)
    if not limit.allowed:
        raise SignInRefused("RATE_LIMITED", _("Too many sign-in attempts from your address; "
                                              "try again in a minute."),
                            retry_after=limit.retry_after)


def _after_credential(request: HttpRequest, door: Door, user: User, ip: str) -> PasswordPassed:
    """The rules after the right credential, the same whichever it was."""
    passkey = door == Door.PASSKEY
    if not whitelists.ip_allowed(user.account_id, _LIST[door], ip):
        whitelists.note_refused_sign_in(request, user, _LIST[door], ip, passkey=passkey)
        raise _wrong_credential(door)
    if not user.email_confirmed:
        raise SignInRefused("EMAIL_UNCONFIRMED", _(
            "Your e-mail address is not confirmed yet. Follow the link in the message we sent "
            "you (signing in on the portal sends it again)."), user=user)
    devices.note_password_step(request, user, api=door not in _PAGES, passkey=passkey)
    must_change = user.password_change_required()
    must_add = second_factor_missing(user)
    has_code = otp.has_second_factor(user)
    if door not in _PAGES:
        _refuse_api_door(door, user, must_change, must_add, has_code)
    return PasswordPassed(user, has_code and not passkey, must_change, must_add)


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
