from __future__ import annotations

import logging

import pytest

from accounts.models import SMSDevice, User
from security.events import record
from security.models import EventType, SecurityEvent
from tests.conftest import PASSWORD, signed_in_client


@pytest.mark.django_db
def test_a_failed_sign_in_is_recorded_for_the_account_without_the_password(client, alice,
                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/accounts/login/", {"username": "alice", "password": "Wrong-Password-77"})
    event = SecurityEvent.objects.get(type=EventType.SIGNIN_FAILURE)
    assert event.user == alice and event.ip == "127.0.0.1"
    assert "Wrong-Password-77" not in caplog.text + str(event.detail)


@pytest.mark.django_db
def test_crlf_in_a_username_cannot_forge_a_log_line(client, caplog):
    caplog.set_level(logging.INFO)
    client.post("/accounts/login/", {"username": "eve\r\nsecurity event=signin.success",
                                     "password": "x"})
    event = SecurityEvent.objects.get(type=EventType.SIGNIN_FAILURE)
    assert "\n" not in event.username and "\\r\\n" in event.username
    assert not any(r.getMessage().startswith("security event=signin.success")
                   for r in caplog.records)


@pytest.mark.django_db
def test_an_event_refuses_a_secret_in_its_detail(alice):
    with pytest.raises(ValueError):
        record(None, EventType.KEY_CREATED, user=alice, key="sk_live_xyz")


@pytest.mark.django_db
def test_operators_unlock_and_force_a_change_from_the_admin(client, make_user):
    root = make_user("root", is_staff=True, is_superuser=True)
    SMSDevice.objects.create(user=root, name="SMS", phone="+40712345670", confirmed=True)
    victim = make_user("bob")
    from django.test import Client

    attacker = Client()
    for _ in range(6):
        attacker.post("/accounts/login/", {"username": "bob", "password": "Wrong-Password-1"})
    assert attacker.post("/accounts/login/", {"username": "bob",
                                              "password": PASSWORD}).status_code == 429
    signed_in_client(client, root)
    changelist = "/admin/accounts/user/"
    client.post(changelist, {"action": "unlock_sign_in", "_selected_action": [victim.pk]})
    assert SecurityEvent.objects.filter(type=EventType.UNLOCKED, user=victim).exists()
    bob = Client()
    assert bob.post("/accounts/login/", {"username": "bob",
                                         "password": PASSWORD}).status_code == 302
    client.post(changelist, {"action": "force_password_change",
                             "_selected_action": [victim.pk]})
    assert User.objects.get(pk=victim.pk).must_change_password
    assert bob.get("/dashboard/")["Location"] == "/accounts/password/change/"


@pytest.mark.django_db
def test_operators_see_a_customer_whole_and_can_stop_it(client, make_user):
    from apikeys import flows
    from apikeys.keycheck import check_key

    root = make_user("root", is_staff=True, is_superuser=True)
    SMSDevice.objects.create(user=root, name="SMS", phone="+40712345670", confirmed=True)
    owner = make_user("shop")
    sub = make_user("cashier", owner=owner, permissions=["send_sms"])
    owner_key = flows.create_key(None, owner, description="shop server", type="cloud")
    sub_key = flows.create_key(None, sub, description="till", type="cloud", scopes=["sms:send"])
    record(None, EventType.SIGNIN_FAILURE, user=sub)
    signed_in_client(client, root)
    page = client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
    assert "cashier" in page and "shop server" in page
    assert "Sign-in failed" in page
    client.post("/admin/accounts/user/", {"action": "revoke_all_keys",
                                          "_selected_action": [owner.pk]})
    for created in (owner_key, sub_key):
        assert check_key(created.full_key, ip="203.0.113.1").refusal.code == "KEY_REVOKED"
    client.post("/admin/accounts/user/", {"action": "suspend_accounts",
                                          "_selected_action": [owner.pk]})
    assert not User.objects.filter(pk__in=[owner.pk, sub.pk], is_active=True).exists()
