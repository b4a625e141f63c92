"""A small load generator, run as its own process: `python -m bench.load SPEC.json`.

It keeps C connections busy (one request at a time each, a new TCP connection per request
as gunicorn's sync workers close them) from one thread with `selectors`, for a fixed time
or a fixed number of requests, whichever comes first: the load is bounded. It prints one
JSON object: requests, seconds, rps, p50/p99 latency (ms), errors and the 2xx count per
key.

The spec: {"url", "connections", "duration", "max_requests", "method", "path", "body",
"headers", "keys": [{"id", "key", "secret"}], "sign": bool}. Requests rotate over the
keys; with "sign", each request gets an (X-Timestamp, X-Signature) pair of its own: the
timestamps are spread over the accepted window, so no pair repeats (a repeat is refused
as a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import selectors
import socket
import sys
import time
from urllib.parse import urlsplit

WINDOW = 250  # seconds either side of now, inside the server's 300


def build_requests(spec: dict) -> list[tuple[str, bytes]]:
    """(key id, raw request bytes) for every request the run may send."""
    host = urlsplit(spec["url"]).netloc
    method, path = spec["method"], spec["path"]
    body = spec.get("body", "").encode()
    keys = spec.get("keys") or [{"id": "", "key": None, "secret": None}]
    limit = spec["max_requests"]
    if spec.get("sign"):
        limit = min(limit, len(keys) * (2 * WINDOW + 1))
    base = int(time.time())
    requests = []
    for n in range(limit):
        key = keys[n % len(keys)]
        headers = {"Host": host, "Connection": "close", "User-Agent": "bench",
                   **spec.get("headers", {})}
        if key["key"]:
            headers["X-API-Key"] = key["key"]
        if body:
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(body))
        if spec.get("sign"):
            ts = str(base - WINDOW + n // len(keys))
            message = f"{method}|{path}|{ts}|".encode() + body
            headers["X-Timestamp"] = ts
            headers["X-Signature"] = hmac.new(key["secret"].encode(), message,
                                              hashlib.sha256).hexdigest()
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        requests.append((key["id"], head.encode() + body))
    return requests


class Conn:
    __slots__ = ("sock", "out", "buf", "started", "key_id")


def run(spec: dict) -> dict:
    parts = urlsplit(spec["url"])
    address = (parts.hostname, parts.port)
    requests = build_requests(spec)
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    ok_by_key: dict[str, int] = {}
    errors = 0
    sent = 0
    deadline = time.perf_counter() + spec["duration"]

    def open_next() -> bool:
        nonlocal sent
        if sent >= len(requests) or time.perf_counter() >= deadline:
            return False
        conn = Conn()
        conn.key_id, conn.out = requests[sent]
        sent += 1
        conn.buf = b""
        conn.started = time.perf_counter()
        conn.sock = socket.socket()
        conn.sock.setblocking(False)
        conn.sock.connect_ex(address)
        selector.register(conn.sock, selectors.EVENT_WRITE, conn)
        return True

    def finish(conn: Conn, failed: bool) -> None:
        nonlocal errors
        selector.unregister(conn.sock)
        conn.sock.close()
        latencies.append(time.perf_counter() - conn.started)
        status = conn.buf[9:12].decode("ascii", "replace") if not failed else "conn"
        statuses[status] = statuses.get(status, 0) + 1
        if status.startswith("2"):
            ok_by_key[conn.key_id] = ok_by_key.get(conn.key_id, 0) + 1
        else:
            errors += 1
        open_next()

    started = time.perf_counter()
    for _ in range(spec["connections"]):
        open_next()
    while selector.get_map():
        for event, mask in selector.select(timeout=5):
            conn = event.data
            try:
                if mask & selectors.EVENT_WRITE:
                    done = conn.sock.send(conn.out)
                    conn.out = conn.out[done:]
                    if not conn.out:
                        selector.modify(conn.sock, selectors.EVENT_READ, conn)
                    continue
                chunk = conn.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                finish(conn, True)
                continue
            if chunk:
                conn.buf += chunk
                if _complete(conn.buf):
                    finish(conn, False)
            else:
                finish(conn, not conn.buf)
    elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "seconds": round(elapsed, 3),
        "rps": round(count / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 2),
        "errors": errors,
        "status": statuses,
        "ok_by_key": ok_by_key,
    }


def _complete(buf: bytes) -> bool:
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in buf[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(buf) - end - 4 >= int(value.strip())
    return False  # no length: read until the server closes


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values) + 0.5) - 1))
    return values[index]


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(json.dumps(run(json.load(handle))))
