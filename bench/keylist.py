"""The key list as keys grow: `python bench/keylist.py [--keys N] [--account M]`.

Builds a fresh database (SQLite; PostgreSQL when DATABASE_URL is set, in a database of its
own named after it with "_keylist" appended) holding N keys (1,000,000) of which M (50,000)
belong to one account: its owner holds nine in ten, five sub-users the rest, one key in
fifty is revoked (the lists leave those out). The other keys are spread over 10,000 other
accounts. The rows are inserted by one INSERT ... SELECT per group, in SQL through Django's
connection, so a million keys take seconds, not the hours the real flow would.

Then, in process with Django's test client (middleware, templates and JSON included), it
times the first and the last page of the portal list (/account/api-keys/, the owner: every
key of the account) and of `GET /api/v1/keys` (the owner's own keys, with a key of the
owner's), and counts their queries. One JSON line per case: the median and the slowest of
the timed rounds and the median CPU time of this process, in milliseconds, the number of
queries and their time in one more request, and the machine's load average. A last line
says whether every case's median is within the goal (50 ms) and each list's query count
the same on its two pages.

The machine is shared and noisy: read the median, with the load beside it. The CPU time
moves less with other processes' load; with SQLite it includes the queries, with
PostgreSQL not (they run in the server).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_MS = 50
SUB_USERS = 5
OTHER_ACCOUNTS = 10_000
REVOKED_EVERY = 50
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


# --- inside the site's environment (`--inner`) -------------------------------------------


def _users(prefix: str, count: int, owner=None) -> list[int]:
    """`count` users in one INSERT, without a usable password (nobody signs in as them);
    their ids, which one statement on a fresh database hands out in a row."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password=unusable,
              owner=owner, permissions=["manage_keys"] if owner else [])
         for n in range(count)], batch_size=2000)
    ids = list(User.objects.filter(username__startswith=prefix).order_by("id")
               .values_list("id", flat=True))
    if ids != list(range(ids[0], ids[0] + count)):
        raise SystemExit(f"the {prefix} users' ids are not in a row: cannot spread keys")
    return ids


def _insert_keys(first: int, count: int, user_sql: str, account_sql: str,
                 params: dict) -> None:
    """Keys number `first` .. `first + count - 1` (n in SQL) of the user and account given
    by `user_sql` and `account_sql`.

    Every column of the key model gets a value: those below from n, any other its model
    default (so a field added later does not break the benchmark)."""
    from django.db import connection

    from apikeys.models import APIKey

    qn = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    if postgres:
        source = "generate_series(%(first)s, %(last)s) AS seq(n)"
        created = "%(base)s::timestamptz - n * interval '1 second'"
    else:
        source = ("(WITH RECURSIVE seq(n) AS (SELECT %(first)s UNION ALL SELECT n + 1 FROM seq "
                  "WHERE n < %(last)s) SELECT n FROM seq)")
        created = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %(base)s, '-' || n || ' seconds')"
    known = {
        "user_id": user_sql,
        "account_id": account_sql,
        "description": "'bench key ' || n",
        "type": f"'{APIKey.Type.CLOUD.value}'",
        "prefix": "'sk_live_'",
        "lookup_id": "'b' || n",
        "secret_hash": "'" + "0" * 64 + "'",
        "last4": "'abcd'",
        "created_at": created,
        "times_used": "n %% 1000",
        "state": (f"CASE WHEN n %% {REVOKED_EVERY} = 0 THEN '{APIKey.State.REVOKED.value}' "
                  f"ELSE '{APIKey.State.ACTIVE.value}' END"),
        "revoked_at": f"CASE WHEN n %% {REVOKED_EVERY} = 0 THEN {created} END",
    }
    columns, values = [], []
    params = {**params, "first": first, "last": first + count - 1,
              "base": BASE_TIME if postgres else BASE_TIME.strftime("%Y-%m-%d %H:%M:%S")}
    for field in APIKey._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(qn(field.column))
        if field.column in known:
            values.append(known[field.column])
            continue
        default = field.get_default() if field.has_default() else None
        if default is None and not field.null:
            raise SystemExit(f"no value for {field.column}: add it to bench/keylist.py")
        params[f"d_{field.column}"] = field.get_db_prep_save(default, connection)
        values.append(f"%(d_{field.column})s")
    sql = (f"INSERT INTO {qn(APIKey._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
           f"SELECT {', '.join(values)} FROM {source}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def build(total: int, account: int) -> dict:
    from django.db import connection, transaction

    from accounts.models import User

    started = time.perf_counter()
    with transaction.atomic():
        owner = User.objects.create_user("owner", "owner@example.com", "Bench-Password-2024",
                                         email_confirmed=True)
        subs = _users("sub", SUB_USERS, owner=owner)
        others = _users("other", OTHER_ACCOUNTS)
        # The account's keys: nine in ten the owner's, the tenth a sub-user's in turn, so
        # the owner's list interleaves them as time goes.
        _insert_keys(0, account,
                     "CASE WHEN n %% 10 < 9 THEN %(owner)s "
                     f"ELSE %(sub)s + (n / 10) %% {SUB_USERS} END", "%(owner)s",
                     {"owner": owner.pk, "sub": subs[0]})
        other = f"%(other)s + n %% {OTHER_ACCOUNTS}"
        _insert_keys(account, total - account, other, other, {"other": others[0]})
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load: statistics, and on PostgreSQL the
        # visibility map, without which an index-only scan still reads every row's page.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"case": "build", "keys": total, "account_keys": account,
            "seconds": round(time.perf_counter() - started, 1)}


