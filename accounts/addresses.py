"""E-mail addresses: a new account's is confirmed by a link.

The link carries a token signed with Django's signing tools; the view moves it out of the
address bar into the session before using it (as Django's password reset does).

Registration answers the same whether the address has an account or not (SEC-43): for a
taken address no account is made, its owner is e-mailed instead, and the visitor is told
to check the inbox as anyone else is.
"""

from __future__ import annotations

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
from .forms import RegisterForm
from .models import User

CONFIRM_SALT = "accounts.confirm-email"
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
