"""The keys endpoints: list, create, show, revoke, regenerate, whitelist."""

from __future__ import annotations

import pytest
from django.core import mail

from apikeys import flows
from apikeys.models import APIKey, KeyWhitelistEntry
from security.models import EventType, SecurityEvent

from .conftest import call, error_code

pytestmark = pytest.mark.django_db
KEY_FIELDS = {"id", "description", "type", "masked", "scopes", "signing", "state", "mode",
              "created_at", "expires_at", "last_used_at", "times_used", "last_ip", "locked_ip",
              "whitelist"}


def test_the_list_shows_the_accounts_keys_masked_and_paginated(client, key, make_key, mallory):
    for n in range(26):
        make_key(description=f"key {n}")
    make_key(mallory)
    first = call(client, "GET", "/api/v1/keys", key=key.full_key).json()
    assert (first["page"], first["pages"], first["total"]) == (1, 2, 27)
    assert len(first["keys"]) == 25
    assert set(first["keys"][0]) == KEY_FIELDS
    second = call(client, "GET", "/api/v1/keys?page=2", key=key.full_key).json()
    assert len(second["keys"]) == 2
    listed = first["keys"] + second["keys"]
    assert {k["id"] for k in listed} == set(
        APIKey.objects.filter(user=key.key.user).values_list("lookup_id", flat=True))
    text = str(listed)
    assert key.full_key not in text and key.key.secret_hash not in text
    past = call(client, "GET", "/api/v1/keys?page=9", key=key.full_key).json()
    assert past["keys"] == [] and past["total"] == 27


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999"])
def test_a_bad_page_is_a_validation_error(client, key, page):
    response = call(client, "GET", f"/api/v1/keys?page={page}", key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


def test_creating_a_key_shows_it_once(client, key):
    response = call(client, "POST", "/api/v1/keys",
                    {"description": "CRM", "type": "default", "scopes": ["sms:send"]},
                    key=key.full_key)
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"status", "key", "api_key"}
    assert data["key"]["scopes"] == ["sms:send"] and data["key"]["type"] == "default"
    new = APIKey.objects.get(lookup_id=data["key"]["id"])
    assert data["api_key"].startswith("sk_live_") and new.secret_hash not in data["api_key"]
    shown = call(client, "GET", f"/api/v1/keys/{new.lookup_id}", key=key.full_key).json()
    assert data["api_key"] not in str(shown)
    assert SecurityEvent.objects.filter(type=EventType.KEY_CREATED, detail__key_id=new.lookup_id)
    assert data["api_key"] not in " ".join(m.body for m in mail.outbox)


def test_creating_a_signing_key_adds_the_signing_secret(client, key):
    data = call(client, "POST", "/api/v1/keys", {"description": "signed", "signing": True},
                key=key.full_key).json()
    assert data["key"]["signing"] is True and len(data["signing_secret"]) >= 43
    assert data["key"]["scopes"] == ["sms:send", "sms:read", "keys:read", "keys:write",
                                     "account:read", "verify"]


