"""How much of the request path the lean door leaves to the key check and counting:
`python -m bench.lean` (from the project root, after `make test` made .venv).

Side by side over HTTP, alternating rounds, both under gunicorn -w 2 on SQLite: our bare
view on the lean door (no authentication: a JsonResponse of the anchor's payload), our
health and `GET /api/v1/me` with a key (checked and counted), against the
djangorestframework-api-key reference app's `/plain/` (bare Django) and `/noauth/` (DRF, no
authentication), from ../shared/perf (its virtualenv /tmp/anchor-venv is made by
../shared/perf/vs_drf.py). Prints one JSON line of medians: req/s, the ratios, and the
server's CPU time per answered request (its workers', from /proc, in microseconds). The
client shares the two cores with the servers, so req/s moves with whatever else runs; CPU
per request says what each server itself spends on one answer.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.server import PYTHON, ROOT, free_port, make_site, start_server

PERF = ROOT.parent / "shared" / "perf"
ANCHOR_PYTHON = Path("/tmp/anchor-venv/bin/python")  # noqa: S108 (where vs_drf.py puts it)
ROUNDS, SECONDS, CONNECTIONS = 3, 6, 16


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a server: its master and its workers, from /proc."""
    pids = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            pids += [int(child) for child in children.read().split()]
    total = 0
    for each in pids:
        try:
            with open(f"/proc/{each}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that just exited
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def load(url: str, key: str | None, pid: int) -> tuple[float, float]:
    """(req/s, the CPU microseconds per answered request of the server whose master is `pid`)."""
    before = _cpu_seconds(pid)
    command = [PYTHON, str(PERF / "http_bench.py"), "--url", url, "-d", str(SECONDS),
               "-c", str(CONNECTIONS), "-t", "2"]
    if key:
        command += ["-H", f"X-API-Key: {key}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    result = json.loads(out.strip().splitlines()[-1])
    if result["non_2xx"]:
        raise SystemExit(f"{url}: {result['non_2xx']} answers were not 2xx")
    cpu = (_cpu_seconds(pid) - before) / result["total"] * 1e6
    return result["rps"], cpu


def start_anchor(tmp: Path) -> tuple[subprocess.Popen, int]:
    anchor = PERF / "drf_api_key_ref"
    env = {**os.environ, "ANCHOR_DB": str(tmp / "ref.sqlite3"), "ANCHOR_SQLITE_WAL": "1",
           "ANCHOR_CONN_MAX_AGE": "600"}
    subprocess.run([str(ANCHOR_PYTHON), "manage.py", "migrate", "-v0"], cwd=anchor,  # noqa: S603
                   env=env, check=True)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [str(ANCHOR_PYTHON.parent / "gunicorn"), "refproj.wsgi:application", "-w", "2", "-b",
         f"127.0.0.1:{port}", "--log-level", "warning"], cwd=anchor, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port


def main() -> None:
    if not ANCHOR_PYTHON.exists():
        raise SystemExit("run python3 ../shared/perf/vs_drf.py once first (it makes "
                         "/tmp/anchor-venv)")
    site = make_site({"DJANGO_SETTINGS_MODULE": "bench.bare_settings",
                      "API_KEY_RATE_LIMIT_PER_MINUTE": "1000000000"}, suffix="lean")
    tmp = Path(tempfile.mkdtemp(prefix="lean-"))
    anchor, anchor_port = start_anchor(tmp)
    server = None
    try:
        key = site.script("bench.seed", "--filler", "1000", "--cloud", "1",
                          "--username", "lean")["keys"]["cloud"][0]["key"]
        server = start_server(site, workers=2)
        anchor_url = f"http://127.0.0.1:{anchor_port}"
        ours, theirs = server.process.pid, anchor.pid
        cases = {
            "ours_bare": (server.url + "/api/v1/bench-bare", None, ours),
            "ours_health": (server.url + "/api/v1/health", None, ours),
            "ours_me": (server.url + "/api/v1/me", key, ours),
            "drf_plain": (anchor_url + "/plain/", None, theirs),
            "drf_noauth": (anchor_url + "/noauth/", None, theirs),
        }
        for case in cases.values():  # warm-up
            load(*case)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(ROUNDS):
            for name, case in cases.items():
                runs[name].append(load(*case))
        median = {name: round(statistics.median(rps for rps, _ in values), 1)
                  for name, values in runs.items()}
        cpu = {name: round(statistics.median(us for _, us in values))
               for name, values in runs.items()}
        print(json.dumps({
            "rps_median": median,
            "server_cpu_us_per_request": cpu,
            "cpu me/drf_noauth": round(cpu["ours_me"] / cpu["drf_noauth"], 3),
            "bare/drf_noauth": round(median["ours_bare"] / median["drf_noauth"], 3),
            "bare/drf_plain": round(median["ours_bare"] / median["drf_plain"], 3),
            "me/bare": round(median["ours_me"] / median["ours_bare"], 3),
            "me/drf_noauth": round(median["ours_me"] / median["drf_noauth"], 3),
        }))
    finally:
        if server is not None:
            server.stop()
        anchor.terminate()
        anchor.wait(timeout=20)
        site.close()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)  # noqa: S603, S607


if __name__ == "__main__":
    sys.exit(main())
