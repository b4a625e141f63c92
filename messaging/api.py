"""Sending SMS, reading what was sent, the account's sender names, and Twilio's delivery
reports.

A test key's messages are test messages (`Message.test`): a key sees only those of its own
mode; a token sees live ones, and test ones when it asks with `?mode=test`."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router

from portal.api.body import FORM, read_payload
from portal.api.errors import APIError, validation_error
from portal.api.responses import no_content, ok, paginate
from portal.api.schemas import AUTH_ERRORS, OUTAGE, errors
from portal.api.security import auth

from . import callbacks, senders, sending, stats
from .models import Message, SenderName
from .schemas import (
    PERIOD,
    MessageListOut,
    MessagesQuery,
    SendersOut,
    SendIn,
    SendOut,
    StatsOut,
    StatsQuery,
)

router = Router(tags=["sms"])


def _test_mode(request, asked: str | None) -> bool:
    """Whether this request reads test messages: a key's own mode, a token's choice."""
    key = request.auth.key
    if key is None:
        return asked == "test"
    if asked is not None and asked != key.mode:
        raise APIError("FORBIDDEN", _("A test key sees only test messages, and a live key only "
                                      "live ones. Leave mode out, or use a key of that mode."))
    return key.mode == "test"


def _form_too(schema_ref: str) -> dict:
    """OpenAPI: this endpoint also takes the same fields as a form body."""
    return {"requestBody": {"content": {FORM: {"schema": {"$ref": schema_ref}}}}}


@router.post("/sms/send", url_name="sms_send", auth=auth("sms:send"),
             response={202: SendOut, **errors(*AUTH_ERRORS)},
             openapi_extra=_form_too("#/components/schemas/SendIn"),
             summary="Send an SMS to one or more E.164 numbers",
             description="Once the account has an approved sender name, sender_id must be one "
                         "of its approved names (a sub-user's: one its owner gave it), else 403 "
                         "SENDER_NOT_ALLOWED. With a test key nothing reaches a phone: the "
                         "messages are stored as test messages and answer as sent.")
def sms_send(request, payload: SendIn):
    outgoing = sending.validate(payload.to, payload.message, payload.sender_id or "")
    if outgoing.errors:
        raise validation_error(outgoing.errors, _("Nothing was sent: %(fields)s not right.")
                               % {"fields": ", ".join(sorted(outgoing.errors))})
    principal = request.auth
    refused = senders.refusal(principal.user, outgoing.sender_id)
    if refused is not None:
        raise APIError("SENDER_NOT_ALLOWED", refused)
    key = principal.key
    try:
        messages = sending.send_messages(principal.user, outgoing,
                                         key_id=key.lookup_id if key is not None else "",
                                         test=key is not None and key.mode == "test")
    except sending.SendingRefused as refused:
        raise APIError(refused.code, refused.message) from None
    return ok({"messages": [{"id": m.pk, "to": m.to, "status": m.status} for m in messages]},
              status=202)


@router.get("/sms/messages", auth=auth("sms:read"),
            response={200: MessageListOut, **errors(*AUTH_ERRORS)},
            summary="The account's messages, newest first, 25 a page")
def sms_messages(request, query: Query[MessagesQuery]):
    test = _test_mode(request, query.mode)
    items, page = paginate(Message.objects.filter(user=request.auth.user, test=test), query.page)
    return ok({"messages": [m.to_api_dict() for m in items], **page})


@router.get("/sms/stats", auth=auth("sms:read"), response={200: StatsOut, **errors(*AUTH_ERRORS)},
            summary="Sent and failed messages by day")
def sms_stats(request, query: Query[StatsQuery]):
    if not re.fullmatch(PERIOD, query.period):
        raise validation_error({"period": [_("Use 1d to 90d, e.g. 7d.")]})
    days = int(query.period[:-1])
    test = _test_mode(request, query.mode)
    return ok({"period": f"{days}d", **stats.by_day(request.auth.user, days, test=test)})


@router.get("/senders", auth=auth("sms:read"), response={200: SendersOut, **errors(*AUTH_ERRORS)},
            summary="The sender names the account may use",
            description="The account owner's: every name it asked for, with its status. A "
                        "sub-user's: the approved names it may send as.")
def sender_list(request):
    user = request.auth.user
    if user.is_sub_user:
        names = [{"name": name, "status": SenderName.Status.APPROVED}
                 for name in senders.allowed_names(user) or ()]
    else:
        names = [{"name": n.name, "status": n.status}
                 for n in SenderName.objects.filter(account=user)]
    return ok({"senders": names})


@router.post("/sms/status", url_name="sms_status", auth=None,
             response={204: None, **errors(400, 403, 413, 415, OUTAGE)},
             openapi_extra={"requestBody": {"content": {FORM: {"schema": {"type": "object"}}}}},
             summary="Delivery reports from Twilio (X-Twilio-Signature required)")
def sms_status(request):
    """Twilio's status callback. Refused with 403 unless the Twilio SDK's request
    validator accepts its X-Twilio-Signature for this URL and these fields."""
    payload = read_payload(request)
    params = request.POST if payload.kind == "form" else {}
    if payload.kind == "json":
        raise APIError("UNSUPPORTED_MEDIA_TYPE", _("Send the body as %(types)s.")
                       % {"types": FORM})
    url = settings.SMS_STATUS_CALLBACK_URL
    query = request.META.get("QUERY_STRING", "")
    if query and "?" not in url:
        url = f"{url}?{query}"
    signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
    if not callbacks.signature_valid(url, params, signature):
        raise APIError("FORBIDDEN", _("This request is not signed by Twilio."))
    callbacks.apply_status(str(params.get("MessageSid", "")), str(params.get("MessageStatus", "")),
                           str(params.get("ErrorCode", "")))
    return no_content()

