"""POST /api/v1/keys: a key never creates a key beyond itself; a token, what its user may
hold (SEC-42, API.md "A key never creates a key beyond itself")."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Permission
from apikeys.models import SCOPES, APIKey, KeyWhitelistEntry
from tests.conftest import PASSWORD

from .conftest import CLIENT_IP, call, error_code
from .test_hmac import signed_headers

pytestmark = pytest.mark.django_db
SEND = {"to": ["+14155551234"], "message": "Hi"}
LATER = "2031-01-01T00:00:00Z"


def create(client, body, **kwargs):
    return call(client, "POST", "/api/v1/keys", {"description": "minted", **body}, **kwargs)


def refused(response) -> str:
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")
    return response.json()["error"]["message"]


def token(client, login: str) -> dict:
    response = call(client, "POST", "/api/v1/user/auth", {"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return {"Authorization": "Bearer " + response.json()["token"]}


def test_a_keys_write_only_key_cannot_mint_sms_send(client, make_key):
    writer = make_key(type=APIKey.Type.DEFAULT, scopes=["keys:read", "keys:write"])
    before = APIKey.objects.count()
    message = refused(create(client, {"type": "default", "scopes": ["sms:send"]},
                             key=writer.full_key))
    assert "lacks: sms:send" in message
    assert APIKey.objects.count() == before


def test_the_reproduction_a_default_key_mints_no_cloud_key_with_every_scope(client, make_key):
    writer = make_key(type=APIKey.Type.DEFAULT, scopes=["keys:read", "keys:write"])
    before = APIKey.objects.count()
    message = refused(create(client, {"type": "cloud"}, key=writer.full_key))
    assert "Default Key" in message
    assert APIKey.objects.count() == before


def test_without_scopes_the_new_key_gets_exactly_the_issuers(client, make_key):
    issuer = make_key(scopes=["sms:read", "keys:write"])
    response = create(client, {"type": "cloud"}, key=issuer.full_key)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["key"]["scopes"] == ["sms:read", "keys:write"]
    assert APIKey.objects.get(lookup_id=data["key"]["id"]).scopes == ["sms:read", "keys:write"]
    sent = call(client, "POST", "/api/v1/sms/send", SEND, key=data["api_key"])
    assert error_code(sent) == "INSUFFICIENT_SCOPE"


def test_a_default_keys_key_is_default_locked_to_its_ip_with_its_whitelist(client, make_key):
    issuer = make_key(type=APIKey.Type.DEFAULT, scopes=["sms:send", "keys:write"])
    assert call(client, "GET", "/api/v1/me", key=issuer.full_key).status_code == 200  # locks
    KeyWhitelistEntry.objects.create(key=issuer.key, value="203.0.113.0/24", label="office")
    response = create(client, {}, key=issuer.full_key)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["key"]["type"] == "default"
    assert data["key"]["locked_ip"] == CLIENT_IP
    assert [(e["value"], e["label"]) for e in data["key"]["whitelist"]] == [
        ("203.0.113.0/24", "office")]
    elsewhere = call(Client(REMOTE_ADDR="198.51.100.9"), "POST", "/api/v1/sms/send", SEND,
                     key=data["api_key"])
    assert (elsewhere.status_code, error_code(elsewhere)) == (403, "IP_NOT_ALLOWED")
    office = call(Client(REMOTE_ADDR="203.0.113.50"), "POST", "/api/v1/sms/send", SEND,
                  key=data["api_key"])
    assert office.status_code == 202


@pytest.mark.parametrize("asked", ["cloud", "zoho_crm"])
def test_a_default_key_cannot_create_another_type(client, make_key, asked):
    issuer = make_key(type=APIKey.Type.DEFAULT)
    before = APIKey.objects.count()
    message = refused(create(client, {"type": asked}, key=issuer.full_key))
    assert "can create only keys of these types: Default Key." in message
    assert APIKey.objects.count() == before


def test_a_zoho_key_is_refused_to_a_key_without_the_zoho_scopes(client, make_key, settings):
    settings.ZOHO_CRM_SCOPES = ["sms:send", "sms:read"]
    issuer = make_key(scopes=["sms:read", "keys:write"])
    message = refused(create(client, {"type": "zoho_crm"}, key=issuer.full_key))
    assert "sms:send" in message
    assert APIKey.objects.count() == 1


def test_a_signing_keys_key_signs(client, make_key):
    issuer = make_key(signing=True)
    body = json.dumps({"description": "minted"}).encode()
    headers = signed_headers(issuer, "POST", "/api/v1/keys", body)
    response = call(client, "POST", "/api/v1/keys", body, headers=headers)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["key"]["signing"] is True and len(data["signing_secret"]) >= 43
    unsigned = call(client, "GET", "/api/v1/me", key=data["api_key"])
    assert error_code(unsigned) == "SIGNATURE_REQUIRED"


def test_a_signing_key_cannot_create_a_key_that_does_not_sign(client, make_key):
    issuer = make_key(signing=True)
    body = json.dumps({"description": "minted", "signing": False}).encode()
    headers = signed_headers(issuer, "POST", "/api/v1/keys", body)
    message = refused(call(client, "POST", "/api/v1/keys", body, headers=headers))
    assert "signing" in message
    assert APIKey.objects.count() == 1


class TestExpiry:
    ISSUER_EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)

    @pytest.fixture
    def issuer(self, make_key):
        return make_key(expires_at=self.ISSUER_EXPIRES)

    def test_not_asking_gives_the_issuers_expiry(self, client, issuer):
        response = create(client, {}, key=issuer.full_key)
        assert response.status_code == 201
        assert response.json()["key"]["expires_at"] == "2030-01-01T00:00:00Z"

    def test_asking_later_is_refused(self, client, issuer):
        message = refused(create(client, {"expires_at": LATER}, key=issuer.full_key))
        assert "2030-01-01T00:00:00Z" in message
        assert APIKey.objects.count() == 1


def test_the_person_may_create_what_its_key_may_not(client, make_key):
    default = make_key(type=APIKey.Type.DEFAULT, scopes=["keys:write"])
    refused(create(client, {"type": "cloud"}, key=default.full_key))
    headers = token(client, "alice")
    response = create(client, {"type": "cloud", "signing": False, "expires_at": LATER},
                      headers=headers)
    assert response.status_code == 201, response.content
    data = response.json()["key"]
    assert (data["type"], data["scopes"], data["signing"], data["expires_at"]) == (
        "cloud", SCOPES, False, LATER)


def test_a_sub_users_token_is_capped_by_its_permissions(client, alice, make_user):
    make_user("keeper", owner=alice, permissions=[Permission.MANAGE_KEYS, Permission.SEND_SMS])
    headers = token(client, "keeper")
    message = refused(create(client, {"type": "cloud", "scopes": ["sms:send", "sms:read"]},
                             headers=headers))
    assert "sms:read" in message and "sms:send" not in message
    assert not APIKey.objects.exists()
    response = create(client, {"type": "cloud"}, headers=headers)
    assert response.status_code == 201
    assert response.json()["key"]["scopes"] == ["sms:send", "keys:read", "keys:write",
                                                "account:read"]


def test_regenerating_hands_out_no_key_beyond_the_issuer(client, make_key):
    writer = make_key(type=APIKey.Type.DEFAULT, scopes=["keys:read", "keys:write"])
    cloud = make_key(type=APIKey.Type.CLOUD)
    before = APIKey.objects.count()
    refused(call(client, "POST", f"/api/v1/keys/{cloud.key.lookup_id}/regenerate", {},
                 key=writer.full_key))
    assert APIKey.objects.count() == before
    assert APIKey.objects.get(pk=cloud.key.pk).state == "active"
    # Within itself it may: itself, or a Default key locked where it is, of its scopes.
    mine = call(client, "POST", f"/api/v1/keys/{writer.key.lookup_id}/regenerate", {},
                key=writer.full_key)
    assert mine.status_code == 200, mine.content
    new = mine.json()
    copy = create(client, {}, key=new["api_key"]).json()
    again = call(client, "POST", f"/api/v1/keys/{copy['key']['id']}/regenerate", {},
                 key=new["api_key"])
    assert again.status_code == 200, again.content
    assert again.json()["key"]["locked_ip"] == CLIENT_IP
