"""Signed-in sessions: the record of each, their expiry, and ending them.

Django's session store holds the session; a UserSession row describes it for the Devices
page. The session data carries four small values of ours: when it signed in, when it was
last seen (both Unix seconds), the id of its row, and the account's token epoch at sign-in.

- Idle timeout (the user's choice) and absolute lifetime (SESSION_ABSOLUTE_SECONDS) are
  checked on every request from the session data alone: no query.
- "Last seen" is written at most once every SESSION_TOUCH_SECONDS, with the row's
  last_activity, so an active session costs one write a minute, not one per request. The
  idle clock can therefore run up to that long early, never late.
- Raising the account's token_epoch ends every session signed in before it (and every
  issued JWT): "sign out all other sessions" raises it and re-stamps the current session.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from portal.clientip import client_ip

from . import useragent
from .events import record
from .models import EventType, UserSession

SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN = "_last_seen"
RECORD = "_session_record"
EPOCH = "_token_epoch"
KEY = "_session_row_key"


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _session_key(request: HttpRequest) -> str:
    session = request.session
    if session.session_key is None:
        session.save()
    return session.session_key


def _aware(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- signing in and out ---------------------------------------------------------------------


def record_sign_in(request: HttpRequest, user) -> UserSession:
    """Stamp a freshly signed-in session and describe it (user_logged_in, any sign-in)."""
    now = int(time.time())
    session = request.session
    old = session.get(RECORD)
    if old is not None:  # the same user signed in again: the old key is gone
        UserSession.objects.filter(pk=old, user=user).delete()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session[EPOCH] = user.token_epoch
    agent = useragent.of(request)
    row, _ = UserSession.objects.update_or_create(
        session_key=_session_key(request),
        defaults={
            "user": user,
            "browser": agent.browser,
            "os": agent.os,
            "device": agent.device,
            "user_agent": agent.raw,
            "ip": client_ip(request) or None,
            "signed_in_at": _aware(now),
            "last_activity": _aware(now),
        },
    )
    session[RECORD] = row.pk
    session[KEY] = row.session_key
    return row


def record_sign_out(request: HttpRequest) -> None:
    """The session is about to be flushed (user_logged_out): its row goes too."""
    session = getattr(request, "session", None)
    if session is not None and session.get(RECORD) is not None:
        UserSession.objects.filter(pk=session[RECORD]).delete()


# --- every request --------------------------------------------------------------------------


def expiry_reason(request: HttpRequest, user, now: int) -> str | None:
    """"idle", "lifetime" or "signed_out" if this signed-in session is over, else None."""
    session = request.session
    signed_in = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    epoch = session.get(EPOCH)
    if not isinstance(signed_in, int) or not isinstance(last_seen, int) or epoch is None:
        # A session from before these clocks existed: they start now.
        session.setdefault(SIGNED_IN_AT, now)
        session[LAST_SEEN] = now
        session.setdefault(EPOCH, user.token_epoch)
        return None
    if epoch != user.token_epoch:
        return "signed_out"
    absolute = settings.SESSION_ABSOLUTE_SECONDS
    if now - signed_in >= absolute:
        return "lifetime"
    if now - last_seen > min(user.session_idle_seconds, absolute):
        return "idle"
    return None


def follow_key_change(request: HttpRequest, user) -> None:
    """Keep the row on this session's key when something cycled it (a password change,
    a step-up): "sign out" on the Devices page deletes the row's key from the store, so a
    stale key would end nothing. No query unless the key changed."""
    session = request.session
    key = session.session_key
    if key is None or session.get(KEY) == key:
        return
    UserSession.objects.filter(pk=session.get(RECORD), user=user).update(session_key=key)
    session[KEY] = key


def touch(request: HttpRequest, user, now: int) -> None:
    """Note activity, at most once every SESSION_TOUCH_SECONDS per session."""
    session = request.session
    last_seen = session.get(LAST_SEEN)
    if isinstance(last_seen, int) and now - last_seen < settings.SESSION_TOUCH_SECONDS:
        return
    session[LAST_SEEN] = now
    key = _session_key(request)
    updated = UserSession.objects.filter(pk=session.get(RECORD), user=user).update(
        last_activity=_aware(now), ip=client_ip(request) or None, session_key=key
    )
    # No row (signed in before rows existed, or a row ended while this request ran): make
    # one only for a session that is still in the store, so no ended session comes back.
    if not updated and session.exists(key):
        UserSession.objects.filter(session_key=key).delete()
        agent = useragent.of(request)
        row = UserSession.objects.create(
            user=user, session_key=key, browser=agent.browser, os=agent.os,
            device=agent.device, user_agent=agent.raw, ip=client_ip(request) or None,
            signed_in_at=_aware(session.get(SIGNED_IN_AT, now)), last_activity=_aware(now),
        )
        session[RECORD] = row.pk
        session[KEY] = key


# --- the Devices page -----------------------------------------------------------------------


def live_sessions(user):
    """The account's sessions that have not run out (idle or absolute), newest first."""
    now = timezone.now()
    idle = min(user.session_idle_seconds, settings.SESSION_ABSOLUTE_SECONDS)
    return UserSession.objects.filter(
        user=user,
        signed_in_at__gt=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS),
        last_activity__gt=now - timedelta(seconds=idle + settings.SESSION_TOUCH_SECONDS),
    )


def current_record_id(request: HttpRequest) -> int | None:
    return request.session.get(RECORD)


def end_rows(rows) -> int:
    """End these sessions: deleted from the session store, and their rows."""
    store = _store()
    keys = [row.session_key for row in rows]
    for key in keys:
        store(key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def sign_out_session(request: HttpRequest, row: UserSession) -> None:
    """End one of the user's sessions (deleted from the session store: it is over at once)."""
    end_rows([row])
    record(request, EventType.SESSION_ENDED, user=row.user, scope="one", session=row.pk,
           browser=row.browser, os=row.os)


def sign_out_other_sessions(request: HttpRequest) -> int:
    """End every session of the user but this one, and every issued API token (JWT)."""
    user = request.user
    others = UserSession.objects.filter(user=user).exclude(pk=current_record_id(request))
    count = end_rows(list(others))
    _raise_epoch(request, user)
    record(request, EventType.SESSION_ENDED, user=user, scope="all_others", count=count)
    return count


def _raise_epoch(request: HttpRequest, user) -> None:
    User = get_user_model()
    User.end_api_tokens(User.objects.filter(pk=user.pk))
    user.refresh_from_db(fields=["token_epoch"])
    request.session[EPOCH] = user.token_epoch


def after_password_change(request: HttpRequest, user) -> None:
    """A password change ends every other session (and their rows); this one stays."""
    current = None
    if getattr(request, "user", None) is not None and request.user.pk == user.pk:
        current = current_record_id(request)
        # The change cycled this session's key: keep its row pointing at the new one.
        follow_key_change(request, user)
        user.refresh_from_db(fields=["token_epoch"])
        request.session[EPOCH] = user.token_epoch
    end_rows(list(UserSession.objects.filter(user=user).exclude(pk=current)))
