"""The API's lean door: /api/ requests skip the portal's middleware, keep what the API needs."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db


def test_an_api_request_gets_no_session_csrf_or_cookie_machinery(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert not response.cookies  # no session, CSRF or device cookie is ever set
    assert "Cookie" not in response.get("Vary", "")  # sessions and CSRF add "Vary: Cookie"
    assert response["Cache-Control"] == "no-store"


def test_a_portal_session_does_not_authenticate_the_api(client, alice):
    signed_in_client(client, alice)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_REQUIRED"


def test_a_post_needs_no_csrf_token(alice):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/v1/user/auth", {"login": "alice", "password": "x"},
                           content_type="application/json")
    assert response.status_code == 401  # refused for the password, not for CSRF


def test_it_answers_in_the_readers_language():
    response = Client().get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="ro")
    assert response.status_code == 404
    assert response["Content-Language"] == "ro"
    english = Client().get("/api/v1/no-such-thing")
    assert english["Content-Language"] == "en"
    assert response.json()["error"]["message"] != english.json()["error"]["message"]


def test_the_portal_pages_keep_their_middleware(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.cookies  # CSRF middleware ran
    assert "Accept-Language" in page["Vary"]  # locale middleware ran
    assert page["Content-Security-Policy"] and page["X-Frame-Options"] == "DENY"


def test_a_path_under_api_but_outside_v1_is_the_portals_404(client):
    response = client.get("/api/v0/health")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_answer_says_its_length_but_a_204(client, alice):
    for response in (client.get("/api/v1/health"), client.get("/api/v1/no-such-thing"),
                     client.post("/api/v1/me")):
        assert response["Content-Length"] == str(len(response.content))
    from apikeys import flows

    key = flows.create_key(None, alice, description="door", type="cloud")
    other = flows.create_key(None, alice, description="gone", type="cloud")
    revoked = client.delete(f"/api/v1/keys/{other.key.lookup_id}", HTTP_X_API_KEY=key.full_key)
    assert revoked.status_code == 204
    assert "Content-Length" not in revoked  # RFC 9110 forbids it on a 204
