"""Adding, renaming and removing a passkey: one function each, called by the pages and the
admin. Each records its event and e-mails the account; fresh proof is the caller's check."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import hooks as security_hooks
from security.events import record
from security.models import EventType

from .. import emails, otp
from ..models import SMSDevice
from . import Passkey, of


def added(request: HttpRequest, passkey: Passkey) -> bool:
    """The passkey was just registered (django-otp-webauthn saved it). Returns True when it
    is the account's first second factor: backup codes come with it, for the day it is
    lost."""
    user = passkey.user
    first = [d.persistent_id for d in otp.confirmed_devices(user)] == [passkey.persistent_id]
    if not request.user.is_verified():
        # As the library's own view does: the session now holds a verified second factor.
        otp_login(request, passkey)
    # Security centre hook: a second-factor change forgets every remembered browser.
    security_hooks.second_factor_changed(request, user)
    record(request, EventType.MFA_ENABLED, user=user, factor="passkey", label=passkey.name)
    emails.security_change(user, _("A passkey was added to your account: “%(name)s”.")
                           % {"name": passkey.name})
    return first


def rename(passkey: Passkey, name: str) -> None:
    passkey.name = name
    passkey.save(update_fields=["name"])


def is_last_factor(passkey: Passkey) -> bool:
    """Nothing but backup codes would be left: removing it is turning the second factor off,
    which takes the password and a code (accounts.views.security.disable)."""
    user_id = passkey.user_id
    return not (of(passkey.user).exclude(pk=passkey.pk).exists()
                or SMSDevice.objects.filter(user_id=user_id, confirmed=True).exists()
                or TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists())


def remove(request: HttpRequest | None, passkey: Passkey, operator: str = "") -> None:
    """Remove the passkey at once: a session that was verified with it is no longer (django-
    otp finds its device gone). `operator` names the operator who removed it in the admin."""
    user = passkey.user
    name = passkey.name
    passkey.delete()
    # Security centre hook: a second-factor change forgets every remembered browser.
    security_hooks.second_factor_changed(request, user)
    detail = {"operator": operator} if operator else {}
    record(request, EventType.MFA_DISABLED, user=user, factor="passkey", label=name,
           action="removed", **detail)
    emails.security_change(user, _("A passkey was removed from your account: “%(name)s”.")
                           % {"name": name})
