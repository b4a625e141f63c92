"""Recording security events: the one function every app calls."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from portal.clientip import client_ip

from .models import EventType, SecurityEvent

log = logging.getLogger("security.events")

# Detail keys that must never be recorded, whatever a caller passes.
_FORBIDDEN = {"password", "code", "otp", "token", "key", "api_key", "secret", "signature"}


def _clean(value: str, limit: int) -> str:
    # CR/LF and other control characters are encoded so a username cannot forge log lines.
    return value.encode("unicode_escape").decode("ascii")[:limit]


def record(
    request: HttpRequest | None,
    type: EventType | str,
    user=None,
    username: str = "",
    **detail,
) -> SecurityEvent:
    """Record one security event and log it (without any secret).

    `user` defaults to the request's signed-in user; `username` names the account tried
    when there is no user (a failed sign-in). `detail` is a small JSON-able record.
    """
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    leaked = _FORBIDDEN & set(detail)
    if leaked:
        raise ValueError(f"security events never hold secrets: {sorted(leaked)}")
    ip = client_ip(request) if request is not None else ""
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    name = user.get_username() if user is not None else username
    event = SecurityEvent.objects.create(
        user=user,
        username=_clean(name or "", 150),
        type=str(type),
        ip=ip or None,
        user_agent=_clean(agent, 300),
        detail=detail,
    )
    log.info(
        "security event=%s user=%s ip=%s", event.type, event.username or "-", ip or "-"
    )
    return event
