"""Faults cost no 500: while Redis or the database is away the API answers 503
SERVICE_UNAVAILABLE with Retry-After, and the first request after they return succeeds.

Against real gunicorn workers (bench.server), with a Redis server of the test's own.
"""

from __future__ import annotations

import http.client
import json

import pytest

from bench.server import make_site, start_server
from tests.ownredis import OwnRedis


def request(server, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def redis_served():
    redis = OwnRedis()
    redis.start()
    site = make_site({"REDIS_URL": redis.url}, suffix="redis")
    server = None
    try:
        keys = site.script("bench.seed", "--filler", "0", "--cloud", "1",
                           "--username", "outage")["keys"]
        server = start_server(site, workers=2)
        yield redis, server, keys["cloud"][0]["key"]
    finally:
        if server is not None:
            server.stop()
        site.close()
        redis.stop()


def test_redis_away_is_a_503_with_retry_after_and_back_is_200(redis_served):
    redis, server, key = redis_served
    me = {"X-API-Key": key}
    assert request(server, "GET", "/api/v1/me", me)[0] == 200
    redis.stop()

    status, headers, body = request(server, "GET", "/api/v1/health")
    assert status == 503 and headers["Retry-After"] == "5"
    assert json.loads(body)["error"]["code"] == "SERVICE_UNAVAILABLE"
    # A worker may still hand out the few requests it reserved from the rate limit before
    # Redis went away; then every answer is 503, never a 500.
    answers = [request(server, "GET", "/api/v1/me", me) for _ in range(300)]
    statuses = {status for status, _, _ in answers}
    assert statuses <= {200, 503} and 503 in statuses, statuses
    refused = next(answer for answer in answers if answer[0] == 503)
    assert refused[1]["Retry-After"] and b"SERVICE_UNAVAILABLE" in refused[2]
    # regenerateAPIKey answers in its own format: statusCode 999 with HTTP 503.
    status, _, body = request(server, "POST", "/api/v1/regenerateAPIKey",
                              {"apiKey": key, "Content-Type": "application/json"},
                              json.dumps({"format": "json"}))
    assert status == 503 and json.loads(body)["statusCode"] == "999"
    # The portal's pages do not need Redis to render.
    assert request(server, "GET", "/accounts/login/")[0] == 200

    redis.start()
    assert request(server, "GET", "/api/v1/health")[0] == 200
    assert request(server, "GET", "/api/v1/me", me)[0] == 200
    assert b"Traceback" not in server.log.read_bytes()


@pytest.fixture
def db_served():
    site = make_site(suffix="dbfault")
    server = None
    try:
        keys = site.script("bench.seed", "--filler", "0", "--cloud", "1",
                           "--username", "dbfault")["keys"]
        server = start_server(site, workers=2, extra_env={"SQLITE_BUSY_TIMEOUT": "1"})
        yield site, server, keys["cloud"][0]["key"]
    finally:
        if server is not None:
            server.stop()
        site.close()


def _send(server, key):
    return request(server, "POST", "/api/v1/sms/send",
                   {"X-API-Key": key, "Content-Type": "application/json"},
                   json.dumps({"to": ["+14155551234"], "message": "fault test"}))


def test_the_database_going_away_costs_no_500(db_served):
    """PostgreSQL: every connection of the server is terminated behind its back (as a
    database restart does); the next requests of each worker answer 200, not 500.
    SQLite (no server to restart): another process holds the write lock past the busy
    timeout; writes answer 503 with Retry-After meanwhile, and 2xx once it is let go."""
    site, server, key = db_served
    me = {"X-API-Key": key}
    for _ in range(8):  # every worker has its connection open
        assert request(server, "GET", "/api/v1/me", me)[0] == 200
    if site.engine == "postgresql":
        import psycopg

        with psycopg.connect(site.pg_admin_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", [site.pg_name]).fetchone()[0]
        assert killed >= 1
        statuses = [request(server, "GET", "/api/v1/me", me)[0] for _ in range(12)]
        statuses += [_send(server, key)[0] for _ in range(4)]
        assert set(statuses) <= {200, 202}, statuses
    else:
        import sqlite3

        holder = sqlite3.connect(site.env["SQLITE_PATH"], isolation_level=None, timeout=30)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            status, headers, body = _send(server, key)
            assert status == 503 and headers["Retry-After"], body
            assert json.loads(body)["error"]["code"] == "SERVICE_UNAVAILABLE"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert _send(server, key)[0] == 202
    assert b"Traceback" not in server.log.read_bytes()
