"""One function per multi-step security action, called by the pages (and the API).

Each records its security event and e-mails the account; none of them checks fresh proof,
which is the caller's job (`security.access`).
"""

from __future__ import annotations

import hmac
import secrets
import time

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import hooks as security_hooks
from security.access import mark_fresh_proof
from security.events import record
from security.models import EventType

from . import emails, otp
from .models import SMSDevice, User
from .passkeys import Passkey, has_passkey

PENDING_KEY = "_pending_login"
ENROL_KEY = "_sms_enrolment"
PENDING_SECONDS = 10 * 60


# --- signing in ----------------------------------------------------------------------------


def start_pending_login(request: HttpRequest, user: User, next_url: str) -> otp.SendResult | None:
    """The password was right and a second factor is on: remember the half-done sign-in.

    The session key changes here (and again when the code is accepted); the session is not
    signed in, so it reaches no page but the code step. An SMS code is sent at once unless
    the user also has an authenticator app or a passkey (which need no SMS; the code step
    still offers one).
    """
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "uid": user.pk,
        # Changing the password (or ending every session) ends a half-done sign-in too.
        "auth": user.get_session_auth_hash(),
        "epoch": user.token_epoch,
        "nonce": secrets.token_urlsafe(16),
        "at": int(time.time()),
        "next": next_url,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
    }
    device = otp.sms_device(user)
    if (device is not None and not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            and not has_passkey(user)):
        return otp.send_code(request, device, request.session[PENDING_KEY]["nonce"])
    return None


def pending_login(request: HttpRequest) -> tuple[User, dict] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending.get("uid"), is_active=True).first()
    if (user is None or user.token_epoch != pending.get("epoch")
            or not hmac.compare_digest(user.get_session_auth_hash(), str(pending.get("auth")))):
        return None
    return user, pending


def end_pending_login(request: HttpRequest) -> None:
    request.session.flush()


def complete_login(request: HttpRequest, user: User, device=None, backend: str | None = None,
                   method: str | None = None):
    """Sign the user in (a new session key), mark the factor used and the proof fresh.

    `method` names how the second step was passed when no device was used (a remembered
    browser); by default it is the device's type, or "password".
    """
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=backend)
    if device is not None:
        otp_login(request, device)
    mark_fresh_proof(request)
    method = method or (type(device).__name__ if device is not None else "password")
    record(request, EventType.SIGNIN_SUCCESS, user=user, method=method)


# --- the SMS factor ------------------------------------------------------------------------


def start_sms_enrolment(request: HttpRequest, phone: str) -> otp.SendResult:
    """Send a code to a new phone number; the factor is on only once the code comes back."""
    user = request.user
    device = SMSDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = SMSDevice(user=user, name="SMS", confirmed=False)
    device.phone = phone
    device.save()
    nonce = secrets.token_urlsafe(16)
    request.session[ENROL_KEY] = {"device": device.pk, "nonce": nonce, "at": int(time.time())}
    return otp.send_code(request, device, nonce)


def pending_sms_enrolment(request: HttpRequest) -> tuple[SMSDevice, str] | None:
    data = request.session.get(ENROL_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None
    device = SMSDevice.objects.filter(pk=data.get("device"), user=request.user).first()
    return (device, data["nonce"]) if device is not None else None


@transaction.atomic
def confirm_sms_enrolment(request: HttpRequest, device: SMSDevice) -> bool:
    """The code came back: the number is verified. Returns True if it is the first factor."""
    user = request.user
    first = not otp.has_second_factor(user)
    old = SMSDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).first()
    SMSDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user.phone = device.phone
    user.save(update_fields=["phone"])
    request.session.pop(ENROL_KEY, None)
    otp_login(request, device)
    # Security centre hook: a second-factor change forgets every remembered browser.
    security_hooks.second_factor_changed(request, user)
    if old is not None:
        record(request, EventType.PHONE_CHANGED, user=user)
        emails.security_change(user, _("The phone number that receives your sign-in codes "
                                       "was changed."))
    else:
        record(request, EventType.MFA_ENABLED, user=user, factor="sms")
        emails.security_change(user, _("Sign-in codes by SMS were turned on."))
    return first


# --- the authenticator app -----------------------------------------------------------------


def start_totp_enrolment(user: User) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_totp_enrolment(request: HttpRequest, device: TOTPDevice) -> bool:
    user = request.user
    first = not otp.has_second_factor(user)
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    # Security centre hook: a second-factor change forgets every remembered browser.
    security_hooks.second_factor_changed(request, user)
    record(request, EventType.MFA_ENABLED, user=user, factor="totp")
    emails.security_change(user, _("An authenticator app was set up for sign-in codes."))
    return first


# --- backup codes and turning everything off -----------------------------------------------


def regenerate_backup_codes(request: HttpRequest) -> list[str]:
    codes = otp.generate_backup_codes(request.user)
    record(request, EventType.BACKUP_CODES_GENERATED, user=request.user)
    emails.security_change(request.user, _("New backup codes were made; the old ones no "
                                           "longer work."))
    return codes


@transaction.atomic
def disable_second_factor(request: HttpRequest) -> None:
    user = request.user
    SMSDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # Security centre hook: a second-factor change forgets every remembered browser.
    security_hooks.second_factor_changed(request, user)
    record(request, EventType.MFA_DISABLED, user=user)
    emails.security_change(user, _("The second factor was turned off. Only your password "
                                   "now protects your account."))


# --- passwords ------------------------------------------------------------------------------


def password_changed(request: HttpRequest, user: User, reset: bool = False) -> None:
    """After any password change: end issued API tokens, record, and tell the owner.

    Other browser sessions end by themselves: Django ties each session to the password hash.
    """
    User.end_api_tokens(User.objects.filter(pk=user.pk))
    # Security centre hook: end the other sessions (rows and store), forget remembered
    # browsers; keeps this session signed in past the token_epoch raise above.
    security_hooks.password_changed(request, user)
    record(request, EventType.PASSWORD_RESET if reset else EventType.PASSWORD_CHANGED, user=user)
    emails.security_change(user, _("Your password was changed."))


def email_changed(request: HttpRequest, user: User, old_email: str) -> None:
    record(request, EventType.EMAIL_CHANGED, user=user)
    what = _("The e-mail address of your account was changed to %(email)s.") % {
        "email": user.email
    }
    emails.security_change(user, what, to=old_email)
    emails.security_change(user, what)
