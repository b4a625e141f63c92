"""Counts pending in Redis are written exactly once: a batch retried after its flusher died,
or written by two flushers at once, counts once; Redis away is a 503, never a lost count."""

from __future__ import annotations

import os
import threading

import pytest
import redis
from django.db import connections
from django.utils import timezone

from apikeys import usage_writes
from apikeys.api import counting
from apikeys.keycheck import check_key
from apikeys.models import KeyUsageDay
from apikeys.usage_writes import Pending
from bench.server import free_port

from .conftest import call, error_code, times_used
from .counting_fixtures import waiting_in_redis

pytestmark = pytest.mark.django_db


def test_a_batch_written_by_a_flusher_that_died_before_deleting_it_counts_once(
        key, aggregating_in_redis, monkeypatch):
    for _ in range(3):
        assert check_key(key.full_key, ip="198.51.100.1").ok

    def gone(*args, **kwargs):
        raise redis.ConnectionError("Redis went away right after the commit")

    # The flusher commits the batch, then cannot delete it from Redis (as if killed there).
    monkeypatch.setattr(redis.client.Pipeline, "execute", gone)
    counting.flush()
    assert times_used(key) == 3 and counting.pending_uses() == 3
    monkeypatch.undo()
    counting.flush()  # any flusher retries it: already written, so only deleted
    assert times_used(key) == 3 and counting.pending_uses() == 0
    assert KeyUsageDay.objects.get(key_id=key.key.pk).count == 3


def test_a_batch_whose_flusher_was_killed_before_writing_it_is_written_by_another(
        key, aggregating_in_redis, monkeypatch):
    for _ in range(4):
        assert check_key(key.full_key, ip="198.51.100.1").ok
    pid = os.fork()
    if pid == 0:  # a flusher that takes the pending uses and dies before it writes them
        for connection in connections.all():
            connection.connection = None  # the parent's: never close it here
        monkeypatch.setattr(usage_writes, "write_batch", lambda *args: os._exit(0))
        counting.flush()
        os._exit(1)
    assert os.waitpid(pid, 0)[1] == 0
    assert not waiting_in_redis(aggregating_in_redis)  # taken into the dead one's batch
    assert counting.pending_uses() == 4 and times_used(key) == 0
    assert counting.flush() == 4
    assert times_used(key) == 4 and counting.pending_uses() == 0


@pytest.mark.django_db(transaction=True)
def test_two_flushers_writing_the_same_batch_at_once_write_it_once(key):
    now = timezone.now()
    keys = {key.key.pk: Pending(5, now, "198.51.100.1")}
    days = {(key.key.pk, now.date()): 5}
    barrier = threading.Barrier(2)
    results = []

    def flusher():
        try:
            barrier.wait(timeout=30)
            results.append(usage_writes.write_batch("batch-1", keys, days))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=flusher) for _ in range(2)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert sorted(results) == [False, True]
    assert times_used(key) == 5
    assert KeyUsageDay.objects.get(key_id=key.key.pk).count == 5


@pytest.mark.django_db(transaction=True)
def test_flushers_racing_in_several_threads_neither_lose_nor_double_a_use(
        key, aggregating_in_redis):
    now = timezone.now()
    adders, per_adder = 4, 250
    done = threading.Event()
    counting.add(key.key.pk, now, "198.51.100.1")
    assert waiting_in_redis(aggregating_in_redis)

    def adder():
        for _ in range(per_adder):
            counting.add(key.key.pk, now, "198.51.100.1")

    def flusher():
        try:
            while not done.is_set():
                counting.flush()
        finally:
            connections.close_all()

    flushers = [threading.Thread(target=flusher) for _ in range(2)]
    pool = [threading.Thread(target=adder) for _ in range(adders)]
    for thread in flushers + pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    done.set()
    for thread in flushers:
        thread.join(timeout=120)
    counting.flush()
    assert times_used(key) == adders * per_adder + 1 and counting.pending_uses() == 0


def test_with_redis_away_a_use_is_refused_with_503_and_nothing_is_counted(
        client, key, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    assert counting.start(interval=3600)
    try:
        response = call(client, "GET", "/api/v1/me", key=key.full_key)
        assert response.status_code == 503 and response["Retry-After"]
        assert error_code(response) == "SERVICE_UNAVAILABLE"
        # The flusher does not fail: it logs (once a minute), and tries again next round.
        assert counting.flush() == 0
    finally:
        counting.stop()
    assert times_used(key) == 0
