"""The API's lean door: `/api/` requests skip the portal's middleware.

The portal's pages need sessions, CSRF, messages, the second factor, CSP, the security
centre and the lock-out middleware; the API authenticates every request itself (keys and
tokens, never cookies) and answers in its own JSON shape, so it needs none of them. This
middleware stands right after Django's SecurityMiddleware (HSTS, nosniff, the referrer and
opener policies, the HTTPS redirect the API is exempt from) and sends an `/api/` request
straight to its view, with the few things the API does need: the reader's language for its
messages, and the CSP and frame headers. A JSON answer loads nothing and is never framed, so
its policy allows nothing (`default-src 'none'`, as OWASP advises for APIs); the docs page is
HTML and gets the portal's policy.

What the API's views themselves guarantee (portal.api.main.api_view): CSRF off, errors in
the JSON shape, plain HTTP refused, `Cache-Control: no-store`.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import translation

from portal import metrics

PREFIX = "/api/"
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_NO_BODY = {204, 304}  # RFC 9110: no Content-Length on a 204 (nor a body on either)
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _csp_header() -> str:
    # The portal's policy (django-csp's setting), written once, for the docs page: it loads
    # its files from this site only.
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


@lru_cache(maxsize=2048)
def _resolve(path: str) -> ResolverMatch:
    # The URLconf does not change while the process runs, so a path always resolves the same
    # way; clients call the same few paths, and Django walks every pattern on each resolve.
    return resolve(path)


class APIDoorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.page_policy = _csp_header()
        self.frame_options = settings.X_FRAME_OPTIONS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        # As LocaleMiddleware does for the pages: the language stays active until the next
        # request of this thread sets its own (switching it back cost more than setting it).
        translation.activate(language)
        response = self._view(request)
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            json = headers.get("Content-Type", "").startswith("application/json")
            headers["Content-Security-Policy"] = JSON_POLICY if json else self.page_policy
        if "X-Frame-Options" not in headers:
            headers["X-Frame-Options"] = self.frame_options
        if "Content-Language" not in headers:
            headers["Content-Language"] = language
        if (not response.streaming and response.status_code not in _NO_BODY
                and "Content-Length" not in headers):
            # As CommonMiddleware does for the pages: without it the server sends the answer
            # in chunks (one more write, and more for the client to read).
            headers["Content-Length"] = str(len(response.content))
        match = getattr(request, "resolver_match", None)
        # The URL pattern, never the path a client sent: a bounded set of label values.
        endpoint = match.route if match is not None and match.url_name != "unknown" else "-"
        method = request.method if request.method in _METHODS else "OTHER"
        metrics.api_request(endpoint, method, response.status_code).inc()
        return response

    def _view(self, request: HttpRequest) -> HttpResponse:
        try:
            match = _resolve(request.path_info)
        except Resolver404:
            # Outside /api/v1/ (whose own catch-all answers in JSON): the portal's 404.
            return self.get_response(request)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
