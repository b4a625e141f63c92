"""Register, and confirm the new account's e-mail address (rules in accounts.addresses)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal import ratelimit
from portal.clientip import client_ip

from .. import addresses
from ..forms import RegisterForm
from ..proof import too_many

CONFIRM_SESSION_KEY = "_confirm_email_token"


@sensitive_post_parameters("password1", "password2")
@never_cache
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        limit = ratelimit.hit(f"register:{client_ip(request)}",
                              settings.REGISTRATIONS_PER_ADDRESS_HOUR, 60 * 60)
        if not limit.allowed:
            return too_many(request, limit.retry_after)
        if form.is_valid() and addresses.register(request, form):
            # The same page whether the address had an account or not (SEC-43).
            return render(request, "accounts/register_done.html",
                          {"email": form.cleaned_data["email"]})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/register.html", {"form": form}, status=status)


def token_out_of_url(request: HttpRequest, session_key: str, token: str,
                     done: str) -> HttpResponse:
    """As Django's password reset does: a link's token leaves the address bar (and so the
    Referer header and the browser history) before any page is shown."""
    request.session[session_key] = token
    return redirect(done)


@never_cache
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    return token_out_of_url(request, CONFIRM_SESSION_KEY, token, "accounts:confirm_email_done")


@never_cache
def confirm_email_done(request: HttpRequest) -> HttpResponse:
    token = request.session.pop(CONFIRM_SESSION_KEY, "")
    if addresses.confirm_registration(request, token) is None:
        return render(request, "accounts/confirm_invalid.html", status=400)
    messages.success(request, _("Your e-mail address is confirmed. You can sign in now."))
    return redirect("accounts:login")
