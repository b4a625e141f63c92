"""The JSON API at /api/v1/: one django-ninja API, its error handling and its URLs.

Every view under /api/v1/ (ninja's operations, the OpenAPI document, the docs page, and a
catch-all for unknown paths) is wrapped by `api_view`, which makes sure that whatever
happens the client gets the API's JSON error shape: 404 for an unknown path, 405 for a
method the path does not take, 500 INTERNAL_ERROR with no detail for a bug.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from . import own_refusal
from .body import PayloadParser
from .errors import APIError, bug, error_response, not_found, outage
from .health import router as health_router
from .schemas import SERVER_ANSWERS

DESCRIPTION = """The SMS gateway's JSON API. Authenticate with an API key in the `X-API-Key`
header (or the legacy `apiKey` header, or `smsUser` + `smsKey` in the body), with HMAC
signing headers for keys that require it, or with a token from `POST /api/v1/user/auth`
(`Authorization: Bearer`). Every error is
`{"status": false, "error": {"code", "message"[, "fields"]}}`."""


class _NoResponseYet:
    """Stands for the response django-ninja makes ahead of every call (its "temporal
    response", for views that set headers on it or return bare data). Our endpoints answer
    with their own HttpResponse (`responses.ok`, `APIError`), so it is never used, and
    making a real one cost more than a tenth of a key-checked request. A view that returns
    data still gets a real response (`create_response`, or `api_view` for a response model
    of None; tests/api/test_errors.py). So no endpoint may take ninja's `response` argument
    or stream: set headers on the response the view returns."""

    __slots__ = ("status_code",)

    def __init__(self):
        self.status_code = 200


class PortalAPI(NinjaAPI):
    def create_temporal_response(self, request: HttpRequest):
        return _NoResponseYet()

    def create_response(self, request: HttpRequest, data, *, status=None,
                        temporal_response=None) -> HttpResponse:
        if isinstance(temporal_response, _NoResponseYet):
            status, temporal_response = temporal_response.status_code, None
        return super().create_response(request, data, status=status,
                                       temporal_response=temporal_response)

    def get_openapi_schema(self, **kwargs):
        document = super().get_openapi_schema(**kwargs)
        for operations in document["paths"].values():
            for operation in operations.values():
                operation["responses"].update(copy.deepcopy(SERVER_ANSWERS))
        return document

    def _get_urls(self):
        patterns = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern):
                safe_only = pattern.name in {"openapi-json", "openapi-view"}
                pattern = URLPattern(pattern.pattern,
                                     api_view(pattern.callback, safe_only, pattern.name),
                                     pattern.default_args, pattern.name)
            patterns.append(pattern)
        patterns.append(re_path(r"^.*$", api_view(unknown_path), name="unknown"))
        return patterns


def unknown_path(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    raise not_found(_("There is no API endpoint at this address. See /api/v1/docs."))


def _method_not_allowed(allowed: str) -> HttpResponse:
    response = error_response("METHOD_NOT_ALLOWED",
                              _("This endpoint does not take that method. Allowed: %(allowed)s.")
                              % {"allowed": allowed or "-"})
    if allowed:
        response["Allow"] = allowed
    return response


def api_view(view, safe_only: bool = False, name: str | None = None):
    """Wrap one URL's view: CSRF-exempt (no cookies authenticate here), errors in JSON (or in
    the format of its own that the endpoint named `name` answers in)."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            # Refused, never redirected: a client that follows a redirect sends its key in
            # clear text once more (SECURITY.md SEC-27). The portal's pages still redirect.
            message = (_("The API answers only over HTTPS: call https://%(host)s%(path)s.")
                       % {"host": request.get_host(), "path": request.path})
            own = own_refusal(name)
            response = (own(request, "HTTPS_REQUIRED", message) if own is not None
                        else error_response("HTTPS_REQUIRED", message))
            response.setdefault("Cache-Control", "no-store")
            return response
        if safe_only and request.method not in ("GET", "HEAD"):
            return _method_not_allowed("GET")
        try:
            response = view(request, *args, **kwargs)
        except APIError as exc:
            response = exc.response()
        except Http404:
            response = not_found().response()
        except Exception as exc:
            response = _bug_or_outage(request, exc)
        if isinstance(response, _NoResponseYet):  # ninja's answer for a body-less model
            response = HttpResponse(status=response.status_code)
        if isinstance(response, HttpResponseNotAllowed):  # ninja's own, in plain text
            response = _method_not_allowed(response.get("Allow", ""))
        response.setdefault("Cache-Control", "no-store")
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def _bug_or_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
    return (outage(exc) or bug(request, exc)).response()


def _fields_from(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        if loc and loc[0] == "body" and len(loc) > 2:
            loc = loc[2:]  # ("body", "payload", "to") -> "to"
        elif loc and loc[0] in {"query", "path", "body", "header"} and len(loc) > 1:
            loc = loc[1:]
        name = ".".join(loc) or "body"
        fields.setdefault(name, []).append(str(error.get("msg", _("Not valid."))))
    return fields


def build_api(routers: list) -> PortalAPI:
    """The API with health and the apps' `routers` (portal.api.register)."""
    api = PortalAPI(
        title="SMS Gateway API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        parser=PayloadParser(),
        openapi_url="/openapi.json",
        docs_url="/docs",
    )

    @api.exception_handler(APIError)
    def _api_error(request, exc: APIError):
        return exc.response()

    @api.exception_handler(NinjaValidationError)
    def _validation(request, exc: NinjaValidationError):
        return error_response("VALIDATION_ERROR", _("Some fields are not right; see "
                                                    "error.fields."),
                              fields=_fields_from(exc.errors))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return error_response("AUTH_REQUIRED", _("Authenticate with an API key or a token."))

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        if exc.status_code == 400:
            return error_response("VALIDATION_ERROR", _("The request body could not be read."))
        if exc.status_code == 404:
            return not_found().response()
        return bug(request, exc).response()  # an HttpError none of our endpoints raises

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return not_found().response()

    @api.exception_handler(Exception)
    def _bug(request, exc):
        return _bug_or_outage(request, exc)

    for router in [health_router, *routers]:
        api.add_router("", router)
    return api

