"""409 CONFLICT: a key whose state or type does not allow the change (API.md), and the one
table of error codes and statuses."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apikeys import flows
from apikeys.models import APIKey, KeyWhitelistEntry
from portal.api.errors import APIError
from tests.conftest import PASSWORD

from .conftest import call, error_code

pytestmark = pytest.mark.django_db


def regenerate(client, key, target):
    return call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/regenerate", {},
                key=key.full_key)


@pytest.mark.parametrize("kill, word", [
    (lambda created: flows.revoke_key(None, created.key), "deleted"),
    (lambda created: flows.regenerate_key(None, created.key), "already replaced"),
    (lambda created: APIKey.objects.filter(pk=created.key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)), "expired"),
])
def test_regenerating_a_dead_key_is_a_conflict_that_says_which(client, key, make_key, kill,
                                                               word):
    target = make_key()
    kill(target)
    before = APIKey.objects.count()
    response = regenerate(client, key, target)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert word in response.json()["error"]["message"]
    assert APIKey.objects.count() == before


@pytest.mark.parametrize("kind", [APIKey.Type.CLOUD, APIKey.Type.ZOHO_CRM])
def test_whitelisting_a_cloud_or_zoho_key_is_a_conflict(client, key, make_key, kind, settings):
    # A Zoho CRM key has its own whitelist only while no Zoho ranges are set (apikeys.addresses).
    settings.ZOHO_CRM_ALLOWED_RANGES = ["198.51.100.0/24"]
    target = make_key(type=kind)
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/whitelist",
                    {"value": "203.0.113.7"}, key=key.full_key)
    assert (response.status_code, error_code(response)) == (409, "CONFLICT")
    assert not KeyWhitelistEntry.objects.exists()


def test_a_zoho_key_without_zoho_ranges_takes_whitelist_entries(client, key, make_key):
    target = make_key(type=APIKey.Type.ZOHO_CRM)
    response = call(client, "POST", f"/api/v1/keys/{target.key.lookup_id}/whitelist",
                    {"value": "203.0.113.7"}, key=key.full_key)
    assert response.status_code == 201
    assert KeyWhitelistEntry.objects.get().value == "203.0.113.7"


def test_the_document_lists_the_conflicts(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "409" in paths["/api/v1/keys/{key_id}/regenerate"]["post"]["responses"]
    assert "409" in paths["/api/v1/keys/{key_id}/whitelist"]["post"]["responses"]


def test_the_one_call_regenerate_keeps_903_for_a_dead_key(client, key, make_key):
    target = make_key()
    flows.revoke_key(None, target.key)
    response = call(client, "POST", "/api/v1/regenerateAPIKey", urlencode({
        "userId": "alice", "password": PASSWORD, "keyId": target.key.lookup_id,
        "format": "json"}), content_type="application/x-www-form-urlencoded")
    data = response.json()
    assert (response.status_code, data["statusCode"]) == (401, "903")
    assert "deleted" in data["reason"]


@pytest.mark.parametrize("code, status", [("CONFLICT", 409), ("KEY_DISABLED", 401)])
def test_the_codes_other_parts_raise_have_their_status(code, status):
    assert APIError(code, "why").response().status_code == status

