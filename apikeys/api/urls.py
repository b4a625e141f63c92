"""Mounted at /api/v1/ by portal/urls.py."""

from __future__ import annotations

from django.urls import path

from .main import api

urlpatterns = [path("", api.urls)]
