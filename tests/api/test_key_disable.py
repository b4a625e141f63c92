"""POST /api/v1/keys/{id}/disable and /enable: 401 KEY_DISABLED until enabled, the key
itself untouched; 409 CONFLICT for a dead key and for regenerating a disabled one; 903 in
the one-call regenerate."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apikeys import flows
from apikeys.models import APIKey
from tests.conftest import PASSWORD

from .conftest import call, error_code, times_used

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def switch(client, key, target, action: str):
    # No body, as a client that sends nothing does.
    return call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/{action}", b"",
                key=key.full_key)


def test_a_disabled_key_is_401_key_disabled_until_enabled(client, key, make_key):
    target = make_key()
    assert call(client, "GET", "/api/v1/me", key=target.full_key).status_code == 200
    response = switch(client, key, target, "disable")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] is True and data["key"]["state"] == "disabled"
    assert data["key"]["times_used"] == 1 and data["key"]["id"] == target.key.lookup_id
    assert target.full_key not in response.content.decode()

    refused = call(client, "GET", "/api/v1/me", key=target.full_key)
    assert (refused.status_code, error_code(refused)) == (401, "KEY_DISABLED")
    assert times_used(target) == 1

    response = switch(client, key, target, "enable")
    assert (response.status_code, response.json()["key"]["state"]) == (200, "active")
    assert call(client, "GET", "/api/v1/me", key=target.full_key).status_code == 200
    assert times_used(target) == 2


@pytest.mark.parametrize("action, state", [("disable", "disabled"), ("enable", "active")])
def test_asking_for_the_state_it_is_in_is_200_and_changes_nothing(client, key, make_key,
                                                                  action, state):
    target = make_key()
    if state == "disabled":
        flows.disable_key(None, target.key)
    response = switch(client, key, target, action)
    assert (response.status_code, response.json()["key"]["state"]) == (200, state)


@pytest.mark.parametrize("kill, word", [
    (lambda created: flows.revoke_key(None, created.key), "deleted"),
    (lambda created: flows.regenerate_key(None, created.key, grace_seconds=3600), "replaced"),
    (lambda created: APIKey.objects.filter(pk=created.key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)), "expired"),
])
@pytest.mark.parametrize("action", ["disable", "enable"])
def test_a_dead_key_is_409_conflict_and_says_which(client, key, make_key, kill, word, action):
    target = make_key()
    kill(target)
    state = APIKey.objects.get(pk=target.key.pk).state
    response = switch(client, key, target, action)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert word in response.json()["error"]["message"]
    assert APIKey.objects.get(pk=target.key.pk).state == state


def test_an_expired_disabled_key_shows_expired_and_is_refused_as_expired(client, key, make_key):
    target = make_key()
    flows.disable_key(None, target.key)
    APIKey.objects.filter(pk=target.key.pk).update(expires_at=timezone.now() - timedelta(1))
    shown = call(client, "GET", f"/api/v1/keys/{target.key.lookup_id}", key=key.full_key)
    assert shown.json()["key"]["state"] == "expired"
    refused = call(client, "GET", "/api/v1/me", key=target.full_key)
    assert error_code(refused) == "KEY_EXPIRED"


def test_a_strangers_key_is_404_and_a_read_only_key_is_403(client, key, make_key, mallory):
    other = make_key(mallory)
    response = switch(client, key, other, "disable")
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")
    reader = make_key(scopes=["keys:read"])
    response = switch(client, reader, make_key(), "disable")
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")
    assert not APIKey.objects.filter(state="disabled").exists()


def test_regenerating_a_disabled_key_is_409_conflict(client, key, make_key):
    target = make_key()
    flows.disable_key(None, target.key)
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/regenerate", {},
                    key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert "disabled" in response.json()["error"]["message"]
    assert APIKey.objects.count() == 2


def test_the_one_call_regenerate_answers_903_for_a_disabled_key(client, make_key):
    target = make_key()
    flows.disable_key(None, target.key)
    by_key = call(client, "POST", "/api/v1/regenerateAPIKey", urlencode({"format": "json"}),
                  content_type=FORM, headers={"apiKey": target.full_key})
    assert (by_key.status_code, by_key.json()["statusCode"]) == (401, "903")
    by_password = call(client, "POST", "/api/v1/regenerateAPIKey", urlencode({
        "userId": "alice", "password": PASSWORD, "keyId": target.key.lookup_id,
        "format": "json"}), content_type=FORM)
    assert (by_password.status_code, by_password.json()["statusCode"]) == (401, "903")
    assert "disabled" in by_password.json()["reason"]
    assert APIKey.objects.get().state == "disabled"


def test_the_document_lists_both_endpoints_with_their_conflict(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for action in ("disable", "enable"):
        operation = paths[f"/api/v1/keys/{{key_id}}/{action}"]["post"]
        assert {"200", "404", "409"} <= set(operation["responses"])
    key_schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["KeyOut"]
    assert "disabled" in key_schema["properties"]["state"]["enum"]
    assert key_schema["properties"]["mode"]["enum"] == ["live", "test"]
