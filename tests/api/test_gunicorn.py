"""Against real worker processes: gunicorn with 2 workers on 127.0.0.1, its own database.

Replays are refused across processes (the pair is claimed in the shared store), and the
HMAC path is the raw request target. Usage counts: test_counting_servers.py.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import threading
import time

import pytest

from bench.server import make_site, start_server

# Every signed request below gets a timestamp of its own (a repeat would be a replay), read
# when the test runs: a long suite can reach these tests minutes after it started, past the
# 300-second window.


@pytest.fixture(scope="module")
def served():
    site = make_site(suffix="gtest")
    try:
        keys = site.script("bench.seed", "--filler", "0", "--cloud", "1", "--signing", "1",
                           "--username", "gunicorn")["keys"]
        server = start_server(site, workers=2)
        try:
            yield site, server, keys
        finally:
            server.stop()
    finally:
        site.close()


def request(server, method, target, headers, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def signed(key, method, path, body=b"", ts=None):
    ts = ts or str(int(time.time()))
    message = f"{method}|{path}|{ts}|".encode() + body
    signature = hmac.new(key["secret"].encode(), message, hashlib.sha256).hexdigest()
    return {"X-API-Key": key["key"], "X-Timestamp": ts, "X-Signature": signature}


def parallel(count, call):
    barrier = threading.Barrier(count)
    results = []

    def run():
        barrier.wait(timeout=30)
        results.append(call())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_signed_request_twice_at_once_is_accepted_once(served):
    site, server, keys = served
    key = keys["signing"][0]
    for attempt in range(1, 4):
        headers = signed(key, "GET", "/api/v1/me", ts=str(int(time.time()) - 10 * attempt))
        statuses = [status for status, _ in
                    parallel(2, lambda h=headers: request(server, "GET", "/api/v1/me", h))]
        assert sorted(statuses) == [200, 401], (statuses, server.log.read_text()[-3000:])


def test_ten_parallel_duplicates_give_exactly_one_2xx(served):
    site, server, keys = served
    headers = signed(keys["signing"][0], "GET", "/api/v1/me", ts=str(int(time.time()) - 60))
    statuses = [status for status, _ in
                parallel(10, lambda: request(server, "GET", "/api/v1/me", headers))]
    assert statuses.count(200) == 1 and statuses.count(401) == 9, (
        statuses, server.log.read_text()[-3000:])


def test_the_signed_path_is_the_raw_request_target(served):
    site, server, keys = served
    key = keys["signing"][0]
    raw = "/api/v1/keys/%41bc"
    status, body = request(server, "GET", raw + "?x=1", signed(key, "GET", raw))
    assert status == 404 and b"NOT_FOUND" in body
    status, body = request(server, "GET", raw, signed(key, "GET", "/api/v1/keys/Abc"))
    assert status == 401 and b"INVALID_SIGNATURE" in body


def test_an_answer_comes_whole_with_its_length_not_in_chunks(served):
    site, server, keys = served
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/api/v1/me", headers={"X-API-Key": keys["cloud"][0]["key"]})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") is None
    assert response.getheader("Content-Length") == str(len(body))
