"""The Account page: e-mail, time zone, language, session duration, password policy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..decorators import ask_for_proof, has_fresh_proof
from ..flows import email_changed
from ..forms import ProfileForm
from ..models import User


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    old_email = user.email
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST":
        if form.is_valid():
            if "email" in form.changed_data and not has_fresh_proof(request):
                return ask_for_proof(request)
            form.save()
            if "email" in form.changed_data:
                email_changed(request, user, old_email)
            request.session["_idle_seconds"] = user.session_idle_seconds
            messages.success(request, _("Your account settings were saved."))
            if "password_expiry_enabled" in form.changed_data and user.password_change_required():
                messages.warning(request, _("Your password is older than the new policy "
                                            "allows: choose a new one now."))
            response = redirect("accounts:profile")
            response.set_cookie("django_language", user.language, samesite="Lax")
            return response
        return render(request, "accounts/profile.html", {"form": form, "nav": "account"},
                      status=400)
    return render(request, "accounts/profile.html", {"form": form, "nav": "account"})
