"""The issuance rule at the flow, the one door every other door goes through (SEC-42)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Permission
from apikeys import flows
from apikeys.issuance import BeyondIssuer
from apikeys.models import APIKey, KeyWhitelistEntry
from tests.conftest import signed_in_client

from .conftest import OFFICE, check

pytestmark = pytest.mark.django_db


def test_the_flow_refuses_what_the_issuing_key_lacks(alice, make_key):
    issuer = make_key(type=APIKey.Type.CLOUD, scopes=["keys:write"])
    with pytest.raises(BeyondIssuer) as refused:
        flows.create_key(None, alice, issuer=issuer.key, description="x",
                         type=APIKey.Type.CLOUD, scopes=["sms:send"])
    assert refused.value.field == "scopes"
    assert APIKey.objects.count() == 1


def test_a_default_issuer_not_yet_locked_creates_nothing(alice, make_key):
    issuer = make_key(type=APIKey.Type.DEFAULT)
    with pytest.raises(BeyondIssuer, match="not locked to an IP"):
        flows.create_key(None, alice, issuer=issuer.key, description="x")
    assert APIKey.objects.count() == 1


def test_a_dead_issuer_creates_nothing(alice, make_key):
    issuer = make_key(type=APIKey.Type.CLOUD)
    flows.revoke_key(None, issuer.key)
    with pytest.raises(BeyondIssuer, match="no longer works"):
        flows.create_key(None, alice, issuer=issuer.key, description="x")
    assert APIKey.objects.count() == 1


def test_the_copy_is_locked_where_the_issuer_is(alice, make_key):
    issuer = make_key(type=APIKey.Type.DEFAULT)
    assert check(issuer, ip=OFFICE).ok  # the first use locks the issuer to OFFICE
    issuer.key.refresh_from_db()
    made = flows.create_key(None, alice, issuer=issuer.key, description="copy")
    assert made.key.locked_ip == OFFICE
    assert check(made, ip="198.51.100.9").refusal.code == "IP_NOT_ALLOWED"
    assert check(made, ip=OFFICE).ok


def test_a_person_gets_all_its_permissions_allow_by_default(make_user, alice):
    sub = make_user("keeper", owner=alice, permissions=[Permission.MANAGE_KEYS])
    made = flows.create_key(None, sub, description="x", type=APIKey.Type.CLOUD)
    assert made.key.scopes == ["keys:read", "keys:write", "account:read"]
    assert flows.create_key(None, alice, description="y").key.scopes == [
        "sms:send", "sms:read", "keys:read", "keys:write", "account:read", "verify"]


def test_the_page_shows_a_scope_beyond_the_sub_user_on_its_field(client, make_user, alice):
    sub = make_user("keeper", owner=alice, permissions=[Permission.MANAGE_KEYS])
    signed_in_client(client, sub)
    response = client.post("/account/api-keys/new/", {
        "description": "till", "type": "cloud", "scopes": ["keys:read", "sms:send"]})
    assert response.status_code == 400
    form = response.context["form"]
    assert "beyond the permissions of the key's owner: sms:send" in " ".join(
        form.errors["scopes"])
    assert not APIKey.objects.exists()


def test_a_key_regenerates_only_keys_within_it(alice, make_key):
    issuer = make_key(type=APIKey.Type.DEFAULT)
    assert check(issuer, ip=OFFICE).ok
    issuer.key.refresh_from_db()
    elsewhere = make_key(type=APIKey.Type.DEFAULT)
    assert check(elsewhere, ip="198.51.100.9").ok  # locked to another address
    alike = flows.create_key(None, alice, issuer=issuer.key, description="alike")
    KeyWhitelistEntry.objects.create(key=alike.key, value="192.0.2.0/24")  # wider now
    forever = make_key(type=APIKey.Type.CLOUD)
    expiring = make_key(type=APIKey.Type.CLOUD, expires_at=timezone.now() + timedelta(days=9))
    for target, by in [(elsewhere, issuer), (alike, issuer), (forever, expiring)]:
        with pytest.raises(BeyondIssuer):
            flows.regenerate_key(None, target.key, issuer=by.key)
        assert APIKey.objects.get(pk=target.key.pk).state == "active"
    KeyWhitelistEntry.objects.filter(key=alike.key).delete()
    assert flows.regenerate_key(None, alike.key, issuer=issuer.key).key.locked_ip == OFFICE
