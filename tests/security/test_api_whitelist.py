"""The account's API whitelist, end to end through the JSON API (the key check calls
security.whitelists.ip_allowed), including a forged X-Forwarded-For."""

from __future__ import annotations

import pytest
from django.test import Client

from apikeys import flows as key_flows
from security.models import IPWhitelistEntry

from .conftest import browser, sign_in


@pytest.fixture
def cloud_key(alice) -> str:
    # A Cloud key works from any address, so only the account's list decides.
    return key_flows.create_key(None, alice, description="crm", type="cloud").full_key


def _me(key: str, ip: str, **headers):
    return Client(REMOTE_ADDR=ip).get("/api/v1/me", HTTP_X_API_KEY=key, **headers)


@pytest.mark.django_db
class TestAPIWhitelist:
    def test_an_empty_list_lets_any_address_use_the_key(self, cloud_key):
        assert _me(cloud_key, "127.0.0.2").status_code == 200

    def test_a_key_is_refused_from_a_loopback_address_outside_the_list(self, alice,
                                                                       cloud_key):
        client = browser("127.0.0.1")
        sign_in(client, alice)
        assert client.post("/account/whitelists/add/", {
            "kind": "api", "value": "127.0.0.1", "label": "this host"}).status_code == 302
        assert _me(cloud_key, "127.0.0.1").status_code == 200
        refused = _me(cloud_key, "127.0.0.2")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "IP_NOT_ALLOWED"

    def test_a_forged_forwarded_for_does_not_pass(self, alice, cloud_key):
        IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.0/24")
        refused = _me(cloud_key, "192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "IP_NOT_ALLOWED"
        assert _me(cloud_key, "203.0.113.5").status_code == 200

    def test_the_portal_list_does_not_restrict_the_api(self, alice, cloud_key):
        IPWhitelistEntry.objects.create(user=alice, kind="portal", value="203.0.113.0/24")
        assert _me(cloud_key, "192.0.2.10").status_code == 200
