"""The functions the accounts app calls at sign-in and after security changes.

Each is called with one line from a clearly marked hook in accounts/flows.py or
accounts/views/auth.py; the logic lives here and in the modules it calls. (The sign-in
policy, accounts.policy, calls `devices.note_password_step` and the whitelist functions
directly.)
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import ratelimit
from portal.clientip import client_ip

from . import remember, sessions
from .events import record
from .models import EventType


def blocked_response(request: HttpRequest, user, stage: str) -> HttpResponse:
    """The clear page (403) for a signed-in session's request from outside the portal
    whitelist. (A sign-in from outside is answered as a wrong password: accounts.policy.)

    The event is recorded at most once a minute per account and address, so a browser
    that keeps retrying cannot flood the log.
    """
    ip = client_ip(request)
    if ratelimit.first_time(f"security:blocked:{user.pk}:{ip}", 60):
        record(request, EventType.REQUEST_BLOCKED, user=user, surface="portal", stage=stage,
               path=request.path[:200])
    return render(request, "security/blocked.html", {"ip": ip}, status=403)


def browser_remembered(request: HttpRequest, user) -> bool:
    """May this browser skip the code step for `user` ("Remember this browser")?"""
    return remember.recognised(request, user) is not None


def remember_browser(request: HttpRequest, user) -> None:
    remember.remember_browser(request, user)


def password_changed(request: HttpRequest, user) -> None:
    """Every other session ends and every remembered browser is forgotten."""
    sessions.after_password_change(request, user)
    remember.forget_all(request, user, reason="password")


def second_factor_changed(request: HttpRequest, user) -> None:
    remember.forget_all(request, user, reason="second_factor")
