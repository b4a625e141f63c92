from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """The site name, on every page (accounts.context_processors adds what the user may do)."""
    return {"site_name": settings.SITE_NAME}
