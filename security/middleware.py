"""Every portal request of a signed-in session passes here.

In order: the session's expiry (the user's idle timeout, the absolute lifetime, or ended
by "sign out all other sessions"), then the portal IP whitelist, then a note of activity
(at most one write a minute, plus one if the session's key was cycled). It also writes
the cookies that sign-in hooks queued. API requests (/api/) authenticate by key or token
and have their own whitelist.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from portal.clientip import client_ip

from . import cookies, hooks, sessions
from .events import record
from .models import EventType
from .whitelists import PORTAL, ip_allowed

_SKIP = ("/static/", "/api/")
# Signing out is always possible, even from outside the whitelist.
_ALWAYS = ("/accounts/logout/",)

_MESSAGES = {
    "idle": _("You were signed out after a period of inactivity. Sign in again to continue."),
    "lifetime": _("Your session reached its maximum length. Sign in again to continue."),
    "signed_out": _("This browser was signed out from another session. Sign in again to "
                    "continue."),
}


class SecurityCentreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._check(request)
        if response is None:
            response = self.get_response(request)
        cookies.apply(request, response)
        return response

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        if request.path.startswith(_SKIP):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        now = int(time.time())
        reason = sessions.expiry_reason(request, user, now)
        if reason is not None:
            return _expired(request, user, reason)
        # A sub-user is held to its account's list (the owner's).
        if not request.path.startswith(_ALWAYS) and not ip_allowed(
            user.account_id, PORTAL, client_ip(request)
        ):
            return hooks.blocked_response(request, user, "session")
        sessions.follow_key_change(request, user)
        sessions.touch(request, user, now)
        return None


def _expired(request: HttpRequest, user, reason: str) -> HttpResponse:
    if reason != "signed_out":  # a sign-out from elsewhere was recorded there
        record(request, EventType.SESSION_ENDED, user=user, scope="expired", reason=reason)
    logout(request)
    messages.info(request, str(_MESSAGES[reason]))
    url = reverse("accounts:login")
    back = _back(request)
    if back:
        url += "?" + urlencode({"next": back})
    return redirect(url)


def _back(request: HttpRequest) -> str:
    """Where to return after signing in again: this page (or, for a form, its page)."""
    if request.method in ("GET", "HEAD"):
        candidate = request.get_full_path()
    else:
        referer = request.META.get("HTTP_REFERER", "")
        host = request.get_host()
        candidate = ""
        for scheme in ("https://", "http://"):
            if referer.startswith(f"{scheme}{host}/"):
                candidate = referer[len(scheme) + len(host):]
    if candidate.startswith(("/accounts/login", "/accounts/logout", "/accounts/reauth")):
        return ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return ""
