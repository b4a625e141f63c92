"""E-mail the owners of keys that expire within 7 days, within a day, or have expired (each
e-mail once per key: apikeys.reminders). Run this daily."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apikeys.reminders import send_due


class Command(BaseCommand):
    help = "E-mail about API keys that expire in 7 days, in a day, or have expired (once each)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{send_due()} expiry reminder(s) sent")
