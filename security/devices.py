"""The device cookie: a long-lived, signed, HttpOnly cookie that names a browser.

The right password entered from a browser whose cookie the account does not know (or, on
the API, from an address and User-Agent it has not seen) records a NEW_DEVICE event and
e-mails the account; the device is known from then on. The cookie holds only a random
id, signed with SECRET_KEY so that nobody can make up one for a known browser.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone

from portal.clientip import client_ip

from . import cookies, emails, useragent
from .events import record
from .models import EventType, KnownDevice

SALT = "security.device-cookie"


def device_id(request: HttpRequest) -> str | None:
    """The id in this browser's device cookie, if it carries a valid one."""
    raw = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def api_device_id(request: HttpRequest) -> str:
    """An API client has no cookie: its "device" is its address and User-Agent, remembered
    on the server (a digest, so the table holds neither)."""
    seen = f"{client_ip(request)}\n{request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return "api:" + hashlib.sha256(seen.encode()).hexdigest()[:40]


def note_password_step(request: HttpRequest, user, *, api: bool = False,
                       passkey: bool = False) -> bool:
    """The right password (or, with `passkey`, a passkey used alone) was just entered: True if
    it came from a device the account has not seen (in DEVICE_COOKIE_AGE), which then records
    NEW_DEVICE and e-mails the account.

    This runs at the password step, before any second factor, so the owner hears of it even
    when only the password leaked (the e-mail says an attempt, which it may still be). A
    browser gets the device cookie; an API client is known by `api_device_id`.
    """
    agent = useragent.of(request)
    ip = client_ip(request)
    now = timezone.now()
    the_id = api_device_id(request) if api else device_id(request)
    fresh = now - timedelta(seconds=settings.DEVICE_COOKIE_AGE)
    known = the_id is not None and KnownDevice.objects.filter(
        user=user, device_id=the_id, last_seen__gt=fresh
    ).update(last_seen=now, last_ip=ip or None, browser=agent.browser, os=agent.os)
    if not known:
        the_id = the_id or secrets.token_urlsafe(18)
        KnownDevice.objects.update_or_create(
            user=user, device_id=the_id,
            defaults={"browser": agent.browser, "os": agent.os, "last_ip": ip or None,
                      "first_seen": now, "last_seen": now},
        )
        record(request, EventType.NEW_DEVICE, user=user, browser=agent.browser, os=agent.os,
               via="api" if api else "portal")
        emails.new_device(user, when=now, ip=ip, agent=agent, api=api, passkey=passkey)
    if not api:
        cookies.queue(request, settings.DEVICE_COOKIE_NAME, signing.dumps(the_id, salt=SALT),
                      settings.DEVICE_COOKIE_AGE)
    return not known
