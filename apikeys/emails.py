"""One function per e-mail about a key. Never a secret: only the masked key and its id."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

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


def _key_change(key: APIKey, sentence) -> None:
    """A "key-change" e-mail saying `sentence` (lazy, with %(masked)s and %(description)s),
    in the owner's language."""
    with override(key.user.language):
        what = str(sentence) % {"masked": key.masked, "description": key.description}
    _send("key-change", key, what=what)


def key_created(key: APIKey) -> None:
    _key_change(key, gettext_lazy("A new API key was generated: %(masked)s "
                                  "(“%(description)s”)."))


def key_deleted(key: APIKey) -> None:
    _key_change(key, gettext_lazy("The API key %(masked)s (“%(description)s”) was deleted. It "
                                  "no longer works."))


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


def key_disabled(key: APIKey) -> None:
    _key_change(key, gettext_lazy("The API key %(masked)s (“%(description)s”) was disabled: "
                                  "requests with it are refused until it is enabled again."))


def key_enabled(key: APIKey) -> None:
    _key_change(key, gettext_lazy("The API key %(masked)s (“%(description)s”) was enabled "
                                  "again: it works as before."))


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
