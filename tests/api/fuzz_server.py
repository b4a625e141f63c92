"""Schemathesis's command line against a real server: does the OpenAPI document say exactly
what the server accepts and answers?

`python -m tests.api.fuzz_server [--max-time 240] [-- more schemathesis options]` starts a
throw-away portal under gunicorn (bench.server: SQLite, or PostgreSQL and Redis when
DATABASE_URL / REDIS_URL are set), makes an account and a token, then runs
`schemathesis run <server>/api/v1/openapi.json` with every phase (examples, coverage,
fuzzing, stateful) and every check but `use_after_free` (API.md: a deleted key is revoked,
and stays readable as such), the document's own formats loaded from
tests/api/fuzz_formats.py. Exits with schemathesis's status: non-zero on any failure.

tests/api/test_schemathesis.py fuzzes in process on every test run; this is CI's run over
HTTP against gunicorn, with the stateful phase.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.server import ROOT, Site, make_site, start_server

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) \
    or "schemathesis"
HOOKS = "tests.api.fuzz_formats"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"  # expected statuses (414)
# Limits a run reaches in its first seconds: each refusal is in the document, but a run
# that gets only 429s tests nothing else.
SERVER_ENV = {
    "API_KEY_RATE_LIMIT_PER_MINUTE": str(10**9),
    "API_TOKEN_RATE_LIMIT_PER_MINUTE": str(10**9),
    "JWT_LIFETIME_SECONDS": str(24 * 60 * 60),
}
SEED = """
import json
import django
django.setup()
from accounts import tokens
from accounts.models import User
user = User.objects.create_user("fuzz", "fuzz@example.com", "Fuzz-Password-2024",
                                email_confirmed=True)
print(json.dumps({"token": tokens.issue(user)[0]}))
"""


def command(url: str, token: str, max_time: int, extra: list[str]) -> list[str]:
    return [
        SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{url}/api/v1/openapi.json",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "all", "--exclude-checks", "use_after_free",
        "--max-time", str(max_time),
        # The token authenticates every request. Without this, schemathesis adds keys of its
        # own making beside it, and most requests only test "two credentials: 401".
        "--header", f"Authorization: Bearer {token}",
        "--generation-with-security-parameters", "false",
        "--suppress-health-check", "all",
        "--no-color", *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-time", type=int, default=240, help="seconds (default 240)")
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args(argv)
    site = make_site(SERVER_ENV, suffix="fuzz")
    try:
        token = _token(site)
        server = start_server(site, workers=2)
        try:
            run = command(server.url, token, args.max_time, args.extra)
            print(f"$ SCHEMATHESIS_HOOKS={HOOKS}", " ".join(run).replace(token, "<token>"),
                  flush=True)
            # Run in the site's directory, which goes with it: schemathesis keeps a cache there.
            env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)}
            status = subprocess.run(run, cwd=site.tmpdir, env=env,  # noqa: S603
                                    check=False).returncode
        finally:
            server.stop()
        if status:
            _print_errors(server.log.read_text())
        return status
    finally:
        site.close()


def _print_errors(log: str) -> None:
    """The server's errors (a 500's traceback), not the e-mails it printed."""
    lines = log.splitlines()
    starts = [n for n, line in enumerate(lines) if " ERROR " in line]
    print(f"--- the server logged {len(starts)} errors; the first ---")
    for start in starts[:3]:
        print("\n".join(lines[start:start + 40]))


def _token(site: Site) -> str:
    return json.loads(site.python("-c", SEED).strip().splitlines()[-1])["token"]


if __name__ == "__main__":
    sys.exit(main())
