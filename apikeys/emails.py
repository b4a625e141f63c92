"""One function per e-mail about a key. Never a secret: only the masked key and its id."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from portal import emails

from .models import APIKey, ExpiryReminder


def _send(name: str, key: APIKey, **context) -> None:
    user = key.user
    context.setdefault("when", timezone.now())
    context.update(user=user, masked=key.masked, key_id=key.lookup_id,
                   description=key.description,
                   key_url=reverse("apikeys:detail", args=[key.lookup_id]),
                   list_url=reverse("apikeys:list"))
    emails.send(name, user.email, context, language=user.language)


def key_expiry(key: APIKey, stage: int, now: datetime) -> None:
    """7 days or 1 day before `key` expires, or once it has (apikeys.reminders)."""
    days = math.ceil((key.expires_at - now) / timedelta(days=1))
    _send("key-expiry", key, stage=stage, expires_at=key.expires_at, days=days,
          expired=stage == ExpiryReminder.Stage.EXPIRED,
          within_a_day=stage == ExpiryReminder.Stage.DAY)


def key_created(key: APIKey) -> None:
    with override(key.user.language):
        what = _("A new API key was generated: %(masked)s (“%(description)s”).")
        what = what % {"masked": key.masked, "description": key.description}
    _send("key-change", key, what=what)


def key_deleted(key: APIKey) -> None:
    with override(key.user.language):
        what = _("The API key %(masked)s (“%(description)s”) was deleted. It no longer works.")
        what = what % {"masked": key.masked, "description": key.description}
    _send("key-change", key, what=what)


def key_regenerated(old: APIKey, new: APIKey) -> None:
    with override(old.user.language):
        if old.in_grace():
            what = _("The API key %(old)s (“%(description)s”) was regenerated as %(new)s. "
                     "The old key keeps working until %(until)s UTC.") % {
                "old": old.masked, "new": new.masked, "description": old.description,
                "until": f"{old.grace_until:%Y-%m-%d %H:%M}"}
        else:
            what = _("The API key %(old)s (“%(description)s”) was regenerated as %(new)s. "
                     "The old key no longer works.") % {
                "old": old.masked, "new": new.masked, "description": old.description}
    _send("key-change", new, what=what)


def whitelist_changed(key: APIKey, added: str | None = None, removed: str | None = None) -> None:
    with override(key.user.language):
        if added:
            what = _("%(value)s was added to the IP whitelist of the API key %(masked)s.")
        else:
            what = _("%(value)s was removed from the IP whitelist of the API key %(masked)s.")
        what = what % {"value": added or removed, "masked": key.masked}
    _send("key-change", key, what=what)


def dead_key_used(key: APIKey, ip: str, reason: str) -> None:
    """A revoked, replaced or expired key was presented: `reason` is its state."""
    _send("key-dead-used", key, ip=ip, reason=reason)
