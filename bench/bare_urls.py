"""The portal's URLs plus one bare API view (bench/lean.py): what the lean door costs alone."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import path

from portal.urls import urlpatterns as portal_patterns

PAYLOAD = {"ok": True, "service": "anchor", "items": [1, 2, 3]}  # the anchor's own answer


def bare(request):
    return JsonResponse(PAYLOAD)


urlpatterns = [path("api/v1/bench-bare", bare), *portal_patterns]
