"""E-mails about keys that expire: 7 days before, 1 day before, and once expired, each once
per key. `send_due` is what `manage.py send_key_reminders` runs, daily.

A run that finds a key at a stage not yet sent claims the stage with one conditional write
(apikeys.models.ExpiryReminder) before it sends, so a run repeated, or two runs at once,
send each e-mail once. A run that misses a day catches up with the latest stage only: a key
found one day before its expiry gets the one-day e-mail, not the 7-day one as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import emails
from .models import APIKey, ExpiryReminder

Stage = ExpiryReminder.Stage
WEEK = timedelta(days=7)
DAY = timedelta(days=1)
# Keys that expired longer ago than this get no e-mail: not news when reminders began.
LATE = timedelta(days=7)


def stage_for(expires_at: datetime, now: datetime) -> int | None:
    if expires_at <= now:
        return Stage.EXPIRED
    if expires_at <= now + DAY:
        return Stage.DAY
    if expires_at <= now + WEEK:
        return Stage.WEEK
    return None


def due(now: datetime) -> Iterator[tuple[APIKey, int]]:
    """Keys with an e-mail to send now, and which. Only keys that work until they expire
    (not revoked or replaced) of users still active."""
    sent = ExpiryReminder.objects.filter(key=OuterRef("pk")).values("stage")
    keys = (APIKey.objects.filter(state=APIKey.State.ACTIVE, user__is_active=True,
                                  expires_at__gt=now - LATE, expires_at__lte=now + WEEK)
            .annotate(reminded=Subquery(sent)).select_related("user").order_by("pk"))
    for key in keys.iterator(chunk_size=500):
        stage = stage_for(key.expires_at, now)
        if stage is not None and (key.reminded is None or key.reminded < stage):
            yield key, stage


def claim(key: APIKey, stage: int, now: datetime) -> bool:
    """Record `stage` as sent for `key`: True for the one caller that moved it there."""
    if ExpiryReminder.objects.filter(key=key, stage__lt=stage).update(stage=stage, sent_at=now):
        return True
    try:
        with transaction.atomic():
            ExpiryReminder.objects.create(key=key, stage=stage, sent_at=now)
    except IntegrityError:  # another run holds this key at this stage or a later one
        return False
    return True


def send_due(now: datetime | None = None) -> int:
    """Send the e-mails due now; how many went."""
    now = now or timezone.now()
    sent = 0
    for key, stage in due(now):
        if claim(key, stage, now):
            emails.key_expiry(key, stage, now)
            sent += 1
    return sent
