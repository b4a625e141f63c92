from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _
from ninja import Router

from .errors import OUTAGE_RETRY_AFTER, APIError
from .responses import ok
from .schemas import OkOut, errors

router = Router(tags=["health"])
log = logging.getLogger("portal.api")


@router.get("/health", auth=None, response={200: OkOut, **errors(503)},
            summary="Is the service up?")
def health(request):
    """`{"status": true}` when the database and the cache answer; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        cache.get("api:health")
    except Exception as exc:  # any failure of either is what this endpoint reports
        log.warning("health check failed: %s", type(exc).__name__)
        return APIError("SERVICE_UNAVAILABLE", _("The service is not available right now."),
                        retry_after=OUTAGE_RETRY_AFTER).response()
    return ok({})
