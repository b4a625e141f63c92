from __future__ import annotations

import pytest

from accounts.models import User
from portal.compiled import CompiledQuery


@pytest.mark.django_db
def test_it_builds_the_same_instances_as_the_orm(make_user):
    owner = make_user("shop", time_zone="Europe/Bucharest")
    sub = make_user("cashier", owner=owner, permissions=["send_sms"])
    query = CompiledQuery(lambda v: User.objects.select_related("owner").filter(username=v))
    for user in (owner, sub):
        fast = query.first(user.username)
        slow = User.objects.select_related("owner").get(username=user.username)
        assert fast == slow
        for field in User._meta.concrete_fields:
            assert getattr(fast, field.attname) == getattr(slow, field.attname), field.name
        assert fast.permissions == slow.permissions  # JSON converted, not a string
        assert (fast.owner.username if fast.owner else None) == (
            slow.owner.username if slow.owner else None)
    assert query.first("nobody") is None


@pytest.mark.django_db
def test_it_runs_one_query_per_call(make_user, django_assert_num_queries):
    make_user("shop")
    query = CompiledQuery(lambda v: User.objects.select_related("owner").filter(username=v))
    query.first("shop")
    with django_assert_num_queries(1):
        assert query.first("shop").owner is None
