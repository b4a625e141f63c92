"""System checks of the production settings: what would fail at the first page, or quietly
later, is said when the portal is set up.

- portal.E001 (DEBUG off): the static files are not collected, or were collected before some
  were added: every page would answer 500 ("Missing staticfiles manifest entry"). A
  deployment check, and run by portal/wsgi.py, so gunicorn and runserver refuse to start;
  `migrate` and the other commands need no static files (and a release may migrate first).
- portal.W001: SITE_URL is a local address: links in e-mails would lead nowhere.
- portal.W002: the database is SQLite.
The warnings come only from `check --deploy`: the benchmarks and the tests run the production
settings on SQLite and 127.0.0.1 on purpose.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}  # noqa: S104 (names, not binds)
COLLECT = "Run `python manage.py collectstatic --noinput` with these same settings, on every " \
          "release."


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """portal.E001: every static file has its entry in the collected manifest."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    found = [path for finder in finders.get_finders() for path, _ in finder.list(ignore)]
    missing = []
    for path in found:
        try:
            staticfiles_storage.url(path)  # what every page does; ValueError: not in manifest
        except ValueError:
            missing.append(path)
    if not missing:
        return []
    if len(missing) == len(found):
        message = (f"The static files are not collected in STATIC_ROOT "
                   f"({settings.STATIC_ROOT}): with DEBUG off every page would answer 500.")
    else:
        message = (f"The static files in STATIC_ROOT ({settings.STATIC_ROOT}) were collected "
                   f"before {len(missing)} of them were added (e.g. {missing[0]}): the pages "
                   f"that use them would answer 500.")
    return [checks.Error(message, hint=COLLECT, id="portal.E001")]


def refuse_to_serve_without_static_files() -> None:
    """Called by portal/wsgi.py: no server starts to answer 500 on every page."""
    errors = static_files_collected()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")


@checks.register(deploy=True)
def site_url_is_public(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """portal.W001: SITE_URL names the portal's public address, not this machine."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host.lower() not in LOCAL_HOSTS:
        return []
    return [checks.Warning(
        f"SITE_URL is {settings.SITE_URL}, a local address: the links in e-mails (address "
        "confirmations, password resets, security notices) would lead there.",
        hint="Set SITE_URL to the portal's public address, e.g. https://portal.example.com.",
        id="portal.W001",
    )]


@checks.register(deploy=True)
def database_is_not_sqlite(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """portal.W002: production runs on PostgreSQL."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return []
    return [checks.Warning(
        f"The database is SQLite ({database['NAME']}): one machine, one writer at a time, "
        "and no server of its own to back up or fail over.",
        hint="Set DATABASE_URL to a PostgreSQL database, e.g. "
             "postgres://portal:PASSWORD@db.example.com:5432/portal.",
        id="portal.W002",
    )]
