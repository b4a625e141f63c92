"""Brute-force protection of the password step.

django-axes counts failures per (username, client address) pair and locks that pair after
LOGIN_FAILURE_LIMIT failures for LOGIN_LOCKOUT_MINUTES. On top of that, an account-wide cap
(LOGIN_ACCOUNT_FAILURE_LIMIT failures in the same period, from any addresses) stops an
attacker who rotates addresses. Both answer with the same 429 page, for existing and
unknown usernames alike. Operators unlock in the admin (`unlock`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import ratelimit


def _window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def _account_key(username: str) -> str:
    return "login-fail:" + username.strip().lower()[:150]


def account_locked(username: str) -> bool:
    return not ratelimit.peek(
        _account_key(username), settings.LOGIN_ACCOUNT_FAILURE_LIMIT, _window()
    ).allowed


def locked(request: HttpRequest, username: str) -> bool:
    """Either lock-out holds for `username` from this client (for a door without a password,
    which django-axes does not see: a passkey used alone)."""
    if account_locked(username):
        return True
    if not settings.AXES_ENABLED:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": username})


def count_account_failure(username: str) -> None:
    ratelimit.hit(_account_key(username), settings.LOGIN_ACCOUNT_FAILURE_LIMIT, _window())


def unlock(username: str) -> None:
    """Operator unlock: clear axes' records for the username and the account-wide count."""
    from axes.utils import reset

    reset(username=username)
    ratelimit.clear(_account_key(username), _window())


def lockout_response(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """The lock-out page (AXES_LOCKOUT_CALLABLE and the account-wide cap)."""
    minutes = _window() // 60
    return render(request, "accounts/locked.html", {"minutes": minutes}, status=429)
