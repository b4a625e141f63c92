"""`POST /api/v1/regenerateAPIKey`: the gateways' one-call regenerate, in its own format.

Answers `plain` (one line), `json` or `xml` exactly as API.md shows, errors included
(`status=error`, a `statusCode` from STATUS_CODES, a `reason`, a 4xx status). The old key
dies at once. Credentials in a query string and any method but POST are refused.
"""

from __future__ import annotations

from functools import partial
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from accounts import policy
from accounts.api import password_step
from portal.api.body import FORM, read_payload
from portal.api.errors import APIError, bug, outage
from portal.api.schemas import OUTAGE
from portal.clientip import client_ip
from security.events import record
from security.models import EventType

from .. import flows
from ..auth import refuse_credentials_in_query, signed_request
from ..keycheck import check_key
from ..models import APIKey

router = Router(tags=["keys"])

FORMATS = ("plain", "json", "xml")
SUCCESS = "900"
# statusCode of each refusal (the API's error code -> the gateways' numeric code).
STATUS_CODES = {
    "VALIDATION_ERROR": "901",
    "AUTH_REQUIRED": "902",
    "INVALID_CREDENTIALS": "902",
    "INVALID_API_KEY": "902",
    "SIGNATURE_REQUIRED": "902",
    "INVALID_SIGNATURE": "902",
    # A dead key, however it is said elsewhere (the keys endpoints answer 409 CONFLICT).
    "KEY_REVOKED": "903",
    "KEY_EXPIRED": "903",
    "KEY_DISABLED": "903",
    "CONFLICT": "903",
    "FORBIDDEN": "904",
    "EMAIL_UNCONFIRMED": "904",
    "PASSWORD_CHANGE_REQUIRED": "904",
    "SECOND_FACTOR_REQUIRED": "904",
    "IP_NOT_ALLOWED": "904",
    "HTTPS_REQUIRED": "904",  # plain HTTP where the operator requires HTTPS (a 403)
    "INSUFFICIENT_SCOPE": "904",
    "NOT_FOUND": "905",
    "RATE_LIMITED": "906",
    "METHOD_NOT_ALLOWED": "907",
    "KEY_IN_URL": "907",
    "PAYLOAD_TOO_LARGE": "908",
    "UNSUPPORTED_MEDIA_TYPE": "908",
    "INTERNAL_ERROR": "999",
    "SERVICE_UNAVAILABLE": "999",
}
DOC = """Parameters as a form body or JSON: `format` = `plain` (default) | `json` | `xml`,
and either the header `apiKey` (or `X-API-Key`: that key is regenerated, after the usual
key checks; it needs the `keys:write` scope) or `userId` + `password` (+ `keyId` when the
account has more than one active key; refused for accounts with a second factor). The
`userId` + `password` way follows the portal's sign-in rules and the user's permissions.

statusCode: 900 success; 901 missing or invalid parameters (400); 902 wrong credentials
(401); 903 key revoked, replaced, disabled or expired (401); 904 not allowed: IP, scope,
permission, second factor, password change required, unconfirmed e-mail, plain HTTP where
HTTPS is required (403); 905 no such key (404); 906 too many requests (429); 907 wrong method
or credentials in the query string (405/400); 908 body too large or of the wrong type
(413/415); 999 server error (500)."""


def render(fmt: str, fields: dict[str, str], http_status: int = 200) -> HttpResponse:
    """One answer in the chosen format; `fields` in API.md's order."""
    if fmt == "json":
        import json

        return HttpResponse(json.dumps(fields), status=http_status,
                            content_type="application/json")
    if fmt == "xml":
        root = ("generateApiKeySuccessResponse" if fields["status"] == "success"
                else "generateApiKeyErrorResponse")
        inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in sorted(
            fields.items()))
        body = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f"<{root}>{inner}</{root}>")
        return HttpResponse(body, status=http_status, content_type="application/xml")
    line = " | ".join(f"{name}={_plain(value)}" for name, value in fields.items())
    return HttpResponse(line, status=http_status, content_type="text/plain; charset=utf-8")


def _plain(value: str) -> str:
    # One line, and no "|" inside a value, so the answer splits unambiguously.
    return " ".join(value.replace("|", "/").split())


def success(fmt: str, new_key: str) -> HttpResponse:
    return render(fmt, {"status": "success", "apiKey": new_key, "statusCode": SUCCESS,
                        "reason": "success"})


def failure(fmt: str, error: APIError) -> HttpResponse:
    response = render(fmt, {"status": "error", "statusCode": STATUS_CODES.get(error.code, "999"),
                            "reason": error.message}, error.status)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def _requested_format(request) -> str:
    """The answer's format ("" when unknown), even for a request refused for its body."""
    try:
        fields = read_payload(request).fields()
    except APIError:
        fields = {}
    value = fields.get("format", request.GET.get("format", "plain"))
    return value.lower() if isinstance(value, str) and value.lower() in FORMATS else ""


