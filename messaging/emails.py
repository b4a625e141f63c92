"""One function per e-mail the messaging app sends."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from portal import emails

from .models import SenderName


def sender_decided(sender: SenderName) -> None:
    """An operator approved or refused a sender name the account asked for."""
    account = sender.account
    emails.send("sender-decided", account.email,
                {"user": account, "sender": sender.name, "when": timezone.now(),
                 "approved": sender.status == SenderName.Status.APPROVED,
                 "senders_url": reverse("messaging:senders")},
                language=account.language)
