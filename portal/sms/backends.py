from __future__ import annotations

import logging
import sys

from django.conf import settings

from . import SentMessage, SMSError, outbox

log = logging.getLogger(__name__)


class ConsoleBackend:
    """Development: the message goes to standard output, where the developer reads it."""

    def send(self, to: str, body: str, sender: str = "", status_callback: str = "") -> SentMessage:
        message = SentMessage(to=to, body=body, sender=sender)
        sys.stdout.write(f"--- SMS to {to} from {sender or '-'} ---\n{body}\n---\n")
        sys.stdout.flush()
        return message


class LocmemBackend:
    """Tests: messages are kept in `portal.sms.outbox`."""

    def send(self, to: str, body: str, sender: str = "", status_callback: str = "") -> SentMessage:
        message = SentMessage(to=to, body=body, sender=sender, provider_id=f"LM{len(outbox) + 1}")
        outbox.append(message)
        return message


class TwilioBackend:
    """Production: the Twilio SDK's Messages API.

    `http_client` lets tests drive the real SDK through a recording client, with no network.
    """

    def __init__(self, http_client=None):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise SMSError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN).")
        if http_client is None:
            http_client = TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT)
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    def send(self, to: str, body: str, sender: str = "", status_callback: str = "") -> SentMessage:
        from twilio.base.exceptions import TwilioException

        params: dict[str, str] = {"to": to, "body": body}
        if settings.TWILIO_MESSAGING_SERVICE_SID and not sender:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = sender or settings.TWILIO_FROM
        if status_callback:
            params["status_callback"] = status_callback
        try:
            result = self.client.messages.create(**params)
        except (TwilioException, OSError) as exc:  # OSError covers requests' network errors
            # The SDK's message names the request, never our credentials; keep it short.
            log.warning("twilio refused a message: %s", type(exc).__name__)
            raise SMSError("The SMS provider refused the message.") from exc
        return SentMessage(
            to=to,
            body=body,
            sender=params.get("from_", ""),
            provider_id=str(result.sid or ""),
            status=str(result.status or "queued"),
        )
