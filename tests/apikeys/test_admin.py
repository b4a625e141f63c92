from __future__ import annotations

import re

import pytest

from apikeys.models import APIKey
from security.models import EventType, SecurityEvent
from tests.conftest import signed_in_client

from .conftest import check

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/apikeys/apikey/"


def test_the_changelist_shows_owner_masked_key_type_state_and_use(operator_client, make_key):
    created = make_key(description="CRM")
    assert check(created).ok
    response = operator_client.get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    for column, value in (("masked_key", created.key.masked), ("user", "alice"),
                          ("type", "Default Key"), ("state_shown", "Active"),
                          ("times_used", "1"), ("locked_ip", "203.0.113.7")):
        cell = rf'class="field-{column}[^"]*">(<a [^>]*>)?{re.escape(value)}<'
        assert re.search(cell, html), column
    assert created.full_key not in html


@pytest.mark.parametrize("term", ["alice", "{prefix_start}", "{masked}", "{lookup}"])
def test_operators_find_a_key_by_username_key_start_or_id(operator_client, make_key, mallory,
                                                          term):
    created = make_key()
    other = make_key(mallory)
    key = created.key
    q = term.format(prefix_start=f"sk_live_{key.lookup_id[:5]}", masked=key.masked,
                    lookup=key.lookup_id)
    html = operator_client.get(CHANGELIST, {"q": q}).content.decode()
    assert key.masked in html
    assert other.key.masked not in html


def test_the_revoke_action_revokes_records_and_mails(operator_client, make_key):
    created = make_key()
    response = operator_client.post(CHANGELIST, {"action": "revoke_keys",
                                                 "_selected_action": [created.key.pk]})
    assert response.status_code == 302
    assert APIKey.objects.get(pk=created.key.pk).state == "revoked"
    assert SecurityEvent.objects.filter(type=EventType.KEY_DELETED,
                                        user=created.key.user).exists()
    assert check(created).refusal.code == "KEY_REVOKED"


def test_operators_set_a_keys_rate_limit_and_nothing_else(operator_client, make_key):
    created = make_key(description="before")
    url = f"{CHANGELIST}{created.key.pk}/change/"
    assert operator_client.get(url).status_code == 200
    response = operator_client.post(url, {"rate_limit_per_minute": "5",
                                          "description": "changed",
                                          "whitelist-TOTAL_FORMS": "0",
                                          "whitelist-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    key = APIKey.objects.get(pk=created.key.pk)
    assert key.rate_limit_per_minute == 5 and key.description == "before"


def test_a_customer_cannot_reach_the_keys_admin(client, alice):
    signed_in_client(client, alice)
    response = client.get(CHANGELIST)
    assert response.status_code in (302, 403)
