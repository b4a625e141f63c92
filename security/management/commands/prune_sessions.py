"""Delete the rows of sessions that ran out, and remembered browsers past their date.

Sessions that end by signing out, by the Devices page or by a password change lose their
row at once; a browser that is simply closed leaves one behind, hidden from the Devices
page once its time is up. Run this daily (after Django's own `clearsessions`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from security.lifetimes import SESSION_IDLE_CHOICES
from security.models import RememberedBrowser, UserSession
from security.sessions import end_rows


class Command(BaseCommand):
    help = "Delete run-out session rows (and stored sessions) and expired remembered browsers."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        longest_idle = min(max(s for s, _ in SESSION_IDLE_CHOICES),
                           settings.SESSION_ABSOLUTE_SECONDS)
        dead = UserSession.objects.filter(
            Q(signed_in_at__lte=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS))
            | Q(last_activity__lte=now - timedelta(
                seconds=longest_idle + settings.SESSION_TOUCH_SECONDS))
        )
        sessions = end_rows(list(dead))
        browsers, _ = RememberedBrowser.objects.filter(expires_at__lte=now).delete()
        self.stdout.write(f"{sessions} session row(s), {browsers} remembered browser(s) deleted")
