"""WSGI entry point: `gunicorn portal.wsgi`."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# After setup, before the first request: with DEBUG off and the static files not collected,
# the server stops here with the fix instead of answering 500 on every page.
from portal.checks import refuse_to_serve_without_static_files  # noqa: E402

refuse_to_serve_without_static_files()
