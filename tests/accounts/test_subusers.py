"""Sub-users in the portal: invitation, permissions, no escalation, suspension."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from django.core import mail
from django.test import Client

from accounts import subusers
from accounts.models import Permission, User
from security.models import EventType, SecurityEvent
from tests.concurrency import run_together
from tests.conftest import PASSWORD, signed_in_client


@pytest.fixture
def shop(make_user):
    """An account owner with two sub-users: a sender and a user manager."""
    owner = make_user("shop")
    sender = make_user("cashier", owner=owner, permissions=[Permission.SEND_SMS])
    manager = make_user("manager", owner=owner,
                        permissions=[Permission.MANAGE_USERS, Permission.SEND_SMS])
    return owner, sender, manager


@pytest.mark.django_db
class TestInvitation:
    def test_the_owner_invites_and_the_sub_user_sets_a_password(self, client, make_user):
        owner = make_user("shop")
        signed_in_client(client, owner)
        response = client.post("/account/users/invite/", {
            "username": "cashier", "email": "cashier@example.com",
            "permissions": ["send_sms"], "monthly_limit": "100"})
        assert response.status_code == 302
        sub = User.objects.get(username="cashier")
        assert sub.owner == owner and sub.permissions == ["send_sms"]
        assert not sub.has_usable_password()
        assert SecurityEvent.objects.filter(type=EventType.SUBUSER_INVITED, user=owner).exists()
        message = mail.outbox[-1]
        assert message.to == ["cashier@example.com"]
        link = re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)
        person = Client()
        form = person.get(link, follow=True)
        set_url = form.redirect_chain[-1][0]
        person.post(set_url, {"new_password1": "Cash1er-Sunrise", "new_password2":
                              "Cash1er-Sunrise"})
        ok = person.post("/accounts/login/", {"username": "cashier",
                                              "password": "Cash1er-Sunrise"})
        assert ok.status_code == 302
        page = person.get("/dashboard/").content.decode()
        assert "API Keys" not in page and "/account/users/" not in page

    def test_bad_input_is_a_form_error_and_creates_nobody(self, client, shop):
        owner, _sender, _manager = shop
        signed_in_client(client, owner)
        response = client.post("/account/users/invite/", {
            "username": "bad name!", "email": "not-an-email", "permissions": ["fly"],
            "sending_hours_start": "09:00"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "Enter a valid email address" in body
        assert "both ends of the sending window" in body
        assert not User.objects.filter(username="bad name!").exists()


PAGES = [
    ("/account/users/", Permission.MANAGE_USERS),
    ("/account/api-keys/", Permission.MANAGE_KEYS),
    ("/account/api-keys/new/", Permission.MANAGE_KEYS),
    ("/account/activity/", Permission.VIEW_ACTIVITY),
]


@pytest.mark.django_db
@pytest.mark.parametrize("path,permission", PAGES)
@pytest.mark.parametrize("granted", [True, False])
def test_each_page_is_reached_only_with_its_permission(client, make_user, path, permission,
                                                       granted):
    owner = make_user("shop")
    perms = [permission] if granted else [p for p in Permission.values if p != permission]
    sub = make_user("sub", owner=owner, permissions=perms)
    signed_in_client(client, sub)
    response = client.get(path)
    if granted:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "You do not have access to this page" in response.content.decode()


@pytest.mark.django_db
class TestNoEscalation:
    def test_a_manager_cannot_grant_what_it_does_not_have(self, client, shop):
        _owner, _sender, manager = shop
        signed_in_client(client, manager)
        response = client.post("/account/users/invite/", {
            "username": "keymaster", "email": "km@example.com",
            "permissions": ["manage_keys"]})
        assert response.status_code == 400
        assert not User.objects.filter(username="keymaster").exists()

    def test_nobody_edits_their_own_permissions(self, client, shop):
        _owner, _sender, manager = shop
        signed_in_client(client, manager)
        response = client.post(f"/account/users/{manager.pk}/", {
            "permissions": ["manage_users", "send_sms", "manage_keys"]})
        assert response.status_code == 404
        manager.refresh_from_db()
        assert "manage_keys" not in manager.permissions

    def test_another_accounts_user_is_404(self, client, shop, make_user):
        _owner, sender, _manager = shop
        stranger = make_user("stranger")
        signed_in_client(client, stranger)
        assert client.get(f"/account/users/{sender.pk}/").status_code == 404
        assert client.post(f"/account/users/{sender.pk}/delete/").status_code == 404
        assert User.objects.filter(pk=sender.pk).exists()

    def test_a_permission_taken_away_applies_on_the_next_request(self, client, shop):
        owner, _sender, manager = shop
        signed_in_client(client, manager)
        assert client.get("/account/users/").status_code == 200
        User.objects.filter(pk=manager.pk).update(permissions=["send_sms"])
        assert client.get("/account/users/").status_code == 403


@pytest.mark.django_db
class TestSuspendAndDelete:
    def test_suspending_signs_the_sub_user_out(self, client, shop):
        owner, sender, _manager = shop
        theirs = signed_in_client(Client(), sender)
        assert theirs.get("/dashboard/").status_code == 200
        signed_in_client(client, owner)
        client.post(f"/account/users/{sender.pk}/suspend/", {"suspend": "1"})
        assert theirs.get("/dashboard/").status_code == 302
        refused = Client().post("/accounts/login/", {"username": "cashier",
                                                     "password": PASSWORD})
        assert refused.status_code == 400

    def test_deleting_keeps_the_security_events(self, client, shop):
        owner, sender, _manager = shop
        Client().post("/accounts/login/", {"username": "cashier", "password": "wrong"})
        signed_in_client(client, owner)
        client.post(f"/account/users/{sender.pk}/delete/")
        assert not User.objects.filter(pk=sender.pk).exists()
        assert SecurityEvent.objects.filter(username="cashier",
                                            type=EventType.SIGNIN_FAILURE).exists()


@pytest.mark.django_db
class TestSendingRules:
    def test_sending_hours_follow_the_account_time_zone(self, make_user):
        owner = make_user("shop", time_zone="Europe/Bucharest")  # UTC+2 in winter
        sub = make_user("night", owner=owner, sending_hours_start=time(9),
                        sending_hours_end=time(17))
        at = lambda h: datetime(2026, 1, 15, h, 30, tzinfo=UTC)  # noqa: E731
        assert not subusers.within_sending_hours(sub, at(6))   # 08:30 local
        assert subusers.within_sending_hours(sub, at(7))       # 09:30 local
        assert subusers.within_sending_hours(sub, at(14))      # 16:30 local
        assert not subusers.within_sending_hours(sub, at(15))  # 17:30 local

    def test_a_window_may_run_past_midnight(self, make_user):
        owner = make_user("shop")
        sub = make_user("night", owner=owner, sending_hours_start=time(22),
                        sending_hours_end=time(6))
        at = lambda h: datetime(2026, 1, 15, h, 0, tzinfo=UTC)  # noqa: E731
        assert subusers.within_sending_hours(sub, at(23))
        assert subusers.within_sending_hours(sub, at(3))
        assert not subusers.within_sending_hours(sub, at(12))

    def test_the_monthly_limit_is_all_or_nothing(self, make_user):
        owner = make_user("shop")
        sub = make_user("capped", owner=owner, monthly_limit=5)
        assert subusers.reserve_messages(sub, 3).ok
        assert not subusers.reserve_messages(sub, 3).ok
        assert subusers.reserve_messages(sub, 2).ok
        assert not subusers.reserve_messages(sub, 1).ok
        assert subusers.messages_this_month(sub) == 5


@pytest.mark.django_db(transaction=True)
def test_the_monthly_limit_holds_under_concurrent_sends(make_user):
    owner = make_user("shop")
    sub = make_user("capped", owner=owner, monthly_limit=10)
    results = run_together(
        [lambda: subusers.reserve_messages(User.objects.get(pk=sub.pk), 1).ok] * 25)
    assert results.count(True) == 10
    assert subusers.messages_this_month(sub) == 10


@pytest.mark.django_db
def test_the_owner_can_require_a_second_factor_from_sub_users(client, shop):
    owner, sender, _manager = shop
    User.objects.filter(pk=owner.pk).update(subusers_require_second_factor=True)
    signed_in_client(client, sender)
    response = client.get("/dashboard/")
    assert response["Location"] == "/account/security/"
    page = client.get("/account/security/").content.decode()
    assert "Your account owner requires a second factor" in page


@pytest.mark.django_db
class TestTheAccountAsAWhole:
    def test_the_owners_activity_lists_sub_users_events_even_after_deletion(self, client,
                                                                           shop):
        owner, sender, _manager = shop
        Client().post("/accounts/login/", {"username": "cashier", "password": "wrong"})
        signed_in_client(client, owner)
        page = client.get("/account/activity/").content.decode()
        assert "cashier" in page
        client.post(f"/account/users/{sender.pk}/delete/")
        page = client.get("/account/activity/?type=signin.failure").content.decode()
        assert page.count('data-event="signin.failure"') == 1
        assert "cashier" in page

    def test_activity_needs_its_permission(self, client, shop):
        _owner, sender, _manager = shop
        signed_in_client(client, sender)
        assert client.get("/account/activity/").status_code == 403
        User.objects.filter(pk=sender.pk).update(permissions=["view_activity"])
        assert client.get("/account/activity/").status_code == 200

    def test_only_the_owner_changes_the_whitelists(self, client, shop):
        _owner, _sender, manager = shop
        signed_in_client(client, manager)
        assert client.get("/account/whitelists/").status_code == 403
        response = client.post("/account/whitelists/add/", {"kind": "api",
                                                             "value": "203.0.113.0/24"})
        assert response.status_code == 403

    def test_a_sub_user_is_held_to_the_accounts_portal_whitelist(self, shop):
        from security.models import IPWhitelistEntry

        owner, sender, _manager = shop
        IPWhitelistEntry.objects.create(user=owner, kind="portal", value="203.0.113.0/24")
        outside = Client(REMOTE_ADDR="198.51.100.9")
        response = outside.post("/accounts/login/", {"username": "cashier",
                                                     "password": PASSWORD})
        assert response.status_code == 400  # as for a wrong password
        assert outside.get("/dashboard/").status_code == 302
        inside = Client(REMOTE_ADDR="203.0.113.5")
        assert inside.post("/accounts/login/", {"username": "cashier",
                                                "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
class TestKeysOfTheAccount:
    def test_the_owner_makes_a_key_for_a_sub_user_capped_by_its_permissions(self, client,
                                                                           shop):
        from apikeys.models import APIKey

        owner, sender, _manager = shop
        signed_in_client(client, owner)
        page = client.get("/account/api-keys/new/?for_user=cashier").content.decode()
        assert 'value="cashier"' in page
        response = client.post("/account/api-keys/new/", {
            "for_user": "cashier", "description": "till 1", "type": "cloud",
            "scopes": ["sms:send", "keys:write"]})
        # keys:write is not the sub-user's to hold: refused, nothing made.
        assert response.status_code == 400
        assert not APIKey.objects.filter(user=sender).exists()
        client.post("/account/api-keys/new/", {
            "for_user": "cashier", "description": "till 2", "type": "cloud",
            "scopes": ["sms:send"]})
        key = APIKey.objects.get(user=sender, description="till 2")
        assert key.effective_scopes() == ["sms:send"]

    def test_the_owner_lists_every_key_and_filters_by_user(self, client, shop):
        from apikeys import flows

        owner, sender, manager = shop
        flows.create_key(None, owner, description="owner key", type="cloud")
        flows.create_key(None, sender, description="cashier key", type="cloud",
                         scopes=["sms:send"])
        signed_in_client(client, owner)
        page = client.get("/account/api-keys/").content.decode()
        assert "owner key" in page and "cashier key" in page
        page = client.get("/account/api-keys/?user=cashier").content.decode()
        assert "owner key" not in page and "cashier key" in page

    def test_a_sub_user_with_key_management_sees_only_its_own(self, client, shop):
        from apikeys import flows

        owner, sender, _manager = shop
        keeper = User.objects.create_user("keeper", "keeper@example.com", PASSWORD,
                                          owner=owner, permissions=["manage_keys"],
                                          email_confirmed=True)
        flows.create_key(None, owner, description="owner key", type="cloud")
        theirs = flows.create_key(None, keeper, description="keeper key", type="cloud",
                                  scopes=["keys:read"]).key
        signed_in_client(client, keeper)
        page = client.get("/account/api-keys/").content.decode()
        assert "keeper key" in page and "owner key" not in page
        assert client.get(f"/account/api-keys/{theirs.lookup_id}/").status_code == 200


API_CALLS = [
    # (method, path, body, the permission it needs)
    ("post", "/api/v1/sms/send", {"to": ["+40712345678"], "message": "hi"},
     Permission.SEND_SMS),
    ("get", "/api/v1/sms/messages", None, Permission.READ_REPORTS),
    ("get", "/api/v1/sms/stats?period=7d", None, Permission.READ_REPORTS),
    ("get", "/api/v1/keys", None, Permission.MANAGE_KEYS),
    ("post", "/api/v1/keys", {"description": "x", "type": "cloud", "scopes": ["keys:read"]},
     Permission.MANAGE_KEYS),
]


@pytest.mark.django_db
@pytest.mark.parametrize("method,path,body,permission", API_CALLS)
@pytest.mark.parametrize("granted", [True, False])
def test_each_api_endpoint_is_reached_only_with_its_permission(client, make_user, method, path,
                                                               body, permission, granted):
    import json

    owner = make_user("shop")
    perms = [permission] if granted else [p for p in Permission.values if p != permission]
    make_user("sub", owner=owner, permissions=perms)
    token = client.post("/api/v1/user/auth", {"login": "sub", "password": PASSWORD},
                        content_type="application/json").json()["token"]
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(client, method)(path, **kwargs)
    if granted:
        assert response.status_code in (200, 201, 202), response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "INSUFFICIENT_SCOPE"
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200  # account:read: every sub-user may read its own account
