"""Usage counts against real servers: gunicorn (2 workers) and waitress (one process with
threads), each on its own port, one database for the module (SQLite, or PostgreSQL with
DATABASE_URL), and a Redis of the tests' own where the test wants one.

Times Used equals the number of 2xx answers: within two seconds under load; after a
graceful stop that comes before any flush; and, with Redis, after the server's processes
are killed (SIGKILL), once any process flushes.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bench.server import make_site, start_server

from .counting_fixtures import waiting_in_redis

SERVERS = ["gunicorn", "waitress"]
STORES = ["memory", "redis"]
LONG = "300"  # seconds between flushes: longer than any test, so only a stop writes


@pytest.fixture(scope="module")
def site():
    # The module's site counts in memory; a test gives its server (and scripts) REDIS_URL.
    site = make_site({"REDIS_URL": ""}, suffix="ctest")
    try:
        keys = site.script("bench.seed", "--filler", "0", "--cloud", "16",
                           "--username", "counting")["keys"]["cloud"]
        site.spare_keys = iter(keys)
        yield site
    finally:
        site.close()


@pytest.fixture
def serve(site, own_redis):
    """`serve(wsgi, store, flush_seconds)`: a running server, stopped (gracefully) at the end.
    Returns it, and the site as its processes see it (with REDIS_URL for "redis")."""
    servers = []

    def start(wsgi: str, store: str, flush_seconds: str):
        env = {"API_USAGE_FLUSH_SECONDS": flush_seconds}
        own_redis.client().flushdb()
        if store == "redis":
            env["REDIS_URL"] = own_redis.url
        server = start_server(site, workers=2, extra_env=env, wsgi=wsgi)
        servers.append(server)
        return server, replace(site, env={**site.env, **env})

    yield start
    for server in servers:
        server.stop()


def request(server, method, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def burst(server, key, threads=6, per_thread=20) -> int:
    """Requests with `key` from several threads at once; how many were answered 2xx."""
    statuses = []

    def run():
        for _ in range(per_thread):
            statuses.append(request(server, "GET", "/api/v1/me", {"X-API-Key": key["key"]})[0])

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert len(statuses) == threads * per_thread
    return sum(200 <= status < 300 for status in statuses)


def times_used(site, key, flush=False) -> int:
    args = [key["id"], *(["--flush"] if flush else [])]
    return site.script("bench.counts", *args)["times_used"][key["id"]]


def worker_pids(server) -> list[int]:
    """gunicorn's workers (the master's children), or waitress's one process."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.process.pid:
            children.append(int(stat.parent.name))
    return children or [server.process.pid]


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("wsgi", SERVERS)
def test_counts_are_aggregated_and_exact_after_a_graceful_stop(site, serve, own_redis, wsgi,
                                                               store):
    key = next(site.spare_keys)
    server, _ = serve(wsgi, store, flush_seconds=LONG)
    ok = burst(server, key)
    assert ok == 120
    assert times_used(site, key) == 0  # aggregated: nothing written per request
    assert waiting_in_redis(own_redis) == (store == "redis")
    server.stop()
    assert times_used(site, key) == ok, server.log.read_text()[-3000:]


@pytest.mark.parametrize("wsgi", SERVERS)
def test_with_redis_no_count_is_lost_when_the_server_processes_are_killed(site, serve, wsgi):
    key = next(site.spare_keys)
    server, with_redis = serve(wsgi, "redis", flush_seconds=LONG)
    ok = burst(server, key)
    assert ok == 120
    for pid in worker_pids(server):
        os.kill(pid, signal.SIGKILL)
    assert times_used(site, key) == 0
    # Any process's flusher writes what the killed ones left in Redis: here a script's.
    assert times_used(with_redis, key, flush=True) == ok
    server.stop()  # gunicorn's new workers stop gracefully: nothing is written twice
    assert times_used(site, key) == ok


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("wsgi", SERVERS)
def test_counts_are_exact_within_two_seconds_under_load(site, serve, wsgi, store):
    key, busy = next(site.spare_keys), next(site.spare_keys)
    server, _ = serve(wsgi, store, flush_seconds="1")
    loaded = threading.Event()

    def load():  # another key keeps the server busy all along
        while not loaded.is_set():
            request(server, "GET", "/api/v1/me", {"X-API-Key": busy["key"]})

    loader = threading.Thread(target=load)
    loader.start()
    try:
        ok = burst(server, key)
        answered = time.monotonic()
        seen = None
        # Read through the API, as a customer would (with the busy key: keys:read).
        while seen != ok and time.monotonic() - answered < 2.5:
            status, body = request(server, "GET", f"/api/v1/keys/{key['id']}",
                                   {"X-API-Key": busy["key"]})
            assert status == 200, body
            seen = json.loads(body)["key"]["times_used"]
            time.sleep(0.05)
    finally:
        loaded.set()
        loader.join(timeout=60)
    assert (ok, seen) == (120, 120)
