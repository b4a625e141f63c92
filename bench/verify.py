"""The SMS Authenticator in process: `python bench/verify.py [--rounds N]`.

Builds a fresh database (SQLite; PostgreSQL when DATABASE_URL is set, in a database of its
own; Redis for the rate limits when REDIS_URL is set) with one account allowed to send to
Romania and a key with the `verify` scope, then times with Django's test client (the API's
whole path: authentication, the key check, validation, JSON) and the locmem SMS backend:

  start        POST /api/v1/verify to a new number each time (one SMS, one message row)
  check_right  POST /api/v1/verify/{id}/check with the code from the SMS: approved
  check_wrong  POST /api/v1/verify/{id}/check with a wrong code: one attempt fewer

One JSON line per case: the median, p99 and slowest in milliseconds, the median CPU time of
this process, and the queries of one more request. The machine is shared and noisy: read
the median, with the load average beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


# --- inside the site's environment (`--inner`) -------------------------------------------


def _setup():
    from accounts.models import User
    from apikeys import flows
    from apikeys.models import APIKey
    from messaging import verification

    owner = User.objects.create_user("owner", "owner@example.com", None, phone="+40712345678",
                                     email_confirmed=True)
    current = verification.settings_for(owner)
    assert current.allowed_countries == ["RO"], current.allowed_countries
    created = flows.create_key(None, owner, description="bench", type=APIKey.Type.CLOUD)
    APIKey.objects.filter(pk=created.key.pk).update(rate_limit_per_minute=10**9)
    return created.full_key


def _number(n: int) -> str:
    return f"+4072{n:07d}"


def _time(calls, expect: int) -> dict:
    timings, cpu = [], []
    for call in calls:
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        assert response.status_code == expect, response.content
    timings.sort()
    return {"median_ms": round(statistics.median(timings), 2),
            "p99_ms": round(timings[max(0, int(len(timings) * 0.99) - 1)], 2),
            "max_ms": round(timings[-1], 2), "cpu_ms": round(statistics.median(cpu), 2),
            "requests": len(timings)}


def measure(rounds: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal import sms

    key = _setup()
    client = Client(SERVER_NAME="localhost", HTTP_X_API_KEY=key)

    def start(n: int):
        return client.post("/api/v1/verify", json.dumps({"to": _number(n)}),
                           content_type="application/json")

    def check(verification_id: str, code: str):
        return client.post(f"/api/v1/verify/{verification_id}/check",
                           json.dumps({"code": code}), content_type="application/json")

    for n in range(20):  # warm: connection, imports, caches
        start(10**6 + n)
    lines = []
    figures = _time([lambda n=n: start(n) for n in range(rounds)], 201)
    with CaptureQueriesContext(connection) as queries:
        start(2 * 10**6)
    lines.append({"case": "start", **figures, "queries": len(queries)})

    pending = []
    for n in range(rounds + 1):
        verification_id = start(3 * 10**6 + n).json()["verification"]["id"]
        code = re.search(r"\d{6}", sms.outbox[-1].body).group(0)
        pending.append((verification_id, code))
    wrong = [(v, ("1" if c[0] != "1" else "2") + c[1:]) for v, c in pending]
    figures = _time([lambda v=v, c=c: check(v, c) for v, c in wrong[:-1]], 200)
    with CaptureQueriesContext(connection) as queries:
        check(*wrong[-1])
    lines.append({"case": "check_wrong", **figures, "queries": len(queries)})
    figures = _time([lambda v=v, c=c: check(v, c) for v, c in pending[:-1]], 200)
    with CaptureQueriesContext(connection) as queries:
        check(*pending[-1])
    lines.append({"case": "check_right", **figures, "queries": len(queries)})
    load = round(os.getloadavg()[0], 1)
    return [{**line, "engine": connection.vendor, "load": load} for line in lines]


def inner(args) -> None:
    import django

    django.setup()
    for line in measure(args.rounds):
        emit(line)


# --- the orchestrator -----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args)
        return
    from bench.server import run_inner

    # The per-number and per-account caps would stop the run, not measure it.
    run_inner("bench.verify", ["--rounds", str(args.rounds)],
              extra_env={"VERIFY_STARTS_PER_NUMBER_PER_HOUR": str(10**9),
                         "VERIFY_STARTS_PER_ACCOUNT_PER_HOUR": str(10**9)},
              suffix="verify", timeout=1800)

if __name__ == "__main__":
    main()
