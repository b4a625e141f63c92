"""Cookies the security centre sets from code that has no response at hand.

A sign-in hook (a flow function) decides that a device or remembered-browser cookie must be
set; it queues the cookie on the request and SecurityCentreMiddleware writes it onto
whatever response the view returns. Every such cookie is HttpOnly, SameSite=Lax, on "/",
and Secure whenever the session cookie is.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

_ATTR = "_security_cookies"


def queue(request: HttpRequest, name: str, value: str, max_age: int) -> None:
    pending = getattr(request, _ATTR, None)
    if pending is None:
        pending = {}
        setattr(request, _ATTR, pending)
    pending[name] = (value, max_age)


def queue_delete(request: HttpRequest, name: str) -> None:
    queue(request, name, "", 0)


def apply(request: HttpRequest, response: HttpResponseBase) -> None:
    for name, (value, max_age) in getattr(request, _ATTR, {}).items():
        if max_age <= 0:
            response.delete_cookie(name, path="/", samesite="Lax")
            continue
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
