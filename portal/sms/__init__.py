"""Sending SMS, behind a small backend interface like Django's e-mail backends.

`SMS_BACKEND` picks one: `console` (development: prints the message), `locmem` (tests: keeps
an outbox in `portal.sms.outbox`), `twilio` (production: the Twilio SDK), or a dotted path to
a class with the same `send` method. The second factor and the API's /sms/send both send
through `send_sms` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.utils.module_loading import import_string

from portal.metrics import SMS

BACKENDS = {
    "console": "portal.sms.backends.ConsoleBackend",
    "locmem": "portal.sms.backends.LocmemBackend",
    "twilio": "portal.sms.backends.TwilioBackend",
}


class SMSError(Exception):
    """The provider refused or could not be reached; the message is safe to show."""


@dataclass
class SentMessage:
    to: str
    body: str
    sender: str = ""
    provider_id: str = ""
    status: str = "queued"
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


# The locmem backend's outbox, like django.core.mail.outbox. Tests only: per process.
outbox: list[SentMessage] = []


def get_backend(name: str | None = None):
    name = name or settings.SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()


def send_sms(to: str, body: str, sender: str = "", status_callback: str = "") -> SentMessage:
    """Send one SMS to an E.164 number and return what the provider answered."""
    try:
        sent = get_backend().send(to, body, sender=sender, status_callback=status_callback)
    except SMSError:
        SMS.labels("failed").inc()
        raise
    SMS.labels("sent").inc()
    return sent