@pytest.mark.parametrize("body,field", [
    ({"description": ""}, "description"),
    ({"description": "x" * 201}, "description"),
    ({"description": "x", "type": "gold"}, "type"),
    ({"description": "x", "scopes": ["sms:everything"]}, "scopes"),
    ({"description": "x", "scopes": []}, "scopes"),
    ({"description": "x", "expires_at": "2001-01-01"}, "expires_at"),
    ({"description": "x", "expires_at": "tomorrow"}, "expires_at"),
])
def test_a_bad_key_is_refused_with_its_field_named(client, key, body, field):
    response = call(client, "POST", "/api/v1/keys", body, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert field in response.json()["error"]["fields"]
    assert APIKey.objects.count() == 1


def test_one_key_by_id_and_a_strangers_key_is_404(client, key, make_key, mallory):
    response = call(client, "GET", f"/api/v1/keys/{key.key.lookup_id}", key=key.full_key)
    assert response.json()["key"]["id"] == key.key.lookup_id
    theirs = make_key(mallory)
    for method in ("GET", "DELETE"):
        response = call(client, method, f"/api/v1/keys/{theirs.key.lookup_id}", key=key.full_key)
        assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")
    assert APIKey.objects.get(pk=theirs.key.pk).state == "active"


def test_deleting_revokes_at_once(client, key, make_key):
    other = make_key()
    response = call(client, "DELETE", f"/api/v1/keys/{other.key.lookup_id}", key=key.full_key)
    assert response.status_code == 204 and response.content == b""
    assert error_code(call(client, "GET", "/api/v1/me", key=other.full_key)) == "KEY_REVOKED"


def test_regenerating_replaces_the_secret_and_kills_the_old_key(client, key, make_key):
    old = make_key(description="rotate me", scopes=["sms:send", "keys:read"])
    response = call(client, "POST", f"/api/v1/keys/{old.key.lookup_id}/regenerate", {},
                    key=key.full_key)
    assert response.status_code == 200
    data = response.json()
    assert data["key"]["description"] == "rotate me"
    assert data["key"]["scopes"] == ["sms:send", "keys:read"]
    assert error_code(call(client, "GET", "/api/v1/me", key=old.full_key)) == "KEY_REVOKED"
    assert call(client, "GET", "/api/v1/me", key=data["api_key"]).status_code == 200


def test_regenerating_with_a_grace_period_keeps_the_old_key_for_a_while(client, key, make_key):
    old = make_key()
    response = call(client, "POST", f"/api/v1/keys/{old.key.lookup_id}/regenerate",
                    {"grace_seconds": 3600}, key=key.full_key)
    assert response.status_code == 200
    assert call(client, "GET", "/api/v1/me", key=old.full_key).status_code == 200


@pytest.mark.parametrize("grace", [-1, 604801, "soon"])
def test_a_grace_period_out_of_range_is_refused(client, key, grace):
    response = call(client, "POST", f"/api/v1/keys/{key.key.lookup_id}/regenerate",
                    {"grace_seconds": grace}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


def test_a_revoked_key_cannot_be_regenerated(client, key, make_key):
    old = make_key()
    flows.revoke_key(None, old.key)
    response = call(client, "POST", f"/api/v1/keys/{old.key.lookup_id}/regenerate", {},
                    key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert "deleted" in response.json()["error"]["message"]
    assert APIKey.objects.count() == 2


def test_whitelist_entries_are_added_and_removed(client, key, make_key):
    target = make_key(type=APIKey.Type.DEFAULT)
    path = f"/api/v1/keys/{target.key.lookup_id}/whitelist"
    response = call(client, "POST", path, {"value": "2001:DB8::/32", "label": "office"},
                    key=key.full_key)
    assert response.status_code == 201
    entry = response.json()["entry"]
    assert entry["value"] == "2001:db8::/32" and entry["label"] == "office"
    shown = call(client, "GET", f"/api/v1/keys/{target.key.lookup_id}", key=key.full_key)
    assert shown.json()["key"]["whitelist"] == [entry]
    removed = call(client, "DELETE", f"{path}/{entry['id']}", key=key.full_key)
    assert removed.status_code == 204
    assert not KeyWhitelistEntry.objects.exists()
    again = call(client, "DELETE", f"{path}/{entry['id']}", key=key.full_key)
    assert (again.status_code, error_code(again)) == (404, "NOT_FOUND")


@pytest.mark.parametrize("value", ["not-an-ip", "203.0.113.7/24", "0.0.0.0/0", ""])
def test_a_bad_whitelist_entry_is_refused_by_the_pages_form(client, key, make_key, value):
    target = make_key(type=APIKey.Type.DEFAULT)
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/whitelist",
                    {"value": value}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert not KeyWhitelistEntry.objects.exists()


def test_a_cloud_key_has_no_whitelist(client, key):
    response = call(client, "POST", f"/api/v1/keys/{key.key.lookup_id}/whitelist",
                    {"value": "203.0.113.7"}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert "Only Default keys" in response.json()["error"]["message"]
    assert not KeyWhitelistEntry.objects.exists()


def test_an_entry_id_out_of_range_is_a_404(client, key, make_key):
    target = make_key(type=APIKey.Type.DEFAULT)
    path = f"/api/v1/keys/{target.key.lookup_id}/whitelist/99999999999999999999999"
    assert call(client, "DELETE", path, key=key.full_key).status_code in (400, 404)


def test_a_key_with_only_read_scopes_cannot_change_keys(client, make_key):
    reader = make_key(scopes=["keys:read"])
    assert call(client, "GET", "/api/v1/keys", key=reader.full_key).status_code == 200
    response = call(client, "DELETE", f"/api/v1/keys/{reader.key.lookup_id}",
                    key=reader.full_key)
    assert error_code(response) == "INSUFFICIENT_SCOPE"
    assert APIKey.objects.get(pk=reader.key.pk).state == "active"
