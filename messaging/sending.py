"""Sending SMS for an account: validate every recipient first, store, hand to the backend.

The API's `POST /api/v1/sms/send` calls `validate`, the sender rule
(`messaging.senders.refusal`) and then `send_messages`. Nothing is stored or sent unless
every recipient is a valid E.164 number. A test key's messages are stored as test messages
and reach no backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from accounts import subusers
from portal.sms import SMSError, send_sms

from .models import Message

# The shape of a number (phonenumbers then says whether it is one). Patterns here are matched
# whole (`fullmatch`: a Python "$" also lets a final newline through, which the OpenAPI
# document's patterns, here SENDER_NAME, do not).
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
# An alphanumeric sender id: 1 to 11 of these characters, one a letter at least, as carriers
# allow (or else an E.164 number). Spelled as "k others, a letter, the rest" for each k,
# without the look-ahead that some of the document's readers' regex dialects lack.
SENDER_NAME = "^(?:" + "|".join(f"[0-9 ._-]{{{k}}}[A-Za-z][A-Za-z0-9 ._-]{{0,{10 - k}}}"
                                for k in range(11)) + ")$"
_SENDER = re.compile(SENDER_NAME)

# What a provider's status means here (Twilio's names; the others answer "queued").
PROVIDER_STATUS = {
    "accepted": Message.Status.QUEUED,
    "scheduled": Message.Status.QUEUED,
    "queued": Message.Status.QUEUED,
    "sending": Message.Status.QUEUED,
    "sent": Message.Status.SENT,
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.DELIVERED,
    "undelivered": Message.Status.UNDELIVERED,
    "failed": Message.Status.FAILED,
    "canceled": Message.Status.FAILED,
}


@dataclass
class Outgoing:
    """A validated request to send: the numbers in E.164, the text, the sender id."""

    to: list[str]
    body: str
    sender_id: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


def is_e164(number: str) -> bool:
    if not isinstance(number, str) or not _E164.fullmatch(number):
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


def is_sender_id(value: str) -> bool:
    """A sender id carriers take: 1-11 letters and digits (one letter at least), or an E.164
    number. Sender names asked for on the portal are held to it too."""
    return bool(_SENDER.fullmatch(value) or is_e164(value))


def validate(to: object, body: object, sender_id: object = "") -> Outgoing:
    """Check a send request; `errors` (by field) is empty when it may be sent."""
    errors: dict[str, list[str]] = {}
    numbers: list[str] = []
    if isinstance(to, str):
        to = [part.strip() for part in to.split(",") if part.strip()]
    if not isinstance(to, list) or not to:
        errors["to"] = [_("Give at least one recipient, as an E.164 number like +14155551234.")]
    elif len(to) > settings.SMS_MAX_RECIPIENTS:
        errors["to"] = [_("At most %(n)d recipients per request.")
                        % {"n": settings.SMS_MAX_RECIPIENTS}]
    else:
        for number in to:
            if not is_e164(number):
                shown = number[:32] if isinstance(number, str) else str(type(number).__name__)
                errors.setdefault("to", []).append(
                    _("“%(number)s” is not a valid phone number in E.164 form "
                      "(+, country code and number, e.g. +14155551234).") % {"number": shown}
                )
            elif number not in numbers:
                numbers.append(number)
    if not isinstance(body, str) or not body.strip():
        errors["message"] = [_("Write the text of the message.")]
    elif len(body) > settings.SMS_MAX_LENGTH:
        errors["message"] = [_("The message is longer than %(n)d characters.")
                             % {"n": settings.SMS_MAX_LENGTH}]
    if sender_id is None:
        sender_id = ""
    if not isinstance(sender_id, str) or (sender_id and not is_sender_id(sender_id)):
        errors["sender_id"] = [_("A sender id is 1-11 letters and digits (with at least one "
                                 "letter) or an E.164 phone number.")]
        sender_id = ""
    return Outgoing(numbers, body if isinstance(body, str) else "", sender_id, errors)


def status_callback_url() -> str:
    return settings.SMS_STATUS_CALLBACK_URL


class SendingRefused(Exception):
    """A sub-user's sending rule refused the whole request; nothing was sent."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code = code
        self.message = message


def send_messages(user, outgoing: Outgoing, key_id: str = "", test: bool = False,
                  sent_body: str | None = None) -> list[Message]:
    """Store one message per recipient and hand each to the SMS backend.

    A sub-user must be inside its sending hours and have room in its monthly limit for every
    recipient (accounts.subusers), or SendingRefused is raised and nothing is sent. A
    provider's refusal marks that message failed (and gives its place in the monthly limit
    back); the others still go. With `test` (a test key's request) the hours still apply,
    but the messages are stored as sent test messages, reach no backend and count against
    no limit. `sent_body`, when given, is the text that goes to the phones while the
    messages store `outgoing.body` (a verification code's SMS is stored with the code
    blanked, so no list of messages shows it).
    """
    if outgoing.errors:
        raise ValueError("refusing to send a request that did not validate")
    if user.is_sub_user:
        if not subusers.within_sending_hours(user):
            raise SendingRefused("OUTSIDE_SENDING_HOURS", subusers.describe_refusal(user))
    if test:
        return [Message.objects.create(user=user, to=number, body=outgoing.body,
                                       sender_id=outgoing.sender_id, key_id=key_id, test=True,
                                       status=Message.Status.SENT)
                for number in outgoing.to]
    if user.is_sub_user:
        reservation = subusers.reserve_messages(user, len(outgoing.to))
        if not reservation.ok:
            raise SendingRefused("LIMIT_REACHED", subusers.describe_refusal(user, reservation))
    callback = status_callback_url()
    sent = []
    for number in outgoing.to:
        message = Message.objects.create(
            user=user, to=number, body=outgoing.body, sender_id=outgoing.sender_id,
            key_id=key_id,
        )
        try:
            result = send_sms(number, outgoing.body if sent_body is None else sent_body,
                              sender=outgoing.sender_id,
                              status_callback=callback)
        except SMSError:
            message.status = Message.Status.FAILED
            message.error_code = "provider_refused"
            message.save(update_fields=["status", "error_code", "updated_at"])
        else:
            message.status = PROVIDER_STATUS.get(result.status, Message.Status.QUEUED)
            message.provider_id = result.provider_id[:64]
            message.save(update_fields=["status", "provider_id", "updated_at"])
        sent.append(message)
    failed = sum(1 for message in sent if message.status == Message.Status.FAILED)
    if failed and user.is_sub_user:
        subusers.release_messages(user, failed)
    return sent
