"""One function per e-mail the accounts app sends. No secret ever goes into a context."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from portal import emails


def _send(name: str, user, to: str | None = None, **context) -> None:
    context.setdefault("user", user)
    context.setdefault("when", timezone.now())
    emails.send(name, to or user.email, context, language=user.language)


def confirm_email(user, link: str) -> None:
    _send("confirm-email", user, link=link)


def security_change(user, what: str, to: str | None = None) -> None:
    """A security setting changed: `what` is a short, translated description."""
    _send("security-change", user, to=to, what=what, security_url=reverse("accounts:security"))


def account_exists(user, login_url: str, reset_url: str) -> None:
    """Someone tried to register with `user`'s address: tell its owner, not the visitor."""
    _send("account-exists", user, login_url=login_url, reset_url=reset_url)


def email_change_link(user, new_email: str, link: str) -> None:
    """To the new address: the link that makes it the account's address."""
    _send("email-change-confirm", user, to=new_email, new_email=new_email, link=link)


def email_change_requested(user, new_email: str) -> None:
    """To the current address, at once: a change was asked for (the link is not in it)."""
    _send("email-change-requested", user, new_email=new_email,
          profile_url=reverse("accounts:profile"))
