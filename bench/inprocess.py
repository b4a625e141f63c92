"""What an API request costs inside the worker: `python -m bench.inprocess`.

Calls the WSGI application directly (no server, no socket) for our bare view on the lean door
(bench/bare_urls.py), GET /api/v1/health and GET /api/v1/me with a key (checked and counted,
the aggregated way a gunicorn worker counts, metrics in multiprocess mode as under
gunicorn), in interleaved rounds so that the machine's drift hits every case alike. Prints
one JSON line: the median and the 25th percentile of each, in microseconds. Compare cases
within one run; `python -m bench.lean` and ../shared/perf/vs_drf.py give the same cases
over HTTP.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time

CASES = {"bare": "/api/v1/bench-bare", "health": "/api/v1/health", "me": "/api/v1/me"}


def _environ(path: str, key: str | None) -> dict:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000",
               "HTTP_USER_AGENT": "bench", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr}
    if key:
        environ["HTTP_X_API_KEY"] = key
    return environ


def inner(rounds: int, calls: int) -> None:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-metrics-"))
    from apikeys.api import counting
    from portal.wsgi import application

    counting.start(interval=1.0)  # as gunicorn.conf.py does in each worker
    key = os.environ["BENCH_KEY"]

    def call(path: str, credential: str | None) -> str:
        status = []
        b"".join(application(_environ(path, credential),
                             lambda line, headers, exc_info=None: status.append(line)))
        return status[0]

    timings: dict[str, list[int]] = {name: [] for name in CASES}
    names = list(CASES)
    for _ in range(rounds):
        random.shuffle(names)
        for name in names:
            credential = key if name == "me" else None
            for _ in range(20):  # warm this case up again after the others
                call(CASES[name], credential)
            for _ in range(calls):
                started = time.perf_counter_ns()
                status = call(CASES[name], credential)
                timings[name].append(time.perf_counter_ns() - started)
            if not status.startswith("200"):
                raise SystemExit(f"{CASES[name]} answered {status}")
    counting.stop()
    figures = {}
    for name, values in timings.items():
        values.sort()
        figures[name] = {"median_us": round(statistics.median(values) / 1000, 1),
                         "p25_us": round(values[len(values) // 4] / 1000, 1)}
    print(json.dumps({"in_process": figures, "calls_each": len(timings["me"]),
                      "load": round(os.getloadavg()[0], 1)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        import django

        django.setup()
        inner(args.rounds, args.calls)
        return
    from bench.server import make_site

    site = make_site({"DJANGO_SETTINGS_MODULE": "bench.bare_settings",
                      "API_KEY_RATE_LIMIT_PER_MINUTE": "1000000000"}, suffix="inprocess")
    try:
        site.env["BENCH_KEY"] = site.script("bench.seed", "--filler", "1000", "--cloud", "1",
                                            "--username", "inprocess")["keys"]["cloud"][0]["key"]
        out = site.python("-m", "bench.inprocess", "--inner", "--rounds", str(args.rounds),
                          "--calls", str(args.calls), timeout=1800)
    finally:
        site.close()
    for line in out.splitlines():
        if line.startswith("{"):
            print(line, flush=True)


if __name__ == "__main__":
    main()
