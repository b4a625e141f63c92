"""The functions the accounts app calls at sign-in and after security changes.

Each is called with one line from a clearly marked hook in accounts/flows.py or
accounts/views/auth.py; the logic lives here and in the modules it calls.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import ratelimit
from portal.clientip import client_ip

from . import devices, remember, sessions
from .events import record
from .models import EventType
from .whitelists import PORTAL, ip_allowed


def blocked_response(request: HttpRequest, user, stage: str) -> HttpResponse:
    """The clear page (403) for a portal request from outside the portal whitelist.

    The event is recorded at most once a minute per account and address, so a browser
    that keeps retrying cannot flood the log.
    """
    ip = client_ip(request)
    if ratelimit.hit(f"security:blocked:{user.pk}:{ip}", 1, 60).allowed:
        record(request, EventType.REQUEST_BLOCKED, user=user, surface="portal", stage=stage,
               path=request.path[:200])
    return render(request, "security/blocked.html", {"ip": ip, "stage": stage}, status=403)


def refuse_outside_whitelist(request: HttpRequest, user) -> HttpResponse | None:
    """After the password step: the refusal page if the address is not on the portal list."""
    if ip_allowed(user.account_id, PORTAL, client_ip(request)):
        return None
    return blocked_response(request, user, "signin")


def browser_remembered(request: HttpRequest, user) -> bool:
    """May this browser skip the code step for `user` ("Remember this browser")?"""
    return remember.recognised(request, user) is not None


def signed_in(request: HttpRequest, user) -> None:
    """A portal sign-in completed: the device cookie, and the new-device e-mail if new.

    (The session row itself is made for every sign-in by the user_logged_in signal.)
    """
    devices.note_sign_in(request, user)


def remember_browser(request: HttpRequest, user) -> None:
    remember.remember_browser(request, user)


def password_changed(request: HttpRequest, user) -> None:
    """Every other session ends and every remembered browser is forgotten."""
    sessions.after_password_change(request, user)
    remember.forget_all(request, user, reason="password")


def second_factor_changed(request: HttpRequest, user) -> None:
    remember.forget_all(request, user, reason="second_factor")
