"""django-ninja authentication for the API's endpoints, and how OpenAPI describes it.

`XAPIKey(scope)` does all the work through the authenticator an app set (apikeys: keys and
tokens, `portal.api.set_authenticator`); the other
classes only name the other ways in the OpenAPI document (ninja lists every class of an
operation's `auth` as an alternative; the first never lets a request fall through).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security.base import AuthBase

from . import authenticate


class XAPIKey(AuthBase):
    """`X-API-Key: <key>`; keys with signing on add `X-Timestamp` and `X-Signature`."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-API-Key"
    openapi_description = (
        "An API key. Keys with signing on also send X-Timestamp (Unix seconds) and "
        "X-Signature: hex HMAC-SHA256 of METHOD|path|timestamp|body. smsUser + smsKey in a "
        "JSON or form body also work."
    )

    def __init__(self, scope: str | None = None):
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest):
        principal = authenticate(request, self.scope)
        request.principal = principal  # type: ignore[attr-defined]
        return principal


class LegacyAPIKey(AuthBase):
    """`apiKey: <key>`, for integrations written for older gateways."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "apiKey"

    def __call__(self, request: HttpRequest) -> None:
        return None  # handled by XAPIKey


class BearerToken(AuthBase):
    """`Authorization: Bearer <JWT>` from POST /api/v1/user/auth."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def __call__(self, request: HttpRequest) -> None:
        return None  # handled by XAPIKey


def auth(scope: str | None = None) -> list:
    """The `auth=` of an endpoint that needs `scope`."""
    return [XAPIKey(scope), LegacyAPIKey(), BearerToken()]