def _timed(client, path: str, rounds: int, **headers) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm: connection, templates, the database's own caches
        response = client.get(path, **headers)
        assert response.status_code == 200, (path, response.status_code)
    timings, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.thread_time()
        client.get(path, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    return {"median_ms": round(statistics.median(timings), 1),
            "max_ms": round(max(timings), 1),
            "cpu_ms": round(statistics.median(cpu), 1), "queries": len(queries),
            "db_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1),
            "response": response}


def measure(rounds: int) -> list[dict]:
    import re

    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from apikeys import flows
    from apikeys.models import APIKey

    owner = User.objects.get(username="owner")
    created = flows.create_key(None, owner, description="bench reader", type=APIKey.Type.CLOUD)
    APIKey.objects.filter(pk=created.key.pk).update(rate_limit_per_minute=10**9)
    portal = Client(SERVER_NAME="localhost")
    portal.force_login(owner)
    api = Client(SERVER_NAME="localhost")
    lines = []

    first = _timed(portal, "/account/api-keys/", rounds)
    text = first["response"].content.decode()
    found = re.search(r"Page 1 of (\d+), showing \d+ records out of (\d+) total", text)
    assert found, "no pager on the portal list"
    pages, total = int(found.group(1)), int(found.group(2))
    cases = [("portal", "first", first),
             ("portal", "last", _timed(portal, f"/account/api-keys/?page={pages}", rounds))]
    header = {"HTTP_X_API_KEY": created.full_key}
    api_first = _timed(api, "/api/v1/keys", rounds, **header)
    api_pages = api_first["response"].json()["pages"]
    api_total = api_first["response"].json()["total"]
    cases += [("api", "first", api_first),
              ("api", "last", _timed(api, f"/api/v1/keys?page={api_pages}", rounds, **header))]
    for surface, end, figures in cases:
        response = figures.pop("response")
        if surface == "portal":
            shown = re.search(r"Page \d+ of \d+, showing (\d+) records out of \d+ total, "
                              r"starting on record (\d+), ending on (\d+)",
                              response.content.decode())
            figures["showing"] = f"{shown.group(2)}-{shown.group(3)}" if shown else None
        else:
            figures["showing"] = len(response.json()["keys"])
        lines.append({"case": f"{surface} {end} page", "engine": connection.vendor,
                      "listed": total if surface == "portal" else api_total,
                      "pages": pages if surface == "portal" else api_pages, **figures,
                      "load": round(os.getloadavg()[0], 1)})
    return lines


def inner(args) -> None:
    import django

    django.setup()
    emit(build(args.keys, args.account))
    lines = measure(args.rounds)
    for line in lines:
        emit(line)
    counts = {}
    for line in lines:
        counts.setdefault(line["case"].split()[0], set()).add(line["queries"])
    emit({"case": "goal", "goal_ms": GOAL_MS,
          "all_within": all(line["median_ms"] < GOAL_MS for line in lines),
          "queries_constant": all(len(found) == 1 for found in counts.values())})


# --- the orchestrator -----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--account", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args)
        return
    from bench.server import run_inner

    run_inner("bench.keylist", ["--keys", str(args.keys), "--account", str(args.account),
                                "--rounds", str(args.rounds)], suffix="keylist", timeout=3600)

if __name__ == "__main__":
    main()
