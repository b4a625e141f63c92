"""Fixtures of the counting tests: where the counts wait (memory, or a Redis of the tests'
own), and a process that aggregates. tests/conftest.py makes them every test's."""

from __future__ import annotations

import pytest

from apikeys.api import counting
from tests.ownredis import OwnRedis


@pytest.fixture(scope="session")
def own_redis():
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture(params=["memory", "redis"])
def counting_store(request, settings):
    """Where the counts wait: this process's memory, or a Redis of the test's own."""
    if request.param == "redis":
        redis = request.getfixturevalue("own_redis")
        settings.REDIS_URL = redis.url
        redis.client().flushdb()
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.fixture
def aggregating(counting_store):
    # A long interval: the test decides when to flush (the timer is tested against real
    # servers in test_counting_servers.py).
    assert counting.start(interval=3600)
    yield counting_store
    counting.stop()


@pytest.fixture
def aggregating_in_redis(settings, own_redis):
    """Aggregating in the Redis of the tests' own."""
    settings.REDIS_URL = own_redis.url
    own_redis.client().flushdb()
    assert counting.start(interval=3600)
    yield own_redis
    counting.stop()


def waiting_in_redis(redis: OwnRedis) -> bool:
    """Are uses waiting in `redis` (apikeys.api.counting_redis's pending hash)?"""
    return bool(redis.client().keys("*:usage:pending"))
