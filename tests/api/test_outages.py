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
