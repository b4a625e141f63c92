"""/metrics for operators: Prometheus' format, reachable only with the token or from the
listed addresses, counting API requests, refusals, key checks, SMS and sign-ins; one scrape
sums every gunicorn worker."""

from __future__ import annotations

import http.client
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from apikeys import flows
from bench.server import make_site, start_server
from tests.conftest import PASSWORD

TOKEN = "m" * 40
pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.9.0.0/16"]


def scrape(**extra) -> str:
    response = Client(**extra).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text: str, name: str, **labels) -> float:
    """The sample `name{labels}` (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name:
            found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if found == wanted:
                return float(match.group(3))
    return 0.0


def test_it_answers_only_the_token_or_the_listed_addresses(metrics_on):
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer " + "x" * 40).status_code == 404
    assert Client(REMOTE_ADDR="10.9.3.4").get("/metrics").status_code == 200
    assert "portal_api_requests_total" in scrape()


def test_nothing_is_reachable_when_neither_is_set(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_a_scrape_after_traffic_shows_the_counts(metrics_on, alice):
    before = scrape()
    key = flows.create_key(None, alice, description="m", type="cloud").full_key
    api = Client()
    for _ in range(3):
        assert api.get("/api/v1/me", HTTP_X_API_KEY=key).status_code == 200
    assert api.get("/api/v1/me", HTTP_X_API_KEY=key[:-2] + "zz").status_code == 401
    sent = api.post("/api/v1/sms/send", json.dumps({"to": ["+14155551234"], "message": "hi"}),
                    content_type="application/json", HTTP_X_API_KEY=key)
    assert sent.status_code == 202
    api.post("/api/v1/user/auth", json.dumps({"login": "alice", "password": PASSWORD}),
             content_type="application/json")
    api.post("/api/v1/user/auth", json.dumps({"login": "alice", "password": "Wrong-12345"}),
             content_type="application/json")
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("portal_api_requests_total", endpoint="api/v1/me", method="GET",
                 status="200") == 3
    assert delta("portal_api_requests_total", endpoint="api/v1/me", method="GET",
                 status="401") == 1
    assert delta("portal_api_refusals_total", code="INVALID_API_KEY") == 1
    assert delta("portal_api_key_check_seconds_count") <= 1  # one check in 16 is timed
    assert delta("portal_sms_total", result="sent") == 1
    assert delta("portal_sign_ins_total", door="api_token", result="passed") == 1
    assert delta("portal_sign_ins_total", door="api_token", result="invalid_credentials") == 1
    assert TOKEN not in after and key not in after


def test_one_key_check_in_16_is_timed(metrics_on, alice):
    from portal.metrics import KEY_CHECK_TIMED_EVERY

    key = flows.create_key(None, alice, description="m", type="cloud").full_key
    before = scrape()
    for _ in range(2 * KEY_CHECK_TIMED_EVERY):
        assert Client().get("/api/v1/me", HTTP_X_API_KEY=key).status_code == 200
    after = scrape()
    assert KEY_CHECK_TIMED_EVERY == 16
    assert (value(after, "portal_api_key_check_seconds_count")
            - value(before, "portal_api_key_check_seconds_count")) == 2
    assert value(after, "portal_api_key_check_seconds_sum") > value(
        before, "portal_api_key_check_seconds_sum")


def test_an_unknown_path_is_one_label_whatever_the_client_sends(metrics_on):
    before = scrape()
    for n in range(5):
        Client().get(f"/api/v1/nothing-{n}")
    after = scrape()
    assert "nothing-" not in after
    assert value(after, "portal_api_requests_total", endpoint="-", method="GET",
                 status="404") - value(before, "portal_api_requests_total", endpoint="-",
                                       method="GET", status="404") == 5


def _get(server, path, headers=None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_one_scrape_sums_every_gunicorn_worker(tmp_path):
    site = make_site({"METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
                     suffix="metrics")
    server = None
    auth = {"Authorization": f"Bearer {TOKEN}"}
    # A path only this test asks for (an unknown one, so a 404 counted as "-"): the server's
    # readiness probe hits health, and a probe that timed out may still be counted late.
    labels = {"endpoint": "-", "method": "GET", "status": "404"}
    try:
        server = start_server(site, workers=2)
        before = value(_get(server, "/metrics", auth)[1], "portal_api_requests_total", **labels)
        sent, writers = 0, set()
        while len(writers) < 2 and sent < 1000:  # until both workers have taken some
            with ThreadPoolExecutor(16) as pool:
                statuses = list(pool.map(lambda _: _get(server, "/api/v1/only-this-test")[0],
                                         range(100)))
            assert statuses == [404] * 100
            sent += 100
            writers = {name for name in os.listdir(tmp_path) if name.startswith("counter_")}
        assert len(writers) == 2, writers  # both workers counted requests...
        after = value(_get(server, "/metrics", auth)[1], "portal_api_requests_total", **labels)
        assert after - before == sent  # ...and one scrape, by one of them, shows them all
    finally:
        if server is not None:
            server.stop()
        site.close()
