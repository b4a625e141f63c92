from __future__ import annotations

from django.http import HttpRequest

from .models import Permission


def permissions(request: HttpRequest) -> dict:
    """What the signed-in user may reach, by permission (the navigation hides the rest)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can": {}}
    return {"can": {p.value: user.has_portal_permission(p.value) for p in Permission}}
