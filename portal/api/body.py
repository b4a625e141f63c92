"""Reading a request body once, within the API's limits: 413, 415 and malformed JSON.

Runs before authentication (which needs the raw bytes for HMAC and may find smsUser/smsKey
in the body). The result is kept on the request as `request.api_payload`; django-ninja reads
its body parameters from there too (`PayloadParser`), so a form body and a JSON body are
validated by the same schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.parser import Parser

from .errors import APIError

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# URL names of the endpoints that also take a form body (API.md says which).
FORM_ENDPOINTS = {"sms_send", "regenerate_api_key", "sms_status"}


@dataclass(frozen=True)
class Payload:
    raw: bytes
    kind: str  # "none", "json" or "form"
    data: Any  # the JSON value, a dict of form fields, or None

    def fields(self) -> dict:
        """The body as a dict of fields ({} when it is empty or not an object)."""
        return self.data if isinstance(self.data, dict) else {}


EMPTY = Payload(b"", "none", None)


def _too_large() -> APIError:
    return APIError(
        "PAYLOAD_TOO_LARGE",
        _("The request body is larger than %(n)d bytes.") % {"n": settings.API_MAX_BODY_BYTES},
    )


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def read_payload(request: HttpRequest) -> Payload:
    """Check the body's size and type and parse it; raise APIError when it is refused."""
    cached = getattr(request, "api_payload", None)
    if cached is not None:
        return cached
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise APIError("VALIDATION_ERROR", _("The Content-Length header is not a number.")
                       ) from None
    if length > settings.API_MAX_BODY_BYTES:
        raise _too_large()
    if length <= 0:
        # Django reads no more than Content-Length (none: nothing), so there is no body.
        request.api_payload = EMPTY  # type: ignore[attr-defined]
        return EMPTY
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _too_large() from None
    if len(raw) > settings.API_MAX_BODY_BYTES:
        raise _too_large()
    payload = _parse(request, raw) if raw else EMPTY
    request.api_payload = payload  # type: ignore[attr-defined]
    return payload


def _parse(request: HttpRequest, raw: bytes) -> Payload:
    content_type = (request.content_type or "").lower()
    if content_type == JSON or (content_type.startswith("application/")
                                and content_type.endswith("+json")):
        try:
            text = raw.decode(request.encoding or "utf-8")
            data = json.loads(text, parse_constant=_reject_constant)
        except (UnicodeDecodeError, LookupError, ValueError, RecursionError):
            raise APIError("VALIDATION_ERROR",
                           _("The request body is not valid JSON.")) from None
        return Payload(raw, "json", data)
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", None)
    if content_type == FORM and url_name in FORM_ENDPOINTS:
        try:
            form = request.POST
        except (SuspiciousOperation, UnicodeDecodeError, LookupError):
            raise APIError("VALIDATION_ERROR", _("The form body could not be read.")) from None
        data = {name: (values[0] if len(values) == 1 else values)
                for name, values in form.lists()}
        return Payload(raw, "form", data)
    accepted = f"{JSON}, {FORM}" if url_name in FORM_ENDPOINTS else JSON
    raise APIError(
        "UNSUPPORTED_MEDIA_TYPE",
        _("Send the body as %(types)s (with a matching Content-Type header).")
        % {"types": accepted},
    )


class PayloadParser(Parser):
    """django-ninja's body parser, fed from the payload read (and checked) above."""

    def parse_body(self, request: HttpRequest) -> Any:
        return read_payload(request).data
