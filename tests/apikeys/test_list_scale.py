"""The key list stays fast as keys grow (the figures: bench/keylist.py). What the tests can
hold without a clock: each list is a walk along an index in its order (no sort of the
account's keys), a page past the middle is read from the other end (no long OFFSET), the
pages show the same rows as before, the query count does not grow, and every key knows its
account (the owner's list spans its sub-users' keys through it)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Permission
from apikeys import keyformat
from apikeys.models import APIKey
from tests.conftest import signed_in_client

LIST = "/account/api-keys/"


def bulk_keys(user, n: int, start: int = 0) -> None:
    now = timezone.now()
    APIKey.objects.bulk_create(
        APIKey(user=user, description=f"key {i:04d}", prefix="sk_live_",
               type=APIKey.Type.CLOUD, lookup_id=keyformat.new_lookup_id(),
               secret_hash=f"{i:064x}", last4="abcd", created_at=now - timedelta(seconds=i))
        for i in range(start, start + n))


def offsets(queries) -> list[int]:
    return [int(n) for q in queries for n in re.findall(r"OFFSET (\d+)", q["sql"])]


@pytest.fixture
def shop(make_user):
    """An owner and a sub-user who may manage keys, 60 keys between them (interleaved in
    time: the owner's list merges them)."""
    owner = make_user("shop")
    keeper = make_user("keeper", owner=owner, permissions=[Permission.MANAGE_KEYS])
    for start in range(0, 60, 10):
        bulk_keys(owner if start % 20 == 0 else keeper, 10, start)
    return owner, keeper


@pytest.mark.django_db
def test_every_page_of_the_owners_list_shows_its_rows_and_the_far_ones_read_backwards(
        client, shop):
    owner, _keeper = shop
    signed_in_client(client, owner)
    seen = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{LIST}?page={number}")
        seen += re.findall(r"key (\d{4})", response.content.decode())
        if number == 3:  # rows 51 to 60: 10 rows from the far end, no walk past 50
            assert offsets(queries.captured_queries) == []
    assert seen == [f"{i:04d}" for i in range(60)]
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert ("Page 3 of 3, showing 10 records out of 60 total, starting on record 51, "
            "ending on 60") in text


@pytest.mark.django_db
def test_every_page_of_the_api_list_shows_its_rows_and_the_last_reads_backwards(client,
                                                                               alice):
    from apikeys import flows

    reader = flows.create_key(None, alice, description="reader", type=APIKey.Type.CLOUD)
    APIKey.objects.filter(pk=reader.key.pk).update(created_at=timezone.now() + timedelta(1))
    bulk_keys(alice, 1000)
    seen = []
    for number in range(1, 42):
        with CaptureQueriesContext(connection) as queries:
            data = client.get(f"/api/v1/keys?page={number}",
                              headers={"X-API-Key": reader.full_key}).json()
        assert (data["total"], data["pages"]) == (1001, 41)
        seen += [key["description"] for key in data["keys"]]
        assert all(n <= 500 for n in offsets(queries.captured_queries)), number
        if number == 41:
            assert offsets(queries.captured_queries) == []
    assert seen == ["reader"] + [f"key {i:04d}" for i in range(1000)]


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Small tables make a full scan cheapest; turned off, a plan that cannot follow
            # an index in order still has to sort, and says so.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.django_db
def test_each_list_follows_an_index_in_its_order(shop):
    owner, keeper = shop
    lists = {
        "apikey_account_list": APIKey.objects.listed().managed_by(owner),
        "apikey_user_list": APIKey.objects.listed().managed_by(keeper),
    }
    for index, keys in lists.items():
        page = keys.select_related("user").order_by("-created_at", "-id")
        for query in (page[:25], page.reverse()[:25], keys):
            sql, params = (query.query.sql_with_params() if query is not keys else
                           keys.order_by().values("pk").query.sql_with_params())
            if query is keys:  # what the paginator counts: the index alone
                sql = f"SELECT COUNT(*) FROM ({sql}) AS listed"  # noqa: S608
            plan = _plan(sql, params)
            assert index in plan, plan
            assert not re.search(r"TEMP B-TREE|Sort", plan), plan


@pytest.mark.django_db
def test_every_key_belongs_to_its_users_account(shop):
    owner, keeper = shop
    from apikeys import flows

    created = flows.create_key(None, keeper, description="by the flow", type="cloud")
    assert created.key.account_id == owner.pk
    assert set(APIKey.objects.filter(user=keeper).values_list("account_id", flat=True)) == {
        owner.pk}
    assert set(APIKey.objects.filter(user=owner).values_list("account_id", flat=True)) == {
        owner.pk}
    assert APIKey.objects.managed_by(owner).count() == 61
    assert APIKey.objects.managed_by(keeper).count() == 31


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_keys_their_account(make_user):
    owner = make_user("shop")
    keeper = make_user("keeper", owner=owner)
    executor = MigrationExecutor(connection)
    before = [("apikeys", "0002_usagebatch")]
    latest = executor.loader.graph.leaf_nodes("apikeys")
    executor.migrate(before)
    Key = executor.loader.project_state(before).apps.get_model("apikeys", "APIKey")
    for n, user in enumerate([owner, keeper, keeper]):
        Key.objects.create(user_id=user.pk, description="old", prefix="sk_live_",
                           lookup_id=f"old{n}", secret_hash="0" * 64, last4="abcd")
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert set(APIKey.objects.values_list("lookup_id", "account_id")) == {
        ("old0", owner.pk), ("old1", owner.pk), ("old2", owner.pk)}
