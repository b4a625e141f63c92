"""Who may reach a page: fresh proof before a security change, a sub-user's permissions,
the account owner's own pages. Every app's views use these (accounts, security, apikeys).

Fresh proof:
`fresh_proof_required` guards a view: the user must have entered their password (or a
second-factor code) in the last FRESH_PROOF_SECONDS. Otherwise a GET is sent to the
confirmation page and comes back to the same address afterwards; any other method gets the
same confirmation form with status 403 (the change is not made), which returns the user to
the page they came from.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .events import record
from .models import EventType

SESSION_KEY = "_proof_at"


class ProofForm(forms.Form):
    """The password, entered again (accounts.forms.ReauthForm is this form)."""

    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, max_length=4096,  # the longest password
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password is not right."), code="wrong_password")
        return password


def mark_fresh_proof(request: HttpRequest) -> None:
    """Record that the user just proved it is them (password or code entered)."""
    request.session[SESSION_KEY] = int(time.time())


def has_fresh_proof(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    return isinstance(at, int) and 0 <= time.time() - at <= settings.FRESH_PROOF_SECONDS


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def fresh_proof_required(view):
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if has_fresh_proof(request):
            return view(request, *args, **kwargs)
        return ask_for_proof(request)

    return wrapper


def ask_for_proof(request: HttpRequest):
    """The answer to a request that needs fresh proof and has none (see module doc)."""
    if request.method in ("GET", "HEAD"):
        back = request.get_full_path()
    else:
        back = safe_next(request, _referer_path(request), request.path)
    url = reverse("accounts:reauth") + "?" + urlencode({"next": back})
    if request.method in ("GET", "HEAD"):
        return redirect(url)
    return render(
        request,
        "accounts/reauth.html",
        {"form": ProofForm(request.user), "action": url, "stale": True},
        status=403,
    )


def _referer_path(request: HttpRequest) -> str | None:
    referer = request.META.get("HTTP_REFERER", "")
    host = request.get_host()
    for scheme in ("https://", "http://"):
        prefix = scheme + host
        if referer.startswith(prefix + "/"):
            return referer[len(prefix) :]
    return None


def permission_required(permission: str):
    """Portal pages a sub-user reaches only with `permission` (owners reach all).

    Checked on every request, so a permission taken away applies at once. A refusal is a
    403 page that says what is missing.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.user.has_portal_permission(permission):
                return view(request, *args, **kwargs)
            record(request, EventType.PERMISSION_DENIED, permission=permission,
                   path=request.path[:200])
            return render(request, "accounts/forbidden.html",
                          {"permission": request.user.permission_label(permission)},
                          status=403)

        return wrapper

    return decorator


def account_owner_required(view):
    """Pages that change the whole account (its IP whitelists): the owner only."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_sub_user:
            return view(request, *args, **kwargs)
        record(request, EventType.PERMISSION_DENIED, permission="account_owner",
               path=request.path[:200])
        return render(request, "accounts/forbidden.html",
                      {"reason": _("Only the account owner can change this.")}, status=403)

    return wrapper
