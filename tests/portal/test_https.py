"""Over plain HTTP the portal's pages redirect to HTTPS and the API refuses (SEC-27)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_pages_redirect_but_the_api_refuses_plain_http(client, settings, alice):
    settings.SECURE_SSL_REDIRECT = True
    page = client.get("/accounts/login/")
    assert page.status_code == 301 and page["Location"].startswith("https://")
    api = client.get("/api/v1/me", HTTP_X_API_KEY="sk_live_anything")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "HTTPS_REQUIRED"
    assert "only over HTTPS" in api.json()["error"]["message"]
    secure = client.get("/api/v1/health", secure=True)
    assert secure.status_code == 200


@pytest.mark.django_db
def test_key_parameters_in_a_query_string_are_refused(client):
    response = client.get("/api/v1/me?smsUser=alice&smsKey=sk_live_x")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "KEY_IN_URL"
