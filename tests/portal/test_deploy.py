"""Production settings: refuse to start unsafely, say what is missing when the portal is set
up (portal/checks.py), and pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from portal import checks

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-a-long-random-secret-key-for-the-deploy-test-0123456789"
# What an operator sets (README: Deploying); nothing connects to this database here.
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": STRONG_KEY, "SITE_URL": "https://portal.example.com",
              "DATABASE_URL": "postgres://portal@db.invalid:5432/portal"}
MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests; a deployment must not have it.
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_COOKIES",
                          "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "SITE_URL",
                          "STATIC_ROOT"}}
    clean.update(env)
    # Our own interpreter with fixed arguments: nothing untrusted runs here.
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean,  # noqa: S603
                          capture_output=True, text=True, timeout=120)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return _run("manage.py", *args, **env)


def _manifest_storage() -> dict:
    return {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="short")
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> str:
    """A STATIC_ROOT with the static files collected, as a release does."""
    root = str(tmp_path_factory.mktemp("static"))
    result = _manage("collectstatic", "--noinput", "-v0", **PRODUCTION, STATIC_ROOT=root)
    assert result.returncode == 0, result.stderr
    return root


def test_production_settings_pass_check_deploy(collected):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION,
                     STATIC_ROOT=collected)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_plain_http_switch_is_what_check_deploy_warns_about(collected):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION,
                     STATIC_ROOT=collected, SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_check_deploy_warns_about_a_local_site_url_and_sqlite_with_the_fix(collected):
    result = _manage("check", "--deploy", DEBUG="0", SECRET_KEY=STRONG_KEY,
                     STATIC_ROOT=collected)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out  # warnings: nothing stops
    assert "(portal.W001) SITE_URL is http://localhost:8000, a local address" in out
    assert "HINT: Set SITE_URL to the portal's public address" in out
    assert "(portal.W002) The database is SQLite" in out
    assert "HINT: Set DATABASE_URL to a PostgreSQL database" in out


def test_the_warnings_and_uncollected_static_files_stop_no_command(tmp_path):
    # Benchmarks and tests run the production settings on SQLite; a release migrates before
    # it collects the static files.
    result = _manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY, STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_no_server_starts_without_the_static_files_and_says_what_to_run(tmp_path, collected):
    code = "import portal.wsgi"  # what gunicorn and runserver load first
    env = {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    refused = _run("-c", code, **env, STATIC_ROOT=str(tmp_path))
    assert refused.returncode != 0
    assert "The static files are not collected in STATIC_ROOT" in refused.stderr
    assert "python manage.py collectstatic --noinput" in refused.stderr
    assert _run("-c", code, **env, STATIC_ROOT=collected).returncode == 0


def test_a_missing_static_manifest_is_an_error_with_the_fix(tmp_path):
    with override_settings(DEBUG=False, STATIC_ROOT=tmp_path,
                           STORAGES=_manifest_storage()):
        [error] = checks.static_files_collected()
    assert error.id == "portal.E001" and error.is_serious()
    assert "not collected" in error.msg and "collectstatic --noinput" in error.hint


def test_a_static_file_added_after_collecting_is_named(tmp_path, collected):
    (tmp_path / "added.css").write_text("body {}")
    with override_settings(DEBUG=False, STATIC_ROOT=collected,
                           STORAGES=_manifest_storage()):
        assert checks.static_files_collected() == []
        with override_settings(STATICFILES_DIRS=[*settings.STATICFILES_DIRS, tmp_path]):
            [error] = checks.static_files_collected()
    assert "before 1 of them were added (e.g. added.css)" in error.msg


def test_development_needs_no_collected_static_files(tmp_path):
    with override_settings(DEBUG=True, STATIC_ROOT=tmp_path):
        assert checks.static_files_collected() == []


def test_a_public_site_url_raises_no_warning():
    with override_settings(SITE_URL="https://portal.example.com"):
        assert checks.site_url_is_public() == []
    for local in ("http://127.0.0.1:8000", "http://localhost", "http://[::1]:8000"):
        with override_settings(SITE_URL=local):
            assert [w.id for w in checks.site_url_is_public()] == ["portal.W001"]


def test_a_bad_trusted_proxy_stops_the_start():
    result = _manage("check", DEBUG="1", TRUSTED_PROXIES="10.0.0.0/33")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address or CIDR range." in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_the_session_cookie_is_secure_httponly_lax_and_host_prefixed(tmp_path):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','portal.settings');"
        "django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DEBUG="0", SECRET_KEY=STRONG_KEY)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,  # noqa: S603
                         capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    assert out == ["__Host-sessionid", "True", "True", "Lax", "__Host-csrftoken", "True",
                   "31536000", "True", "True"]
