"""The device cookie: a long-lived, signed, HttpOnly cookie that names a browser.

A sign-in from a browser whose cookie the account does not know records a NEW_DEVICE event
and e-mails the account; the browser is known from then on. The cookie holds only a random
id, signed with SECRET_KEY so that nobody can make up one for a known browser.
"""

from __future__ import annotations

import secrets

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


def note_sign_in(request: HttpRequest, user) -> bool:
    """Remember this browser as one of the account's devices; True if it was new.

    A new one records NEW_DEVICE and sends the new-device e-mail. The cookie is set (or its
    lifetime renewed) on the response either way.
    """
    agent = useragent.of(request)
    ip = client_ip(request)
    now = timezone.now()
    known_id = device_id(request)
    new = True
    if known_id is not None:
        new = not KnownDevice.objects.filter(user=user, device_id=known_id).update(
            last_seen=now, last_ip=ip or None, browser=agent.browser, os=agent.os
        )
    the_id = known_id or secrets.token_urlsafe(18)
    if new:
        KnownDevice.objects.get_or_create(
            user=user, device_id=the_id,
            defaults={"browser": agent.browser, "os": agent.os, "last_ip": ip or None},
        )
        record(request, EventType.NEW_DEVICE, user=user, browser=agent.browser, os=agent.os)
        emails.new_device(user, when=now, ip=ip, agent=agent)
    cookies.queue(request, settings.DEVICE_COOKIE_NAME, signing.dumps(the_id, salt=SALT),
                  settings.DEVICE_COOKIE_AGE)
    return new
