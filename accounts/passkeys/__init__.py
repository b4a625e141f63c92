"""Passkeys (WebAuthn) as a second factor, and as a way to sign in alone.

django-otp-webauthn keeps the passkeys (a django-otp device, so "has a second factor", the
admin's requirement and remember-this-browser see them like any other factor) and runs the
ceremonies; the portal adds its rules around it:
- `helper.PasskeyHelper`: the relying party is SITE_URL's host, its origin the only one;
- `flows`: adding, renaming and removing one (events, e-mails, fresh proof by the caller);
- `accounts.views.ceremonies`: the JSON endpoints the library's JS calls, each a subclass of
  the library's view with the portal's checks (fresh proof, the pending sign-in, the policy);
- `accounts.policy.passkey_step`: the sign-in policy for a passkey used alone.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_otp_webauthn.models import WebAuthnCredential as Passkey

from ..models import User

__all__ = ["Passkey", "of", "has_passkey"]


def of(user: User) -> QuerySet[Passkey]:
    """The user's passkeys, newest first."""
    return Passkey.objects.filter(user=user, confirmed=True).order_by("-created_at", "-pk")


def has_passkey(user: User) -> bool:
    return of(user).exists()
