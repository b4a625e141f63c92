"""Twilio's delivery reports (status callbacks): check the signature, update the message."""

from __future__ import annotations

from django.conf import settings
from twilio.request_validator import RequestValidator

from .models import Message
from .sending import PROVIDER_STATUS

# A report never moves a message back: Twilio may deliver "sent" after "delivered".
_RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.UNDELIVERED: 2,
    Message.Status.FAILED: 2,
}


def signature_valid(url: str, params, signature: str) -> bool:
    """Is `signature` (X-Twilio-Signature) Twilio's for this URL and these form fields?"""
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


def apply_status(provider_id: str, provider_status: str, error_code: str = "") -> bool:
    """Record a delivery report; False when no message has that provider id."""
    if not provider_id:
        return False
    message = Message.objects.filter(provider_id=provider_id[:64]).first()
    if message is None:
        return False
    status = PROVIDER_STATUS.get((provider_status or "").lower())
    if status is None or _RANK[status] < _RANK[Message.Status(message.status)]:
        return True
    message.status = status
    message.error_code = (error_code or "")[:32]
    message.save(update_fields=["status", "error_code", "updated_at"])
    return True
