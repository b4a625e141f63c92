"""Security headers on pages and API responses; cookies and HSTS with production settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, list[str]]:
    csp = response["Content-Security-Policy"]
    return dict((part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip())


def _assert_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    directives = _policy(response)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == ["'none'"]
    _assert_the_others(response)


def _assert_the_others(response) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def _assert_api_headers(response) -> None:
    # A JSON answer loads nothing and is never framed: its policy allows nothing at all.
    assert response["Content-Type"].startswith("application/json")
    assert _policy(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
    _assert_the_others(response)


@pytest.mark.django_db
class TestHeaders:
    def test_a_page_carries_them(self, client):
        _assert_headers(client.get("/accounts/login/"))

    def test_a_signed_in_page_carries_them(self, alice_browser):
        _assert_headers(alice_browser.get("/account/devices/"))

    def test_an_api_response_carries_them(self, client):
        _assert_api_headers(client.get("/api/v1/health"))

    def test_the_api_docs_page_has_the_portals_policy(self, client):
        # HTML that loads the site's own script and styles (Swagger UI).
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        _assert_headers(response)

    def test_an_api_error_carries_them(self, client):
        response = client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        _assert_api_headers(response)

    def test_the_whitelist_refusal_page_carries_them(self, alice, alice_browser):
        from security.models import IPWhitelistEntry

        IPWhitelistEntry.objects.create(user=alice, kind="portal", value="198.51.100.7")
        response = alice_browser.get("/dashboard/", REMOTE_ADDR="192.0.2.1")
        assert response.status_code == 403
        _assert_headers(response)


# Run in a separate process so that the real production settings module is imported
# (DEBUG off: secure cookies with the __Host- prefix, HSTS, SSL redirect).
_PRODUCTION_PROBE = r"""
import json, django
from django.conf import settings
settings.STORAGES["staticfiles"]["BACKEND"] = (
    "django.contrib.staticfiles.storage.StaticFilesStorage")  # no collectstatic manifest here
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
from django.test import Client
from accounts.models import User
user = User.objects.create_user("prod", "prod@example.com", "Tr1cky-Sunset-42")
user.email_confirmed = True
user.save()
client = Client(HTTP_USER_AGENT="probe")
plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", secure=True)
signed = client.post("/accounts/login/", {"username": "prod", "password": "Tr1cky-Sunset-42"},
                     secure=True)
api = client.get("/api/v1/health", secure=True)
def cookie(response, name):
    m = response.cookies[name]
    return {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]),
            "samesite": m["samesite"], "path": m["path"], "domain": m["domain"]}
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
    "signed_status": signed.status_code,
    "hsts": page.get("Strict-Transport-Security", ""),
    "api_hsts": api.get("Strict-Transport-Security", ""),
    "session": cookie(signed, settings.SESSION_COOKIE_NAME),
    "csrf": cookie(page, settings.CSRF_COOKIE_NAME),
    "device": cookie(signed, settings.DEVICE_COOKIE_NAME),
    "names": [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME,
              settings.DEVICE_COOKIE_NAME, settings.REMEMBER_COOKIE_NAME],
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "SECURE_COOKIES",
                       "SECURE_SSL_REDIRECT", "EMAIL_HOST"}
    }
    env.update({
        "DEBUG": "0",
        "SECRET_KEY": "production-probe-" + "k" * 60,
        "SQLITE_PATH": str(tmp_path_factory.mktemp("prod") / "db.sqlite3"),
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "LOG_LEVEL": "ERROR",
    })
    # A fixed command line: this interpreter and the probe above.
    result = subprocess.run([sys.executable, "-c", _PRODUCTION_PROBE], cwd=ROOT, env=env,  # noqa: S603
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


class TestProductionSettings:
    def test_plain_http_is_redirected_to_https(self, production):
        assert production["plain_status"] == 301
        assert production["plain_location"].startswith("https://")

    def test_hsts_is_set_for_a_year_with_subdomains(self, production):
        for header in (production["hsts"], production["api_hsts"]):
            assert "max-age=31536000" in header and "includeSubDomains" in header

    def test_cookies_are_secure_httponly_and_host_only(self, production):
        assert production["signed_status"] == 302
        for name in ("session", "csrf", "device"):
            cookie = production[name]
            assert cookie["secure"] and cookie["httponly"], name
            assert cookie["samesite"] == "Lax" and cookie["path"] == "/", name
            assert not cookie["domain"], name
        assert all(name.startswith("__Host-") for name in production["names"])
