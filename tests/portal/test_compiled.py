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


@pytest.mark.django_db
def test_only_some_fields_and_annotations_are_as_the_orms(make_user, django_assert_num_queries):
    from django.db.models import Exists, OuterRef

    from security.models import IPWhitelistEntry

    owner = make_user("shop", time_zone="Europe/Bucharest")
    IPWhitelistEntry.objects.create(user=owner, kind="api", value="203.0.113.7")
    sub = make_user("cashier", owner=owner, permissions=["send_sms"])

    def build(value):
        return (User.objects.select_related("owner").only("username", "owner__time_zone")
                .annotate(listed=Exists(IPWhitelistEntry.objects.filter(user=OuterRef("pk"))))
                .filter(username=value))

    query = CompiledQuery(build)
    for user, listed in ((owner, True), (sub, False)):
        fast, slow = query.first(user.username), build(user.username).get()
        assert fast.get_deferred_fields() == slow.get_deferred_fields()
        assert (fast.pk, fast.username, fast.listed) == (slow.pk, slow.username, listed)
    cashier = query.first("cashier")
    with django_assert_num_queries(0):
        assert cashier.owner.time_zone == "Europe/Bucharest"


@pytest.mark.django_db
def test_deferred_fields_load_together_in_one_query(make_user, django_assert_num_queries):
    make_user("shop", time_zone="Europe/Bucharest", monthly_limit=10)
    user = User.objects.only("username").get(username="shop")
    with django_assert_num_queries(1):
        assert (user.time_zone, user.monthly_limit, user.email) == (
            "Europe/Bucharest", 10, "shop@example.com")


@pytest.mark.django_db
def test_the_key_lookup_builds_directly_and_the_same_as_the_orm(make_user):
    """The key check's lookup takes the direct way (plain fields only); a query with a field
    whose descriptor converts values (User.phone) takes Django's."""
    from apikeys import flows
    from apikeys.checks import _KEY_LOOKUP
    from apikeys.models import APIKey

    created = flows.create_key(None, make_user("shop"), description="d", type="cloud")
    assert _KEY_LOOKUP.builds_directly()
    assert not CompiledQuery(lambda v: User.objects.filter(username=v)).builds_directly()
    fast = _KEY_LOOKUP.first(created.key.lookup_id)
    slow = APIKey.objects.select_related("user").get(pk=created.key.pk)
    assert fast.get_deferred_fields() and not fast._state.adding and fast._state.db == "default"
    for field in APIKey._meta.concrete_fields:
        if field.attname not in fast.get_deferred_fields():
            assert getattr(fast, field.attname) == getattr(slow, field.attname), field.name
    for name in ("id", "username", "email", "is_active", "owner_id", "permissions"):
        assert getattr(fast.user, name) == getattr(slow.user, name), name
    assert fast.account_api_listed is False
