"""A throw-away portal served by gunicorn (or waitress) on 127.0.0.1: its own database,
migrated and seeded.

Used by the benchmark and by the tests that need real worker processes. SQLite by default
(a file in a temporary directory, with the database cache beside the data); PostgreSQL when
DATABASE_URL is set (a fresh database named after it, with "_srv" appended); Redis when
REDIS_URL is set.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """A database (and settings) that a server and helper scripts share."""

    env: dict[str, str]
    tmpdir: Path
    pg_admin_url: str = ""
    pg_name: str = ""

    @property
    def engine(self) -> str:
        return "postgresql" if self.pg_name else "sqlite"

    def manage(self, *args: str, timeout: float = 300) -> str:
        return self.python("-m", "django", *args, timeout=timeout)

    def python(self, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
        result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [PYTHON, *args], cwd=ROOT, env=self.env, input=stdin, capture_output=True,
            text=True, timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def script(self, module: str, *args: str, timeout: float = 600) -> dict:
        """Run `python -m module args` against this site; it prints one JSON object."""
        out = self.python("-m", module, *args, timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def close(self) -> None:
        if self.pg_name:
            _pg_execute(self.pg_admin_url, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def _pg_execute(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def make_site(extra_env: dict[str, str] | None = None, suffix: str = "srv") -> Site:
    """A fresh, migrated database with the cache table, collected static files, and the
    environment to reach them."""
    tmpdir = Path(tempfile.mkdtemp(prefix="portal-srv-"))
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_")) and key not in {"SQLITE_PATH"}
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "SMS_BACKEND": "locmem",
        "EMAIL_HOST": "",
        "SQLITE_PATH": str(tmpdir / "db.sqlite3"),
        "STATIC_ROOT": str(tmpdir / "static"),
        "CACHE_KEY_PREFIX": "srv" + secrets.token_hex(4),
    })
    env.update(extra_env or {})
    site = Site(env=env, tmpdir=tmpdir)
    database_url = env.get("DATABASE_URL", "")
    if database_url:
        parts = urlsplit(database_url)
        name = (parts.path.lstrip("/") or "postgres") + "_" + suffix
        site.pg_admin_url = urlunsplit(parts._replace(path="/postgres"))
        site.pg_name = name
        _pg_execute(site.pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_execute(site.pg_admin_url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
    site.manage("migrate", "--noinput", "-v0")
    site.manage("createcachetable")
    site.manage("collectstatic", "--noinput", "-v0")  # gunicorn refuses to start without
    return site


@dataclass
class Server:
    site: Site
    port: int
    process: subprocess.Popen
    log: Path
    workers: int = 2
    pids: list[int] = field(default_factory=list)
    # gunicorn stops gracefully on SIGTERM; waitress on SIGINT (SIGTERM kills it at once).
    stop_signal: int = signal.SIGTERM

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 30) -> int:
        """Graceful stop (workers finish, flush their counts, exit)."""
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(site: Site, workers: int = 2, timeout: float = 60,
                 extra_env: dict[str, str] | None = None, wsgi: str = "gunicorn") -> Server:
    """gunicorn with `workers` sync workers, or (`wsgi="waitress"`) one waitress process
    with 4 threads."""
    port = free_port()
    log = site.tmpdir / f"{wsgi}-{port}.log"
    env = {**site.env, **(extra_env or {})}
    if wsgi == "waitress":
        command = ["-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=4",
                   "portal.wsgi:application"]
    else:
        command = ["-m", "gunicorn", "portal.wsgi", "--config", str(ROOT / "gunicorn.conf.py"),
                   "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class",
                   "sync", "--graceful-timeout", "20"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [PYTHON, *command],
        cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )
    server = Server(site=site, port=port, process=process, log=log, workers=workers,
                    stop_signal=signal.SIGINT if wsgi == "waitress" else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{wsgi} exited:\n" + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(server.url + "/api/v1/health", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{wsgi} did not answer in time:\n" + log.read_text()[-3000:])


def run_inner(module: str, args: list[str], *, extra_env: dict[str, str] | None = None,
              suffix: str, timeout: int) -> None:
    """Run `python -m <module> --inner <args>` against a fresh site (make_site) and print
    the JSON lines it prints: the benchmarks that time code in process."""
    site = make_site(extra_env, suffix=suffix)
    try:
        out = site.python("-m", module, "--inner", *args, timeout=timeout)
    finally:
        site.close()
    for line in out.splitlines():
        if line.startswith("{"):
            print(line, flush=True)
