from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """The site name, and what the signed-in user may reach (to hide the rest)."""
    user = getattr(request, "user", None)
    can = {}
    if user is not None and user.is_authenticated:
        from accounts.models import Permission

        can = {p.value: user.has_portal_permission(p.value) for p in Permission}
    return {"site_name": settings.SITE_NAME, "can": can}
