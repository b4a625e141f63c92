"""Counters and the first-IP lock under real concurrency: threads, each with its own
database connection, on SQLite and on PostgreSQL (transactional_db: real commits)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apikeys import flows
from apikeys.keycheck import check_key
from apikeys.models import APIKey, KeyUsageDay
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_uses_count_exactly_fifty(alice, settings):
    settings.API_KEY_RATE_LIMIT_PER_MINUTE = 1000
    created = flows.create_key(None, alice, description="load", type=APIKey.Type.CLOUD)
    results = run_together([
        lambda i=i: check_key(created.full_key, ip=f"203.0.113.{i % 5 + 1}")
        for i in range(50)
    ])
    assert all(r.ok for r in results), [r.refusal for r in results if not r.ok]
    key = APIKey.objects.get(pk=created.key.pk)
    assert key.times_used == 50
    assert KeyUsageDay.objects.get(key=key, date=timezone.now().date()).count == 50


@pytest.mark.parametrize("round", range(5))
def test_two_first_requests_from_two_ips_lock_exactly_one(alice, round):
    created = flows.create_key(None, alice, description="race", type=APIKey.Type.DEFAULT)
    ips = ["203.0.113.7", "198.51.100.9"]
    results = run_together([lambda ip=ip: check_key(created.full_key, ip=ip) for ip in ips])
    key = APIKey.objects.get(pk=created.key.pk)
    winners = [ip for ip, r in zip(ips, results, strict=True) if r.ok]
    losers = [r.refusal.code for r in results if not r.ok]
    assert winners == [key.locked_ip]
    assert losers == ["IP_NOT_ALLOWED"]
    assert key.times_used == 1


# A Zoho CRM key locks like a Default key while no Zoho ranges are set (the default).
@pytest.mark.parametrize("key_type", [APIKey.Type.DEFAULT, APIKey.Type.ZOHO_CRM])
def test_many_first_requests_from_many_ips_lock_exactly_one(alice, key_type):
    created = flows.create_key(None, alice, description="race", type=key_type)
    ips = [f"203.0.113.{i}" for i in range(1, 11)]
    results = run_together([lambda ip=ip: check_key(created.full_key, ip=ip) for ip in ips])
    key = APIKey.objects.get(pk=created.key.pk)
    accepted = [ip for ip, r in zip(ips, results, strict=True) if r.ok]
    assert accepted == [key.locked_ip]
    assert key.times_used == 1
