"""The in-process cost of checking a key: `python -m bench.keycheck KEY [--sync] [-n N]`.

Calls `apikeys.keycheck.check_key` N times for one good key (with thousands of others in
the table) and prints the median and p99 in microseconds, with this machine's speed at the
time (`machine_ref_us`: a fixed pure-Python loop, best of 50), so that figures from different
days can be put side by side: on this shared machine the key check's median was 43 us one
day and 131 us another, with hardly a change to the code. By default the process counts
uses the way a server worker does (apikeys.api.counting: aggregated in memory, or in Redis
when REDIS_URL is set, one round trip a use); `--sync` writes each use at once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import django


def _loop() -> int:
    total = 0
    for number in range(10_000):
        total += number
    return total


def _timed_loop_ns() -> int:
    started = time.perf_counter_ns()
    _loop()
    return time.perf_counter_ns() - started


def machine_reference_us() -> float:
    """Microseconds this process takes for a 10,000-step Python loop, best of 50 tries."""
    return round(min(_timed_loop_ns() for _ in range(50)) / 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("key")
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--sync", action="store_true")
    args = parser.parse_args()
    django.setup()

    from django.conf import settings

    from apikeys.api import counting
    from apikeys.keycheck import check_key
    from apikeys.models import APIKey

    # As a server worker does (gunicorn.conf.py), whatever API_USAGE_FLUSH_SECONDS says.
    aggregated = False if args.sync else counting.start(interval=1.0)
    for _ in range(200):  # warm up: connections, caches, imports
        check_key(args.key, ip="127.0.0.1", scope="sms:send")
    timings = []
    for _ in range(args.n):
        started = time.perf_counter_ns()
        result = check_key(args.key, ip="127.0.0.1", scope="sms:send")
        timings.append(time.perf_counter_ns() - started)
        if not result.ok:
            raise SystemExit(f"refused: {result.refusal.code}")
    counting.stop()
    timings.sort()
    print(json.dumps({
        "median_us": round(statistics.median(timings) / 1000, 1),
        "p99_us": round(timings[int(len(timings) * 0.99) - 1] / 1000, 1),
        "checks": args.n,
        "keys_in_table": APIKey.objects.count(),
        "counting": ("redis" if settings.REDIS_URL else "aggregated") if aggregated else "sync",
        "machine_ref_us": machine_reference_us(),
    }))


if __name__ == "__main__":
    main()
