"""Metrics for operators, in Prometheus' text format at /metrics.

prometheus-client's multiprocess mode sums every worker in one scrape: gunicorn.conf.py
gives the workers a fresh directory (PROMETHEUS_MULTIPROC_DIR) and marks dead workers; a
single process (the development server, the tests) keeps its metrics in memory. The apps
count through the objects below; none of them is ever labelled with anything a client
chooses freely (endpoints are URL patterns, codes are the API's own).

Only a scraper with METRICS_TOKEN (`Authorization: Bearer`) or from METRICS_ALLOWED_IPS
reaches /metrics; everyone else gets a 404, as if there were nothing there.
"""

from __future__ import annotations

import hmac
import itertools
import os
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from .clientip import client_ip
from .ipnets import ip_in

API_REQUESTS = Counter("portal_api_requests_total", "API requests answered",
                       ["endpoint", "method", "status"])
API_REFUSALS = Counter("portal_api_refusals_total", "API error answers, by error code",
                       ["code"])
# One key check in this many is timed: writing every one to the histogram (three shared-memory
# writes) cost about 5 us of a request that takes 150 us in all; a sample shows the same
# distribution, and portal_api_requests_total counts every answer.
KEY_CHECK_TIMED_EVERY = 16
KEY_CHECK_SECONDS = Histogram(
    "portal_api_key_check_seconds",
    f"Time to check a presented API key (one check in {KEY_CHECK_TIMED_EVERY})",
    buckets=(0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25),
)
SMS = Counter("portal_sms_total", "SMS handed to the provider, by result", ["result"])
SIGN_INS = Counter("portal_sign_ins_total", "Password sign-ins, by door and result",
                   ["door", "result"])


_key_checks = itertools.count()


def time_this_key_check() -> bool:
    """Is this key check one of the timed ones?"""
    return next(_key_checks) % KEY_CHECK_TIMED_EVERY == 0


@lru_cache(maxsize=1024)
def api_request(endpoint: str, method: str, status: int):
    """The counter of one (endpoint pattern, method, status): labels() once, then cached."""
    return API_REQUESTS.labels(endpoint, method, str(status))


@lru_cache(maxsize=256)
def refusal(code: str):
    return API_REFUSALS.labels(code)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header[:7].lower() == "bearer " and hmac.compare_digest(
            header[7:].strip().encode(), token.encode()):
        return True
    allowed = settings.METRICS_ALLOWED_IPS
    return bool(allowed) and ip_in(client_ip(request), allowed)
