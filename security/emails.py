"""One function per e-mail the security centre sends. No secret ever goes into a context."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from portal import emails

from .useragent import Agent


def new_device(user, *, when, ip: str, agent: Agent, api: bool = False,
               passkey: bool = False) -> None:
    """The right password (or a passkey) was used from a device the account has not seen."""
    emails.send(
        "new-device",
        user.email,
        {
            "user": user,
            "api": api,
            "passkey": passkey,
            "when": when,
            "ip": ip,
            "browser": agent.browser,
            "os": agent.os,
            "device": agent.device,
            "devices_url": reverse("security:devices"),
            "password_url": reverse("accounts:password_change"),
            "security_url": reverse("accounts:security"),
        },
        language=user.language,
    )


def whitelist_changed(user, what: str) -> None:
    """An IP whitelist gained or lost an entry: `what` is a short, translated sentence."""
    emails.send(
        "security-change",
        user.email,
        {
            "user": user,
            "what": what,
            "when": timezone.now(),
            "security_url": reverse("security:whitelists"),
        },
        language=user.language,
    )


def sign_in_refused(user, *, when, ip: str, kind: str, passkey: bool = False) -> None:
    """The right password (or a passkey) was used from outside the account's `kind`
    whitelist."""
    emails.send(
        "signin-refused",
        user.email,
        {
            "user": user,
            "when": when,
            "ip": ip,
            "api": kind == "api",
            "passkey": passkey,
            "security_url": reverse("accounts:security"),
            "whitelists_url": reverse("security:whitelists"),
            "password_url": reverse("accounts:password_change"),
        },
        language=user.language,
    )