def _text(fields: dict, name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


_FORMATS_DOC = {
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "properties": {
        "status": {"type": "string"}, "apiKey": {"type": "string"},
        "statusCode": {"type": "string"}, "reason": {"type": "string"}}}},
    "application/xml": {"schema": {"type": "string"}},
}
_FIELDS_DOC = {"type": "object", "properties": {
    "format": {"type": "string", "enum": list(FORMATS)},
    **{name: {"type": "string", "pattern": "^[^\\x00]*$"}
       for name in ("userId", "password", "keyId")},
}}
OPENAPI = {
    "requestBody": {"content": {FORM: {"schema": _FIELDS_DOC},
                                "application/json": {"schema": _FIELDS_DOC}}},
    "parameters": [{"name": "apiKey", "in": "header", "required": False,
                    "schema": {"type": "string"}}],
    # int keys, as django-ninja's own: they are merged with its responses.
    "responses": {status: {"description": description, "content": _FORMATS_DOC}
                  for status, description in [
                      (200, "statusCode 900: the new key"), (400, "901, 907"),
                      (401, "902, 903"), (403, "904"), (404, "905"), (405, "907"),
                      (413, "908"), (415, "908"), (429, "906"), (OUTAGE, "999")]},
}


@router.post("/regenerateAPIKey", auth=None, url_name="regenerate_api_key",
             response={200: None}, openapi_extra=OPENAPI, description=DOC,
             summary="Regenerate a key in one call (plain, json or xml answers)")
def regenerate_api_key(request):
    fmt = _requested_format(request)
    try:
        refuse_credentials_in_query(request, allow_key_params=False)
        fields = read_payload(request).fields()
        if not fmt:
            fmt = "plain"
            raise APIError("VALIDATION_ERROR", _("format must be plain, json or xml."))
        header_key = request.META.get("HTTP_APIKEY", request.META.get("HTTP_X_API_KEY"))
        user_id, password = _text(fields, "userId"), _text(fields, "password")
        if any("\x00" in _text(fields, name) for name in ("userId", "password", "keyId")):
            # PostgreSQL refuses NUL in text: it must not reach the sign-in's queries.
            raise APIError("VALIDATION_ERROR", _("userId, password and keyId must not contain "
                                                 "NUL characters."))
        if header_key is not None and (user_id or password):
            raise APIError("AUTH_REQUIRED", _("Send either the apiKey header or userId and "
                                              "password, not both."))
        if header_key is not None:
            key = _by_key(request, header_key)
        elif user_id and password:
            key = _by_password(request, user_id, password, _text(fields, "keyId"))
        else:
            raise APIError("AUTH_REQUIRED", _("Send the key in the apiKey header, or userId "
                                              "and password in the body."))
        try:
            created = flows.regenerate_key(request, key, 0)
        except flows.KeyNotActive as exc:  # 903, a 401 as API.md says (not 409)
            raise APIError("KEY_REVOKED", exc.message) from None
        return success(fmt, created.full_key)
    except APIError as error:
        return failure(fmt, error)
    except Exception as exc:  # a service away (999, 503) or a bug (999, 500, logged)
        return failure(fmt, outage(exc) or bug(request, exc))


def refusal(request, code: str, message: str) -> HttpResponse:
    """A refusal made before the view runs (plain HTTP), in the format the request asked for."""
    return failure(_requested_format(request) or "plain", APIError(code, message))


@router.api_operation(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"],
                      "/regenerateAPIKey", auth=None, include_in_schema=False)
def regenerate_api_key_refused(request):
    fmt = request.GET.get("format", "plain").lower()
    response = failure(fmt if fmt in FORMATS else "plain", APIError(
        "METHOD_NOT_ALLOWED", _("Use POST, with the parameters in the body."), status=405))
    response["Allow"] = "POST"
    return response


def _by_key(request, raw_key: str) -> APIKey:
    body = read_payload(request).raw
    result = check_key(raw_key, ip=client_ip(request), scope="keys:write",
                       signed=partial(signed_request, request, body), request=request)
    if not result.ok:
        refusal = result.refusal
        raise APIError(refusal.code, str(refusal.message), status=refusal.status,
                       retry_after=refusal.retry_after or None)
    return result.key.instance()


def _by_password(request, username: str, password: str, key_id: str) -> APIKey:
    user = password_step(request, policy.Door.REGENERATE, username, password).user
    record(request, EventType.SIGNIN_SUCCESS, user=user, method="api-regenerate")
    keys = APIKey.objects.select_related("user").filter(user=user)
    if key_id:
        key = keys.filter(lookup_id=key_id[:32]).first()
        if key is None:
            raise APIError("NOT_FOUND", _("keyId names none of your keys."))
        return key
    active = list(keys.active()[:2])
    if not active:
        # A disabled or expired key is still the account's key: 903, as API.md says of a dead
        # key, not 905 "no such key" (which would send its owner looking for a typo).
        if keys.filter(state=APIKey.State.DISABLED).exists():
            raise APIError("KEY_DISABLED", _("This account's key is disabled: enable it on the "
                                             "portal first."))
        if keys.filter(state=APIKey.State.ACTIVE).exists():  # active, but past its expiry
            raise APIError("KEY_EXPIRED", _("This account's key has expired: create a new one "
                                            "on the portal."))
        raise APIError("NOT_FOUND", _("This account has no active key to regenerate."))
    if len(active) > 1:
        raise APIError("VALIDATION_ERROR", _("This account has more than one key: give keyId "
                                             "(the key's id, as the portal shows it)."))
    return active[0]
