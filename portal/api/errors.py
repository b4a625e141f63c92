"""The API's one error shape, and the exception that carries it.

Every failure, on every endpoint but the gateways' one-call regenerate, is answered as
`{"status": false, "error": {"code", "message"[, "fields"]}}` with the matching status.
"""

from __future__ import annotations

import logging
import time

from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.translation import gettext as _

from portal import metrics

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # redis is a production dependency; without it only the database counts
    RedisConnectionError = RedisTimeoutError = OperationalError

log = logging.getLogger("portal.api")

# Each error code of API.md and its HTTP status: the one table (the key check's refusals
# take their status from it too).
STATUS = {
    "AUTH_REQUIRED": 401,
    "INVALID_CREDENTIALS": 401,
    "OTP_REQUIRED": 401,
    "INVALID_TOKEN": 401,
    "INVALID_API_KEY": 401,
    "KEY_REVOKED": 401,
    "KEY_EXPIRED": 401,
    "KEY_DISABLED": 401,
    "SIGNATURE_REQUIRED": 401,
    "INVALID_SIGNATURE": 401,
    "FORBIDDEN": 403,
    "HTTPS_REQUIRED": 403,
    "IP_NOT_ALLOWED": 403,
    "INSUFFICIENT_SCOPE": 403,
    "OUTSIDE_SENDING_HOURS": 403,
    "LIMIT_REACHED": 403,
    "SENDER_NOT_ALLOWED": 403,
    "DESTINATION_NOT_ALLOWED": 403,
    "EMAIL_UNCONFIRMED": 403,
    "PASSWORD_CHANGE_REQUIRED": 403,
    "SECOND_FACTOR_REQUIRED": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "VALIDATION_ERROR": 400,
    "KEY_IN_URL": 400,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}


class APIError(Exception):
    """Raise anywhere under the API to answer with the error shape."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
        extra: dict | None = None,
    ):
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status or STATUS[code]
        self.fields = fields
        self.retry_after = retry_after
        self.extra = extra  # members beside "error" (user/auth's "challenge")

    def response(self) -> HttpResponse:
        return error_response(
            self.code, self.message, status=self.status, fields=self.fields,
            retry_after=self.retry_after, extra=self.extra,
        )


_ENCODER = DjangoJSONEncoder()  # JsonResponse's encoder, made once (it keeps no state)


def json_response(data: dict, status: int = 200) -> HttpResponse:
    """`data` as JSON, as Django's JsonResponse writes it (the same encoder) but in about
    half its time: one encoder for every answer, and bytes, so the response does not look
    for a charset to encode with."""
    return HttpResponse(_ENCODER.encode(data).encode(), status=status,
                        content_type="application/json")


def error_response(
    code: str,
    message: str,
    *,
    status: int | None = None,
    fields: dict[str, list[str]] | None = None,
    retry_after: int | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    metrics.refusal(code).inc()
    error: dict = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = {name: [str(m) for m in msgs] for name, msgs in fields.items()}
    response = json_response({"status": False, "error": error, **(extra or {})},
                             status=status or STATUS[code])
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


def not_found(message: str | None = None) -> APIError:
    return APIError("NOT_FOUND", message or _("There is nothing at this address."))


def validation_error(fields: dict[str, list[str]], message: str | None = None) -> APIError:
    return APIError(
        "VALIDATION_ERROR",
        message or _("Some fields are not right; see error.fields."),
        fields=fields,
    )


def bug(request, exc: BaseException) -> APIError:
    """A bug: logged with its traceback, answered 500 INTERNAL_ERROR with no detail."""
    log.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return APIError("INTERNAL_ERROR", _("Something went wrong on our side. It was logged; "
                                        "please try again later."))


# A service the API needs is away: the database, or Redis when REDIS_URL is set.
_OUTAGES = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
OUTAGE_RETRY_AFTER = 5
_outage_logged = {"at": -60.0}


def outage(exc: BaseException) -> APIError | None:
    """The 503 for `exc` when it says a service is away (None for anything else, a bug).

    Refusing is right (keys, limits and replays cannot be checked without them); it is not a
    bug, so it is logged at most once a minute per process, as a warning, not a traceback.
    """
    if not isinstance(exc, _OUTAGES):
        return None
    now = time.monotonic()
    if now - _outage_logged["at"] >= 60:
        _outage_logged["at"] = now
        log.warning("a service is unavailable (%s: %s); the API answers 503 until it is back",
                    type(exc).__name__, str(exc)[:200])
    return APIError("SERVICE_UNAVAILABLE", _("The service is not available right now; try again "
                                             "in a few seconds."),
                    retry_after=OUTAGE_RETRY_AFTER)
