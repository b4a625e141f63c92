"""The API benchmark (`make bench`): one JSON line per case.

Starts gunicorn (2 sync workers) on 127.0.0.1 against a fresh SQLite database (PostgreSQL
when DATABASE_URL is set; Redis for the cache when REDIS_URL is set), with 10,000 keys in
the table, and drives a bounded load from a separate process (bench/load.py) for:

  a  GET /api/v1/health, no authentication
  b  GET /api/v1/me with X-API-Key
  c  GET /api/v1/me with X-API-Key and HMAC signing
  d  POST /api/v1/sms/send with X-API-Key (locmem SMS backend)

then prints the ratio of (b) to (a), the in-process cost of a key check, and whether Times
Used equals the number of 2xx answers: 2.5 s after the load (lag) and after a graceful
stop. By default two servers run side by side, one writing usage counts on every request
("sync", the "before") and one aggregating them in each worker ("aggregated", the
"after"); --counting picks one. Each case runs in rounds that alternate between them, and
the median round is reported.

The machine is shared and noisy: compare ratios from one run, not absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import PYTHON, ROOT, make_site, start_server  # noqa: E402

CASES = [
    ("a", "GET /api/v1/health (no auth)", {"method": "GET", "path": "/api/v1/health"}),
    ("b", "GET /api/v1/me X-API-Key", {"method": "GET", "path": "/api/v1/me"}),
    ("c", "GET /api/v1/me X-API-Key + HMAC", {"method": "GET", "path": "/api/v1/me",
                                             "sign": True}),
    ("d", "POST /api/v1/sms/send X-API-Key (locmem)", {
        "method": "POST", "path": "/api/v1/sms/send",
        "body": json.dumps({"to": ["+14155551234"], "message": "Benchmark"})}),
]


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


def load(url: str, spec: dict, args) -> dict:
    spec = {"url": url, "connections": args.connections, "duration": args.duration,
            "max_requests": args.max_requests, **spec}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        out = subprocess.run([PYTHON, "-m", "bench.load", handle.name], cwd=ROOT,  # noqa: S603
                             capture_output=True, text=True, check=True,
                             timeout=args.duration + 120).stdout
    finally:
        os.unlink(handle.name)
    return json.loads(out)


def prepare(mode: str, args, key_checks: bool) -> dict:
    """A site (database) and a running server for one way of counting."""
    flush = "1" if mode == "aggregated" else "0"
    site = make_site({"API_USAGE_FLUSH_SECONDS": flush}, suffix=f"bench_{mode}")
    seeded = site.script("bench.seed", "--filler", str(args.keys), "--cloud", "3",
                         "--signing", str(args.signing_keys * args.rounds))
    keys = seeded["keys"]
    try:
        server = _measure_and_start(site, keys, args, key_checks)
    except BaseException:
        site.close()
        raise
    return {"mode": mode, "site": site, "server": server, "keys": keys, "expected": {},
            "rounds": {name: [] for name, _, _ in CASES}}


def _measure_and_start(site, keys: dict, args, key_checks: bool):
    for sync in ((True, False) if key_checks else ()):
        check = site.script("bench.keycheck", keys["cloud"][2]["key"], "-n", str(args.checks),
                            *(["--sync"] if sync else []))
        emit({"case": "key_check_in_process", "counting": check["counting"],
              "median_us": check["median_us"], "p99_us": check["p99_us"],
              "checks": check["checks"], "keys_in_table": check["keys_in_table"],
              "engine": site.engine, "goal_us": 100,
              "machine_ref_us": check["machine_ref_us"]})
    return start_server(site, workers=2)


def run_round(run: dict, number: int, args) -> None:
    keys = run["keys"]
    per_round = args.signing_keys
    for name, _label, spec in CASES:
        case_keys = {
            "b": keys["cloud"][:1],
            # Each round signs with keys of its own: a (timestamp, signature) pair is
            # accepted once, so rounds must not reuse one.
            "c": keys["signing"][number * per_round:(number + 1) * per_round],
            "d": keys["cloud"][1:2],
        }.get(name, [])
        result = load(run["server"].url, {**spec, "keys": case_keys,
                                          "duration": args.duration / args.rounds}, args)
        run["rounds"][name].append(result)
        for key_id, ok in result["ok_by_key"].items():
            if key_id:
                run["expected"][key_id] = run["expected"].get(key_id, 0) + ok


def report(run: dict, args) -> None:
    rps = {}
    for name, label, _spec in CASES:
        rounds = run["rounds"][name]
        rps[name] = statistics.median(r["rps"] for r in rounds)
        emit({"case": name, "what": label, "counting": run["mode"],
              "engine": run["site"].engine, "rps": round(rps[name], 1),
              "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
              "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
              "errors": sum(r["errors"] for r in rounds),
              "requests": sum(r["requests"] for r in rounds),
              "connections": args.connections, "rounds": len(rounds),
              "rps_by_round": [r["rps"] for r in rounds]})
    # The value is the ratio of the medians; each round's own b/a (measured seconds apart)
    # shows how much of a run-to-run difference is this machine's noise.
    by_round = [round(b["rps"] / a["rps"], 3)
                for a, b in zip(run["rounds"]["a"], run["rounds"]["b"], strict=True)]
    emit({"case": "ratio_b_to_a", "counting": run["mode"], "engine": run["site"].engine,
          "value": round(rps["b"] / rps["a"], 3), "goal": 0.85, "by_round": by_round})


def _compare(case: str, counting: str, site, expected: dict[str, int]) -> dict:
    counts = site.script("bench.counts", *expected)["times_used"]
    total_ok = sum(expected.values())
    total_used = sum(v or 0 for v in counts.values())
    return {"case": case, "counting": counting, "two_xx": total_ok, "times_used": total_used,
            "equal": counts == expected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counting", choices=["both", "sync", "aggregated"], default="both")
    parser.add_argument("--duration", type=float, default=9.0,
                        help="seconds per case and way of counting, split over the rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--keys", type=int, default=10_000, help="filler keys in the table")
    parser.add_argument("--signing-keys", type=int, default=10, help="per round")
    parser.add_argument("--checks", type=int, default=5000)
    args = parser.parse_args()
    modes = ["sync", "aggregated"] if args.counting == "both" else [args.counting]
    runs = []
    try:
        for n, mode in enumerate(modes):
            runs.append(prepare(mode, args, key_checks=n == 0))
        for run in runs:  # warm the workers up (imports, connections) before measuring
            load(run["server"].url, {"method": "GET", "path": "/api/v1/health",
                                     "duration": 1, "max_requests": 300}, args)
        # Rounds alternate between the ways of counting, so that a burst of noise on this
        # shared machine falls on both rather than on one.
        for number in range(args.rounds):
            for run in runs:
                run_round(run, number, args)
        for run in runs:
            report(run, args)
        time.sleep(2.5)
        for run in runs:
            emit(_compare("times_used_2.5s_after_load", run["mode"], run["site"],
                          run["expected"]))
        for run in runs:
            run["server"].stop()
            emit(_compare("times_used_after_graceful_stop", run["mode"], run["site"],
                          run["expected"]))
    finally:
        for run in runs:
            run["server"].stop()
            run["site"].close()


if __name__ == "__main__":
    main()
