"""Every failure in the API's JSON error shape, with the right status."""

from __future__ import annotations

import logging

import pytest

from .conftest import call, error_code, times_used

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/", "/api/v1/keys/x/y/z",
                                  "/api/v1/sms", "/api/v1/me/"])
def test_an_unknown_path_is_a_json_404(client, path):
    response = client.get(path)
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("method,path", [("POST", "/api/v1/me"), ("DELETE", "/api/v1/health"),
                                         ("PUT", "/api/v1/keys"), ("PATCH", "/api/v1/sms/send"),
                                         ("POST", "/api/v1/openapi.json"),
                                         ("POST", "/api/v1/docs")])
def test_a_wrong_method_is_a_json_405_with_allow(client, method, path):
    response = getattr(client, method.lower())(path)
    assert (response.status_code, error_code(response)) == (405, "METHOD_NOT_ALLOWED")
    assert response["Allow"]


def test_malformed_json_is_a_validation_error(client, key):
    response = call(client, "POST", "/api/v1/sms/send", b'{"to": [', key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert times_used(key) == 0


@pytest.mark.parametrize("body", [b"NaN", b'{"message": Infinity}', b"\xff\xfe", b"[" * 5000])
def test_odd_json_is_refused_cleanly(client, key, body):
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


def test_a_json_value_that_is_not_an_object_is_a_validation_error(client, key):
    response = call(client, "POST", "/api/v1/sms/send", [1, 2], key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


def test_missing_fields_are_named(client, key):
    response = call(client, "POST", "/api/v1/sms/send", {"to": ["+14155551234"]},
                    key=key.full_key)
    assert error_code(response) == "VALIDATION_ERROR"
    assert "message" in response.json()["error"]["fields"]


def test_a_body_over_the_limit_is_413_before_anything_else(client, key, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = b'{"message": "' + b"x" * 1000 + b'"}'
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (413, "PAYLOAD_TOO_LARGE")
    assert times_used(key) == 0


def test_the_default_limit_is_one_mebibyte(client, key, settings):
    assert settings.API_MAX_BODY_BYTES == 1024 * 1024
    body = b'{"message": "' + b"x" * (1024 * 1024) + b'"}'
    response = call(client, "POST", "/api/v1/sms/send", body, key=key.full_key)
    assert response.status_code == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "multipart/form-data; boundary=x", ""])
def test_another_content_type_is_415(client, key, content_type):
    response = call(client, "POST", "/api/v1/sms/send", b"to=+14155551234", key=key.full_key,
                    content_type=content_type)
    assert (response.status_code, error_code(response)) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_form_body_where_only_json_is_taken_is_415(client, key):
    response = call(client, "POST", "/api/v1/keys", b"description=x", key=key.full_key,
                    content_type="application/x-www-form-urlencoded")
    assert (response.status_code, error_code(response)) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_bug_is_a_500_with_no_details(client, key, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("messaging.stats.by_day", broken)
    with caplog.at_level(logging.ERROR):
        response = call(client, "GET", "/api/v1/sms/stats", key=key.full_key)
    assert (response.status_code, error_code(response)) == (500, "INTERNAL_ERROR")
    assert "secret internals" not in response.content.decode()
    assert "RuntimeError" in caplog.text  # logged for the operators


def test_api_posts_need_no_csrf_token(db, key):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = call(strict, "POST", "/api/v1/sms/send",
                    {"to": ["+14155551234"], "message": "Hi"}, key=key.full_key)
    assert response.status_code == 202


def test_portal_posts_still_need_a_csrf_token(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/login/", {"username": "a", "password": "b"}).status_code == 403


def test_api_answers_are_not_cached(client, key):
    response = call(client, "GET", "/api/v1/me", key=key.full_key)
    assert response["Cache-Control"] == "no-store"


def test_an_invalid_content_length_is_refused(client, key):
    response = call(client, "POST", "/api/v1/sms/send", b"{}", key=key.full_key,
                    CONTENT_LENGTH="abc")
    assert response.status_code == 400


def test_health_answers_while_the_database_and_cache_answer(client, db):
    assert client.get("/api/v1/health").json() == {"status": True}


def test_health_is_503_when_the_cache_does_not_answer(client, db, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr("portal.api.health.cache.get", down)
    response = client.get("/api/v1/health")
    assert (response.status_code, error_code(response)) == (503, "SERVICE_UNAVAILABLE")
    assert "unreachable" not in response.content.decode()


def test_an_endpoint_that_returns_data_still_gets_its_status_and_body():
    # portal.api.main.PortalAPI skips django-ninja's temporal response (every endpoint of
    # ours returns its own HttpResponse); one that returns data must still be answered.
    from ninja import Router, Status
    from ninja.testing import TestClient

    from portal.api.main import PortalAPI

    api = PortalAPI(urls_namespace="returns-data")
    router = Router()

    @router.post("/made", response={201: dict})
    def made(request):
        return Status(201, {"made": True})

    @router.get("/plain", response=dict)
    def plain(request):
        return {"plain": 1}

    @router.delete("/gone", response={204: None})
    def gone(request):
        return Status(204, None)

    api.add_router("", router)
    client = TestClient(api)
    response = client.post("/made")
    assert (response.status_code, response.json()) == (201, {"made": True})
    assert response["Content-Type"].startswith("application/json")
    assert client.get("/plain").json() == {"plain": 1}
    deleted = client.delete("/gone")
    assert (deleted.status_code, deleted.content) == (204, b"")
