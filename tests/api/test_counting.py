"""Aggregated usage counting (apikeys.api.counting), in memory and in Redis: exact once
flushed, never a lagged IP lock or refusal, started by the first use a process counts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from freezegun import freeze_time

from apikeys import flows
from apikeys.api import counting
from apikeys.keycheck import check_key
from apikeys.models import APIKey, KeyUsageDay

from .conftest import call, times_used
from .counting_fixtures import waiting_in_redis

pytestmark = pytest.mark.django_db


def test_uses_are_counted_and_written_exactly_on_flush(key, aggregating, request):
    for _ in range(5):
        assert check_key(key.full_key, ip="198.51.100.1").ok
    assert times_used(key) == 0 and counting.pending_uses() == 5
    if aggregating == "redis":
        assert waiting_in_redis(request.getfixturevalue("own_redis"))
    assert counting.flush() == 5
    row = APIKey.objects.get(pk=key.key.pk)
    assert row.times_used == 5 and row.last_ip == "198.51.100.1" and row.last_used_at
    assert KeyUsageDay.objects.get(key=row, date=timezone.now().date()).count == 5
    assert counting.flush() == 0 and counting.pending_uses() == 0  # nothing twice


def test_the_first_counted_use_starts_the_flusher(key, counting_store, settings):
    settings.API_USAGE_FLUSH_SECONDS = 3600
    assert not counting.active()
    try:
        assert check_key(key.full_key, ip="198.51.100.1").ok
        assert counting.active() and counting.pending_uses() == 1 and times_used(key) == 0
    finally:
        counting.stop()
    assert times_used(key) == 1 and not counting.active()


def test_stopping_writes_what_is_pending(key, counting_store):
    counting.start(interval=3600)
    check_key(key.full_key, ip="198.51.100.1")
    counting.stop()
    assert times_used(key) == 1 and not counting.active()


def test_the_latest_use_wins_last_used_and_last_ip(key, aggregating):
    later = timezone.now() + timedelta(seconds=30)
    APIKey.objects.filter(pk=key.key.pk).update(last_used_at=later, last_ip="203.0.113.1")
    check_key(key.full_key, ip="198.51.100.1")
    check_key(key.full_key, ip="2001:db8::1")
    counting.flush()
    row = APIKey.objects.get(pk=key.key.pk)
    # Another worker had written a later use: it stays.
    assert (row.last_used_at, row.last_ip, row.times_used) == (later, "203.0.113.1", 2)
    APIKey.objects.filter(pk=key.key.pk).update(last_used_at=None)
    check_key(key.full_key, ip="198.51.100.1")
    check_key(key.full_key, ip="2001:db8::1")
    counting.flush()
    row = APIKey.objects.get(pk=key.key.pk)
    assert row.last_ip == "2001:db8::1" and row.last_used_at > timezone.now() - timedelta(seconds=5)


def test_the_first_ip_lock_is_never_aggregated(make_key, aggregating):
    created = make_key(type=APIKey.Type.DEFAULT)
    assert check_key(created.full_key, ip="198.51.100.1").ok
    assert APIKey.objects.get(pk=created.key.pk).locked_ip == "198.51.100.1"
    refused = check_key(created.full_key, ip="198.51.100.2")
    assert refused.refusal.code == "IP_NOT_ALLOWED"


def test_a_revoked_key_is_refused_at_once_while_aggregating(client, key, aggregating):
    assert call(client, "GET", "/api/v1/me", key=key.full_key).status_code == 200
    flows.revoke_key(None, key.key)
    assert call(client, "GET", "/api/v1/me", key=key.full_key).status_code == 401
    counting.flush()
    assert times_used(key) == 1


def test_a_failed_write_keeps_the_counts_for_the_next_try(key, aggregating, monkeypatch):
    check_key(key.full_key, ip="198.51.100.1")

    def unavailable(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("apikeys.usage_writes.add_usage", unavailable)
    assert counting.flush() == 0
    assert times_used(key) == 0 and counting.pending_uses() == 1
    monkeypatch.undo()
    assert counting.flush() == 1
    assert times_used(key) == 1 and counting.pending_uses() == 0


def test_the_setting_at_zero_writes_every_use_at_once(key, settings):
    settings.API_USAGE_FLUSH_SECONDS = 0
    assert counting.start() is False
    check_key(key.full_key, ip="198.51.100.1")
    assert times_used(key) == 1 and not counting.active()


@pytest.mark.django_db(transaction=True)
def test_counts_are_exact_under_concurrent_requests_against_a_live_server(live_server, key,
                                                                          counting_store):
    """N requests from several threads against a live server: + exactly N once flushed."""
    import urllib.request

    threads, per_thread = 6, 10
    counting.start(interval=3600)
    errors = []

    def worker():
        for _ in range(per_thread):
            request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
                live_server.url + "/api/v1/me", headers={"X-API-Key": key.full_key})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                    if answer.status != 200:
                        errors.append(answer.status)
            except OSError as exc:
                errors.append(exc)
        connections.close_all()

    try:
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=120)
    finally:
        counting.stop()
    assert not errors
    assert times_used(key) == threads * per_thread


def test_concurrent_adds_and_flushes_lose_nothing(key, aggregating):
    now = timezone.now()
    threads, per_thread = 8, 300

    def adder():
        for _ in range(per_thread):
            counting.add(key.key.pk, now, "198.51.100.1")

    pool = [threading.Thread(target=adder) for _ in range(threads)]
    for thread in pool:
        thread.start()
    written = 0
    while any(thread.is_alive() for thread in pool):
        written += counting.flush()
    written += counting.flush()
    assert written == threads * per_thread == times_used(key)


@pytest.mark.django_db(transaction=True)
@freeze_time("2026-01-01 12:00:00")  # parent and child in one rate-limit window
def test_a_forked_process_starts_with_nothing_of_its_parents(key, settings):
    """A worker forked while its parent held counts and reserved rate-limit events must not
    write or hand them out a second time."""
    import os

    from portal import ratelimit

    settings.REDIS_URL = ""
    counting.start(interval=3600)
    assert check_key(key.full_key, ip="198.51.100.1").ok
    assert ratelimit.hit_leased("t:fork", 1000, 60).allowed  # the parent reserves ahead
    reserved = ratelimit.peek("t:fork", 1000, 60).count
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for connection in connections.all():
                connection.connection = None  # the parent's: never close it here
            seen = [counting.active(), counting.pending_uses()]
            ratelimit.hit_leased("t:fork", 1000, 60)  # must reserve its own
            seen.append(ratelimit.peek("t:fork", 1000, 60).count > reserved)
            os.write(write, repr(seen).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    seen = os.read(read, 200).decode()
    os.close(read)
    assert os.waitpid(pid, 0)[1] == 0
    assert seen == repr([False, 0, True])
    try:
        assert counting.active() and counting.pending_uses() == 1  # the parent keeps its own
    finally:
        counting.stop()


def test_every_writer_locks_the_keys_in_the_same_order(alice):
    # Two workers flushing the same keys at once, each in the order its requests came, locked
    # them crosswise: PostgreSQL ended one flush as a deadlock and its counts came a second
    # late. Keys and days are written in the order of their ids, whatever order they came in.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apikeys.usage_writes import Pending, write_uses

    first, second = (flows.create_key(None, alice, description=d, type="cloud").key
                     for d in ("first", "second"))
    now, today = timezone.now(), timezone.now().date()
    came = {second.pk: Pending(2, now, "198.51.100.1"), first.pk: Pending(3, now, "198.51.100.1")}
    days = {(second.pk, today): 2, (first.pk, today): 3}
    with CaptureQueriesContext(connection) as queries:
        write_uses(came, days)
    updated = [pk for query in queries.captured_queries if query["sql"].startswith("UPDATE")
               for pk in (first.pk, second.pk) if f"= {pk}" in query["sql"].split("WHERE")[-1]]
    assert updated[:2] == [first.pk, second.pk]  # the keys, by id
    assert updated[2:4] == [first.pk, second.pk]  # then their days, by id
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.times_used, second.times_used) == (3, 2)
