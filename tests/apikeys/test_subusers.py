"""Sub-users and keys: the pages need "Manage API keys", and a sub-user's keys never carry
more than its permissions grant, at creation or later."""

from __future__ import annotations

import pytest

from accounts.models import Permission
from apikeys.forms import CreateKeyForm
from apikeys.keycheck import Code
from tests.conftest import signed_in_client

from .conftest import check

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_user):
    return make_user("shop")


@pytest.mark.parametrize("path", ["/account/api-keys/", "/account/api-keys/new/"])
def test_a_sub_user_without_manage_keys_is_refused_the_pages(client, make_user, shop, path):
    sub = make_user("cashier", owner=shop, permissions=[Permission.SEND_SMS])
    signed_in_client(client, sub)
    response = client.get(path)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_a_sub_user_with_manage_keys_reaches_its_keys(client, make_user, shop):
    sub = make_user("keeper", owner=shop, permissions=[Permission.MANAGE_KEYS])
    signed_in_client(client, sub)
    assert client.get("/account/api-keys/").status_code == 200


def test_a_sub_user_cannot_give_a_key_scopes_it_does_not_hold(make_user, shop):
    sub = make_user("keeper", owner=shop, permissions=[Permission.MANAGE_KEYS])
    form = CreateKeyForm(sub, data={"description": "x", "type": "default",
                                    "scopes": ["sms:send"]})
    assert not form.is_valid()
    assert "beyond the permissions of the key's owner: sms:send" in " ".join(
        form.errors["scopes"])
    offered = [widget.data["value"] for widget in form["scopes"].subwidgets]
    assert offered == ["keys:read", "keys:write", "account:read"]


def test_a_permission_taken_away_applies_to_the_keys_next_request(make_user, shop, make_key):
    sub = make_user("sender", owner=shop,
                    permissions=[Permission.SEND_SMS, Permission.MANAGE_KEYS])
    created = make_key(sub, scopes=["sms:send", "keys:read"])
    assert check(created, scope="sms:send").ok
    sub.permissions = [Permission.MANAGE_KEYS]
    sub.save(update_fields=["permissions"])
    assert check(created, scope="sms:send").refusal.code == Code.INSUFFICIENT_SCOPE
    assert check(created, scope="keys:read").ok
