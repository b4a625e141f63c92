"""A sub-user manager grants nothing wider than it has: permissions, monthly limit, sending
hours (SEC-42, SEC-31). The page shows a refusal on its field; the flows raise."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import RequestFactory

from accounts import subusers
from accounts.models import Permission, User
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db
INVITE = "/account/users/invite/"


@pytest.fixture
def owner(make_user):
    return make_user("shop")


@pytest.fixture
def manager(make_user, owner):
    """A manager held to 1 message a month, sent between 09:00 and 09:01."""
    return make_user("manager", owner=owner,
                     permissions=[Permission.MANAGE_USERS, Permission.SEND_SMS],
                     monthly_limit=1, sending_hours_start=time(9, 0),
                     sending_hours_end=time(9, 1))


def invite(client, **fields):
    data = {"username": "helper", "email": "helper@example.com", "permissions": ["send_sms"],
            **fields}
    return client.post(INVITE, {k: v for k, v in data.items() if v is not None})


def field_errors(response, field: str) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


class TestThePage:
    def test_an_unlimited_sender_is_refused_on_both_fields(self, client, manager):
        signed_in_client(client, manager)
        response = invite(client)
        assert response.status_code == 400
        assert "at most 1 message a month yourself" in field_errors(response, "monthly_limit")
        assert "only between 09:00 and 09:01" in field_errors(response,
                                                                 "sending_hours_start")
        assert "at most 1 message a month yourself" in response.content.decode()
        assert not User.objects.filter(username="helper").exists()

    @pytest.mark.parametrize("limit, start, end, wrong, right", [
        ("2", "09:00", "09:01", "monthly_limit", "sending_hours_start"),  # a higher limit
        ("1", "08:00", "10:00", "sending_hours_start", "monthly_limit"),  # a wider window
    ])
    def test_one_thing_wider_is_refused_on_its_field(self, client, manager, limit, start, end,
                                                    wrong, right):
        signed_in_client(client, manager)
        response = invite(client, monthly_limit=limit, sending_hours_start=start,
                          sending_hours_end=end)
        assert response.status_code == 400
        assert field_errors(response, wrong) and not field_errors(response, right)
        assert not User.objects.filter(username="helper").exists()

    def test_within_its_own_it_grants_and_only_within(self, client, manager):
        signed_in_client(client, manager)
        assert invite(client, monthly_limit="2", sending_hours_start="09:00",
                      sending_hours_end="09:01").status_code == 400
        response = invite(client, monthly_limit="1", sending_hours_start="09:00",
                          sending_hours_end="09:01")
        assert response.status_code == 302
        helper = User.objects.get(username="helper")
        assert (helper.monthly_limit, helper.sending_hours_start, helper.sending_hours_end) == (
            1, time(9, 0), time(9, 1))

    def test_the_form_says_the_managers_own_bounds(self, client, manager):
        signed_in_client(client, manager)
        page = client.get("/account/users/").content.decode()
        assert "At most 1, your own monthly limit." in page
        assert "Inside your own window, 09:00 to 09:01" in page

    def test_an_edit_that_widens_is_refused(self, client, manager, make_user, owner):
        helper = make_user("helper", owner=owner, permissions=["send_sms"], monthly_limit=1,
                           sending_hours_start=time(9, 0), sending_hours_end=time(9, 1))
        signed_in_client(client, manager)
        response = client.post(f"/account/users/{helper.pk}/", {"permissions": ["send_sms"]})
        assert response.status_code == 400
        assert field_errors(response, "monthly_limit")
        helper.refresh_from_db()
        assert helper.monthly_limit == 1 and helper.sending_hours_start == time(9, 0)

    def test_a_sub_user_wider_than_the_manager_is_not_its_to_manage(self, client, manager,
                                                                    make_user, owner):
        free = make_user("free", owner=owner, permissions=["send_sms"])
        signed_in_client(client, manager)
        assert not subusers.can_manage(manager, free)
        assert client.get(f"/account/users/{free.pk}/").status_code == 404
        assert client.post(f"/account/users/{free.pk}/delete/").status_code == 404
        assert User.objects.filter(pk=free.pk).exists()


class TestTheFlows:
    def request(self, user):
        request = RequestFactory().post("/")
        request.user = user
        return request

    @pytest.mark.parametrize("limits", [
        {},
        {"monthly_limit": 2, "sending_hours_start": time(9), "sending_hours_end": time(9, 1)},
        {"monthly_limit": 1, "sending_hours_start": time(8), "sending_hours_end": time(10)},
    ])
    def test_invite_raises_for_anything_wider(self, manager, limits):
        with pytest.raises(PermissionError):
            subusers.invite(self.request(manager), manager, username="helper",
                            email="helper@example.com", permissions=["send_sms"], **limits)
        assert not User.objects.filter(username="helper").exists()

    def test_update_raises_and_changes_nothing(self, manager, make_user, owner):
        helper = make_user("helper", owner=owner, permissions=["send_sms"], monthly_limit=1,
                           sending_hours_start=time(9), sending_hours_end=time(9, 1))
        with pytest.raises(PermissionError):
            subusers.update(self.request(manager), manager, helper, permissions=["send_sms"],
                            sending_hours_start=None, sending_hours_end=None,
                            monthly_limit=1)
        helper.refresh_from_db()
        assert helper.sending_hours_start == time(9)


def test_an_owner_has_no_limits_to_pass_on(owner):
    # Even with limit fields set (an operator's doing): the sending rules hold sub-users only.
    User.objects.filter(pk=owner.pk).update(monthly_limit=1)
    owner.refresh_from_db()
    unlimited = subusers.Grant(list(Permission.values))
    assert subusers.grant_refusals(owner, unlimited) == {}


@pytest.mark.parametrize("own, given, inside", [
    ((9, 17), (9, 17), True),
    ((9, 17), (10, 12), True),
    ((9, 17), (8, 12), False),
    ((9, 17), (16, 18), False),
    ((9, 17), (16, 10), False),   # past midnight: most of the day
    ((22, 6), (23, 5), True),     # both past midnight
    ((22, 6), (22, 6), True),
    ((22, 6), (1, 3), True),      # after midnight only
    ((22, 6), (22, 23), True),    # before midnight only
    ((22, 6), (21, 23), False),
    ((22, 6), (5, 7), False),
    ((22, 6), (23, 22), False),   # past midnight too, but nearly all day
    ((22, 6), (7, 21), False),    # the hours the granter may not send
])
def test_a_window_is_granted_only_inside_ones_own(make_user, owner, own, given, inside):
    actor = make_user("manager", owner=owner, permissions=[Permission.MANAGE_USERS],
                      sending_hours_start=time(own[0]), sending_hours_end=time(own[1]))
    refusals = subusers.grant_refusals(actor, subusers.Grant(
        [], None, time(given[0]), time(given[1])))
    assert ("sending_hours_start" not in refusals) is inside
