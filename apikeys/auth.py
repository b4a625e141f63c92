"""Authenticating an API request: the one place that reads credentials off a request.

A request authenticates in exactly one way (API.md): `X-API-Key`, the legacy `apiKey`
header, `smsUser` + `smsKey` in the body (in a query string only when
API_ALLOW_KEY_IN_QUERY is on), or `Authorization: Bearer <JWT>`. Keys go through the key
check of `apikeys.keycheck` (format, state, HMAC, IP, scope, rate limit, counting); tokens
through `accounts.tokens`. Every refusal is an `APIError` in the API's error shape.
"""

from __future__ import annotations

import time
from functools import partial

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.otp import has_second_factor
from accounts.tokens import user_for
from portal import metrics, ratelimit
from portal.api.body import read_payload
from portal.api.errors import APIError
from portal.clientip import client_ip
from security.events import record
from security.models import EventType
from security.whitelists import ip_allowed

from .keycheck import check_key
from .keylookup import KeyRow
from .models import APIKey
from .signing import SignedRequest

# Query-string parameters that carry a credential. Lower-cased for the comparison.
KEY_PARAMS = {"smsuser", "smskey"}
NEVER_IN_QUERY = {"apikey", "api_key", "x-api-key", "key", "password", "userid", "token",
                  "access_token", "otp"}


class Principal:
    """Who a request acts for: its user, and the key when a key was used.

    A key's request carries the key check's row (`key`) and what it read of the user; the
    user and the key as model instances (`user`, `issuer`) are read only by the endpoints
    that use them, once each.
    """

    def __init__(self, *, user_id: int, username: str, email: str, scopes: tuple[str, ...],
                 key: KeyRow | None = None, user: User | None = None,
                 two_factor: bool | None = None):
        self.user_id, self.username, self.email = user_id, username, email
        self._two_factor = two_factor
        self.scopes = scopes
        self.key = key
        self._user = user
        self._issuer: APIKey | None = None

    @property
    def via_token(self) -> bool:
        return self.key is None

    @property
    def two_factor(self) -> bool:
        """Has the user a second factor on? (A key's lookup read it already.)"""
        if self._two_factor is None:
            self._two_factor = has_second_factor(self.user_id)
        return self._two_factor

    @property
    def user(self) -> User:
        if self._user is None:
            self._user = User.objects.get(pk=self.user_id)
        return self._user

    @property
    def issuer(self) -> APIKey | None:
        """The key that authenticated, as a model instance (None for a token)."""
        if self.key is not None and self._issuer is None:
            self._issuer = self.key.instance()
        return self._issuer


def raw_path(request: HttpRequest) -> str:
    """The path exactly as sent on the request line, still percent-encoded, no query."""
    uri = request.META.get("RAW_URI") or request.META.get("REQUEST_URI") or ""
    if uri:
        if "://" in uri.split("?", 1)[0]:  # an absolute-form request target
            uri = "/" + uri.split("://", 1)[1].partition("/")[2]
        return uri.split("?", 1)[0].split("#", 1)[0]
    return escape_uri_path(request.path)


def signed_request(request: HttpRequest, body: bytes) -> SignedRequest:
    return SignedRequest(
        method=request.method or "GET",
        path=raw_path(request),
        timestamp=request.META.get("HTTP_X_TIMESTAMP"),
        signature=request.META.get("HTTP_X_SIGNATURE"),
        body=body,
    )


