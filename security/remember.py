"""Remember this browser: a browser that passed the code step may skip it (never the
password) for REMEMBER_BROWSER_DAYS.

The cookie is signed (django.core.signing, with its time) and holds the account, the id of
a RememberedBrowser row and a random token; the row keeps only the token's SHA-256, compared
in constant time. Deleting the row forgets the browser at once, whatever the cookie says.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone

from portal.clientip import client_ip

from . import cookies, useragent
from .events import record
from .models import EventType, RememberedBrowser

SALT = "security.remember-cookie"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _max_age() -> int:
    return settings.REMEMBER_BROWSER_DAYS * 24 * 60 * 60


def _cookie(request: HttpRequest) -> dict | None:
    raw = request.COOKIES.get(settings.REMEMBER_COOKIE_NAME)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=_max_age())
    except signing.BadSignature:  # also SignatureExpired
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("u"), int)
        or not isinstance(data.get("r"), int)
        or not isinstance(data.get("t"), str)
    ):
        return None
    return data


def remember_browser(request: HttpRequest, user) -> RememberedBrowser:
    """This browser just passed the code step and its owner asked to be remembered."""
    token = secrets.token_urlsafe(32)
    agent = useragent.of(request)
    row = RememberedBrowser.objects.create(
        user=user,
        token_hash=_digest(token),
        browser=agent.browser,
        os=agent.os,
        ip=client_ip(request) or None,
        expires_at=timezone.now() + timedelta(seconds=_max_age()),
    )
    value = signing.dumps({"u": user.pk, "r": row.pk, "t": token}, salt=SALT)
    cookies.queue(request, settings.REMEMBER_COOKIE_NAME, value, _max_age())
    record(request, EventType.BROWSER_REMEMBERED, user=user, browser=agent.browser, os=agent.os,
           days=settings.REMEMBER_BROWSER_DAYS)
    return row


def recognised(request: HttpRequest, user) -> RememberedBrowser | None:
    """The row that lets this browser skip the code for `user`, or None."""
    data = _cookie(request)
    if data is None or data["u"] != user.pk:
        return None
    now = timezone.now()
    row = RememberedBrowser.objects.filter(pk=data["r"], user=user, expires_at__gt=now).first()
    if row is None or not hmac.compare_digest(row.token_hash, _digest(data["t"])):
        return None
    RememberedBrowser.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def current_id(request: HttpRequest, user) -> int | None:
    """The row id this browser's cookie names (for marking "this browser"), unverified."""
    data = _cookie(request)
    return data["r"] if data is not None and data["u"] == user.pk else None


def active(user):
    return RememberedBrowser.objects.filter(user=user, expires_at__gt=timezone.now())


def forget(request: HttpRequest, row: RememberedBrowser) -> None:
    row.delete()
    record(request, EventType.BROWSER_FORGOTTEN, user=row.user, scope="one",
           browser=row.browser, os=row.os)


def forget_all(request: HttpRequest | None, user, reason: str) -> int:
    """Forget every remembered browser of the account (password or second factor changed)."""
    count, _ = RememberedBrowser.objects.filter(user=user).delete()
    if count:
        record(request, EventType.BROWSER_FORGOTTEN, user=user, scope="all", reason=reason,
               count=count)
    return count
