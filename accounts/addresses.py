"""E-mail addresses: a new account's, and a changed one. Both are confirmed by a link.

Each link carries a token signed with Django's signing tools; the views move it out of the
address bar into the session before using it (as Django's password reset does).

Registration answers the same whether the address has an account or not (SEC-43): for a
taken address no account is made, its owner is e-mailed instead, and the visitor is told
to check the inbox as anyone else is.

A new address asked for on the Account page (SEC-44) waits in `User.pending_email` until
the link sent to it is followed: password resets and notices keep going to the current
address, which is told of the request at once.
"""

from __future__ import annotations

from enum import Enum

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse

from portal import ratelimit
from security.events import record
from security.models import EventType

from . import emails
from .flows import email_changed
from .forms import RegisterForm
from .models import User

CONFIRM_SALT = "accounts.confirm-email"
CHANGE_SALT = "accounts.change-email"
LINK_MAX_AGE = 3 * 24 * 60 * 60  # seconds; the e-mails say "3 days"
# "Someone tried to register with your address" e-mails per address a day: enough for an
# owner who forgot, too few for the form to be used to flood a mailbox.
EXISTS_NOTICES_PER_DAY = 3


def _link(request: HttpRequest, name: str, token: str) -> str:
    return request.build_absolute_uri(reverse(name, args=[token]))


def _load(token: str, salt: str) -> dict | None:
    try:
        data = signing.loads(token, salt=salt, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # also an expired token
        return None
    return data if isinstance(data, dict) else None


# --- a new account ---------------------------------------------------------------------------


def register(request: HttpRequest, form: RegisterForm) -> bool:
    """Act on a valid registration form: make the account and send its confirmation link,
    or, if the address has an account, e-mail that account's owner.

    The visitor gets the same answer either way, so both ways hash the password and send
    one e-mail. False only if the username was taken in the meantime (a form error is set).
    """
    email = form.cleaned_data["email"]
    if not form.email_taken:
        user = form.save(commit=False)
        user.language = request.LANGUAGE_CODE if request.LANGUAGE_CODE in dict(
            settings.LANGUAGES) else "en"
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # a parallel registration took the address or the username
            if not User.objects.filter(email__iexact=email).exists():
                form.add_error("username", user.unique_error_message(User, ["username"]))
                return False
        else:
            record(request, EventType.REGISTERED, user=user)
            send_confirmation(request, user)
            return True
    else:
        make_password(form.cleaned_data["password1"])  # the work a new account costs
    _tell_owner(email)
    return True


def _tell_owner(email: str) -> None:
    owner = User.objects.filter(email__iexact=email).first()
    if owner is None:
        return
    if ratelimit.hit(f"register-exists:{email}", EXISTS_NOTICES_PER_DAY, 24 * 60 * 60).allowed:
        emails.account_exists(owner, login_url=reverse("accounts:login"),
                              reset_url=reverse("accounts:password_reset"))


def send_confirmation(request: HttpRequest, user: User) -> None:
    """E-mail `user` the link that confirms the address of its new account."""
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT)
    emails.confirm_email(user, _link(request, "accounts:confirm_email", token))


def confirm_registration(request: HttpRequest, token: str) -> User | None:
    """Follow a new account's link: the user whose address it confirmed, or None."""
    data = _load(token, CONFIRM_SALT)
    if data is None:
        return None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is not None and not user.email_confirmed:
        user.email_confirmed = True
        user.save(update_fields=["email_confirmed"])
        record(request, EventType.EMAIL_CONFIRMED, user=user)
    return user


# --- a changed address -----------------------------------------------------------------------


def request_change(request: HttpRequest, user: User, new_email: str) -> None:
    """Send the confirmation link to `new_email` and tell the current address.

    A newer request replaces an older one, whose link then fails. An address that another
    account has is not refused here (that would tell who has an account): its link fails.
    """
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    token = signing.dumps({"u": user.pk, "e": new_email, "o": user.email}, salt=CHANGE_SALT)
    emails.email_change_link(user, new_email, _link(request, "accounts:email_change", token))
    emails.email_change_requested(user, new_email)


def cancel_change(user: User) -> None:
    user.pending_email = ""
    user.save(update_fields=["pending_email"])


class Change(Enum):
    DONE = "done"
    TAKEN = "taken"  # another account has the address now
    INVALID = "invalid"  # wrong, expired, cancelled, replaced by a newer request, or used


@transaction.atomic
def confirm_change(request: HttpRequest, token: str) -> tuple[Change, User | None]:
    """Follow a changed address's link: the address becomes the account's if the link is
    for the change still waiting, and no other account has taken the address since."""
    data = _load(token, CHANGE_SALT)
    if data is None:
        return Change.INVALID, None
    user = User.objects.select_for_update().filter(pk=data.get("u")).first()
    new_email = data.get("e")
    if user is None or not new_email or user.pending_email != new_email \
            or user.email != data.get("o"):
        return Change.INVALID, None
    user.pending_email = ""
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        user.save(update_fields=["pending_email"])
        return Change.TAKEN, user
    old_email, user.email, user.email_confirmed = user.email, new_email, True
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_confirmed", "pending_email"])
    except IntegrityError:  # taken by a registration in the meantime
        user.email = old_email
        User.objects.filter(pk=user.pk).update(pending_email="")
        return Change.TAKEN, user
    email_changed(request, user, old_email)
    return Change.DONE, user
