"""DATABASE_URL in every form users write, and a clear error for one we cannot use."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE = (
    "import django, json; django.setup(); "
    "from django.test import Client; from django.conf import settings; "
    "r = Client().get('/api/v1/health'); "
    "print(json.dumps([r.status_code, settings.DATABASES['default']['NAME']]))"
)


def _run(args: list[str], url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DEBUG="1", DATABASE_URL=url, DJANGO_SETTINGS_MODULE="portal.settings")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=300)


def test_an_absolute_sqlite_url_migrates_and_serves_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path}/portal.sqlite3"  # sqlite:////tmp/... : four slashes
    assert url.startswith("sqlite:////")
    for command in (["migrate", "--noinput"], ["createcachetable"]):
        done = _run(["manage.py", *command], url)
        assert done.returncode == 0, done.stderr
    served = _run(["-c", SERVE], url)
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip().splitlines()[-1] == f'[200, "{tmp_path}/portal.sqlite3"]'
    with sqlite3.connect(tmp_path / "portal.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_relative_sqlite_url_is_read_from_the_project_directory():
    done = _run(["-c", "import django; django.setup(); from django.conf import settings; "
                       "print(settings.DATABASES['default']['NAME'])"], "sqlite:///var/x.db")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(ROOT / "var" / "x.db")


@pytest.mark.parametrize("url", ["postgres://u:pw@db.example:5432/portal",
                                 "postgresql://u:pw@db.example/portal"])
def test_both_postgres_schemes_are_postgresql_with_prepared_statements(url):
    done = _run(["-c", "import django; django.setup(); from django.conf import settings; "
                       "d = settings.DATABASES['default']; "
                       "print(d['ENGINE'], d['NAME'], d['OPTIONS'], d['CONN_HEALTH_CHECKS'])"],
                url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["django.db.backends.postgresql", "portal",
                                   "{'prepare_threshold':", "5}", "True"]


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://root:s3cret-pw@db/portal", "the scheme 'mysql' is not supported"),
    ("sqlite://portal.db", "sqlite:///relative/path or sqlite:////absolute/path"),
    ("postgres://u:s3cret-pw@db:5432", "names no database"),
    ("not a url", "is not supported"),
])
def test_a_url_we_cannot_use_stops_the_start_clearly(url, says):
    done = _run(["manage.py", "check"], url)
    assert done.returncode != 0
    assert says in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout
