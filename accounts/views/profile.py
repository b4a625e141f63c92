"""The Account page: e-mail, time zone, language, session duration, password policy.

A new e-mail address is not applied here: it waits for the link sent to it (the rules are
in accounts.addresses).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from security.access import ask_for_proof, has_fresh_proof

from .. import addresses, proof
from ..forms import ProfileForm
from ..models import User
from .registration import token_out_of_url

CHANGE_SESSION_KEY = "_email_change_token"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "accounts/profile.html", {"form": form, "nav": "account"},
                          status=400)
        new_email = form.new_email
        if new_email:
            if not has_fresh_proof(request):
                return ask_for_proof(request)
            # Each request sends two e-mails, one to an address of the user's choosing.
            if (refused := proof.attempt(request)) is not None:
                return refused
        form.save()
        request.session["_idle_seconds"] = user.session_idle_seconds
        messages.success(request, _("Your account settings were saved."))
        if new_email:
            addresses.request_change(request, user, new_email)
            messages.info(request, _("We sent a confirmation link to %(email)s: your e-mail "
                                     "address changes when you open it.") % {"email": new_email})
        if "password_expiry_enabled" in form.changed_data and user.password_change_required():
            messages.warning(request, _("Your password is older than the new policy "
                                        "allows: choose a new one now."))
        response = redirect("accounts:profile")
        response.set_cookie("django_language", user.language, samesite="Lax")
        return response
    return render(request, "accounts/profile.html", {"form": form, "nav": "account"})


@require_POST
@login_required
def email_change_cancel(request: HttpRequest) -> HttpResponse:
    if request.user.pending_email:
        addresses.cancel_change(request.user)
        messages.success(request, _("The change of your e-mail address was cancelled."))
    return redirect("accounts:profile")


@never_cache
def email_change(request: HttpRequest, token: str) -> HttpResponse:
    return token_out_of_url(request, CHANGE_SESSION_KEY, token, "accounts:email_change_done")


@never_cache
def email_change_done(request: HttpRequest) -> HttpResponse:
    outcome, user = addresses.confirm_change(request, request.session.pop(CHANGE_SESSION_KEY, ""))
    if outcome is not addresses.Change.DONE:
        return render(request, "accounts/email_change_failed.html",
                      {"taken": outcome is addresses.Change.TAKEN}, status=400)
    messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": user.email})
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:profile")
    return redirect("accounts:login")