def refuse_credentials_in_query(request: HttpRequest, *, allow_key_params: bool) -> None:
    if not request.META.get("QUERY_STRING"):
        return
    names = {name.lower() for name in request.GET}
    allowed = KEY_PARAMS if allow_key_params else set()
    if names & (KEY_PARAMS | NEVER_IN_QUERY) - allowed:
        raise APIError(
            "KEY_IN_URL",
            _("Credentials in the address end up in logs and are refused. Send the key in "
              "the X-API-Key header (or smsUser/smsKey in the request body) and make a new "
              "key: this one may have leaked."),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def authenticate(request: HttpRequest, scope: str | None = None) -> Principal:
    """Authenticate `request` for an endpoint that needs `scope` (None: any)."""
    allow_query = settings.API_ALLOW_KEY_IN_QUERY
    refuse_credentials_in_query(request, allow_key_params=allow_query)
    payload = read_payload(request)
    fields = payload.fields()
    if allow_query and not fields.keys() & {"smsUser", "smsKey"}:
        fields = {k: request.GET.get(k) for k in ("smsUser", "smsKey") if k in request.GET}

    ways = []
    meta = request.META
    if "HTTP_X_API_KEY" in meta:
        ways.append(("key", meta["HTTP_X_API_KEY"], None))
    if "HTTP_APIKEY" in meta:
        ways.append(("key", meta["HTTP_APIKEY"], None))
    if "smsUser" in fields or "smsKey" in fields:
        ways.append(("key", _text(fields.get("smsKey")) or "", _text(fields.get("smsUser"))
                     or ""))
    authorization = meta.get("HTTP_AUTHORIZATION", "")
    if authorization[:7].lower() == "bearer ":
        ways.append(("token", authorization[7:].strip(), None))

    if not ways:
        raise APIError("AUTH_REQUIRED", _("Authenticate with an API key (X-API-Key header) "
                                          "or a token (Authorization: Bearer)."))
    if len(ways) > 1:
        # Ambiguous credentials are refused rather than guessed at (which one would count?).
        raise APIError("AUTH_REQUIRED", _("Authenticate in exactly one way: one key header, "
                                          "smsUser/smsKey, or one token."))
    kind, credential, username = ways[0]
    if kind == "token":
        return _token_principal(request, credential, scope)
    return _key_principal(request, credential, scope, username, payload.raw)


def _key_principal(request: HttpRequest, raw_key: str, scope: str | None,
                   username: str | None, body: bytes) -> Principal:
    timed = metrics.time_this_key_check()
    started = time.perf_counter() if timed else 0.0
    result = check_key(raw_key, ip=client_ip(request), scope=scope,
                       signed=partial(signed_request, request, body), request=request,
                       username=username)
    if timed:
        metrics.KEY_CHECK_SECONDS.observe(time.perf_counter() - started)
    if not result.ok:
        refusal = result.refusal
        raise APIError(refusal.code, str(refusal.message), status=refusal.status,
                       retry_after=refusal.retry_after or None)
    key = result.key
    return Principal(user_id=key.user_id, username=key.username, email=key.email, key=key,
                     scopes=tuple(key.effective_scopes()), two_factor=key.two_factor)


def _token_principal(request: HttpRequest, token: str, scope: str | None) -> Principal:
    """A token acts with everything its user may do: an owner every scope, a sub-user those
    of its permissions (read afresh on every request, so a change applies at once)."""
    user = user_for(token)
    if user is None:
        raise APIError("INVALID_TOKEN", _("The token is not valid or has expired. Sign in "
                                          "again with POST /api/v1/user/auth."))
    refusal = policy.token_refusal(user)
    if refusal is not None:
        raise APIError(refusal.code, refusal.message)
    scopes = tuple(user.allowed_scopes())
    ip = client_ip(request)
    if not ip_allowed(user.account_id, "api", ip):
        # One event per account and address a minute, as for keys: a client retrying in a
        # loop must not flood the security log (the refusal itself happens every time).
        if ratelimit.first_time(f"api:blocked:{user.pk}:{ip}", 60):
            record(request, EventType.REQUEST_BLOCKED, user=user, surface="api", via="token")
        raise APIError("IP_NOT_ALLOWED", _("Your account's API whitelist does not include "
                                           "%(ip)s.") % {"ip": ip})
    if scope is not None and scope not in scopes:
        raise APIError("INSUFFICIENT_SCOPE", _("Your account's permissions do not include "
                                               "“%(scope)s”, which this request needs.")
                       % {"scope": scope})
    limit = ratelimit.hit_leased(f"api-token:{user.pk}", settings.API_TOKEN_RATE_LIMIT_PER_MINUTE,
                                  60)
    if not limit.allowed:
        raise APIError("RATE_LIMITED", _("Too many requests; slow down."),
                       retry_after=limit.retry_after)
    return Principal(user_id=user.pk, username=user.username, email=user.email, user=user,
                     scopes=scopes)
