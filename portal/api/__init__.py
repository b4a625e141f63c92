"""The JSON API at /api/v1/, assembled from what the apps contribute; it imports no app.

Each app adds its endpoints from its `AppConfig.ready()` with `register(router)`, and the app
that authenticates requests (apikeys: keys and tokens) names its function with
`set_authenticator`; an endpoint that answers in a format of its own names its refusal with
`answer_refusals`. The URLconf asks for `urls()`, which builds the django-ninja API once,
after every app is ready. The pieces: `main` (the API, its error handling), `door` (the lean
path by which /api/ requests skip the portal's middleware), `errors`, `body`, `responses`,
`schemas`, `security` (authentication as OpenAPI describes it) and `health`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

_routers: list = []
_authenticate: list[Callable] = []
_own_refusals: dict[str, Callable] = {}


def register(router) -> None:
    """Add an app's django-ninja Router (its paths are relative to /api/v1/)."""
    if router not in _routers:
        _routers.append(router)


def set_authenticator(authenticate: Callable) -> None:
    """`authenticate(request, scope) -> principal`, raising `errors.APIError` to refuse."""
    _authenticate[:] = [authenticate]


def answer_refusals(url_name: str, answer: Callable) -> None:
    """The endpoint `url_name` answers in a format of its own (API.md: regenerateAPIKey), also
    when refused before its view runs (plain HTTP): `answer(request, code, message)` makes
    that response."""
    _own_refusals[url_name] = answer


def own_refusal(url_name: str | None) -> Callable | None:
    return _own_refusals.get(url_name) if url_name else None


def authenticate(request, scope: str | None):
    if not _authenticate:
        raise RuntimeError("no app set the API's authenticator (apikeys does, when ready)")
    return _authenticate[0](request, scope)


@cache
def api():
    """The one django-ninja API, built on first use (after the apps registered)."""
    from .main import build_api

    return build_api(list(_routers))


def urls():
    return api().urls
