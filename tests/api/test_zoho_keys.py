"""Zoho CRM keys through the API. Out of the box (no Zoho ranges set) a Zoho CRM key locks to
the first address that uses it, like a Default key, with its own whitelist for more; once the
operator sets Zoho's ranges, only they count. Either way it has only the Zoho scopes."""

from __future__ import annotations

import pytest

from apikeys.models import APIKey, KeyWhitelistEntry

from .conftest import call, error_code

pytestmark = pytest.mark.django_db
FIRST, OTHER, ZOHO = "198.51.100.7", "192.0.2.1", "203.0.113.40"


def read_messages(client, created, ip: str):
    return call(client, "GET", "/api/v1/sms/messages", key=created.full_key, REMOTE_ADDR=ip)


def test_a_zoho_key_made_with_the_defaults_works_from_its_first_address_only(client, make_key,
                                                                             settings):
    assert settings.ZOHO_CRM_ALLOWED_RANGES == []  # the default
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    assert read_messages(client, created, FIRST).status_code == 200
    assert read_messages(client, created, FIRST).status_code == 200
    refused = read_messages(client, created, OTHER)
    assert (refused.status_code, error_code(refused)) == (403, "IP_NOT_ALLOWED")
    assert "add that address to the key's whitelist" in refused.json()["error"]["message"]
    assert APIKey.objects.get(pk=created.key.pk).locked_ip == FIRST


def test_its_whitelist_lets_more_addresses_in_while_no_ranges_are_set(client, make_key):
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    assert read_messages(client, created, FIRST).status_code == 200
    KeyWhitelistEntry.objects.create(key=created.key, value="192.0.2.0/24")
    assert read_messages(client, created, OTHER).status_code == 200


def test_it_keeps_the_zoho_scopes(client, make_key, settings):
    settings.ZOHO_CRM_SCOPES = ["sms:read"]
    created = make_key(type=APIKey.Type.ZOHO_CRM, scopes=["keys:read", "sms:read"])
    assert read_messages(client, created, FIRST).status_code == 200
    response = call(client, "GET", "/api/v1/keys", key=created.full_key, REMOTE_ADDR=FIRST)
    assert (response.status_code, error_code(response)) == (403, "INSUFFICIENT_SCOPE")


def test_once_ranges_are_set_only_they_count(client, make_key, settings):
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    # Locked here while none were set.
    assert read_messages(client, created, FIRST).status_code == 200
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24"]
    assert read_messages(client, created, ZOHO).status_code == 200
    for outside in (FIRST, OTHER):
        refused = read_messages(client, created, outside)
        assert (refused.status_code, error_code(refused)) == (403, "IP_NOT_ALLOWED")
        assert "Zoho CRM integration's addresses" in refused.json()["error"]["message"]


def test_a_zoho_key_made_with_ranges_set_never_locks(client, make_key, settings):
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24", "2001:db8::/32"]
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    assert read_messages(client, created, ZOHO).status_code == 200
    assert read_messages(client, created, "203.0.113.41").status_code == 200
    assert read_messages(client, created, "2001:db8::7").status_code == 200
    assert read_messages(client, created, OTHER).status_code == 403
