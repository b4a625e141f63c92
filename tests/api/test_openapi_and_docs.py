"""The OpenAPI document matches the routes, and the docs page works without the internet."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Paths served under /api/v1/ that are not API operations.
NOT_OPERATIONS = {"openapi.json", "docs", ""}


def _api_routes() -> set[str]:
    """Every route of the API's URLconf, as OpenAPI writes paths."""
    routes = set()
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and str(top.pattern) == "api/v1/":
            for inner in top.url_patterns:
                for pattern in (inner.url_patterns if isinstance(inner, URLResolver)
                                else [inner]):
                    if isinstance(pattern, URLPattern) and pattern.name != "unknown":
                        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
                        if route not in NOT_OPERATIONS:
                            routes.add("/api/v1/" + route)
    return routes


def test_every_route_is_in_the_document_and_nothing_else(client):
    document = client.get("/api/v1/openapi.json").json()
    assert set(document["paths"]) == _api_routes()
    assert {"/api/v1/user/auth", "/api/v1/me", "/api/v1/keys", "/api/v1/keys/{key_id}",
            "/api/v1/keys/{key_id}/regenerate", "/api/v1/keys/{key_id}/whitelist",
            "/api/v1/keys/{key_id}/whitelist/{entry_id}", "/api/v1/regenerateAPIKey",
            "/api/v1/sms/send", "/api/v1/sms/messages", "/api/v1/sms/stats",
            "/api/v1/health", "/api/v1/sms/status", "/api/v1/keys/{key_id}/disable",
            "/api/v1/keys/{key_id}/enable", "/api/v1/senders", "/api/v1/verify",
            "/api/v1/verify/{verification_id}", "/api/v1/verify/{verification_id}/check",
            "/api/v1/verify/{verification_id}/cancel"} == set(document["paths"])


def test_the_served_document_has_no_repeated_keys(client):
    def no_repeats(pairs):
        names = [name for name, _ in pairs]
        assert len(names) == len(set(names)), names
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_repeats)


def test_the_document_names_the_security_schemes_and_the_errors(client):
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["XAPIKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                  "description": schemes["XAPIKey"]["description"]}
    assert schemes["LegacyAPIKey"]["name"] == "apiKey"
    assert schemes["BearerToken"]["scheme"] == "bearer"
    assert "X-Signature" in schemes["XAPIKey"]["description"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            if operation.get("security"):
                assert {"400", "401", "403", "413", "415", "429"} <= set(responses), (
                    method, path)
                error = responses["401"]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorOut"}
    send = document["paths"]["/api/v1/sms/send"]["post"]["requestBody"]["content"]
    assert set(send) == {"application/json", "application/x-www-form-urlencoded"}


def test_the_docs_page_uses_only_files_served_here(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "//" not in re.sub(r"<!DOCTYPE[^>]*>", "", html)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
    assert "<script>" not in html  # no inline script: the CSP forbids it


def test_the_help_page_links_the_docs(client, alice):
    from tests.conftest import signed_in_client

    signed_in_client(client, alice)
    assert 'href="/api/v1/docs"' in client.get("/help/").content.decode()
