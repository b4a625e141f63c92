from django.contrib import admin
from django.urls import include, path

from . import api, metrics, views

urlpatterns = [
    path("", include("accounts.root_urls")),
    path("help/", views.help_page, name="help"),
    path("", include("accounts.urls")),
    path("account/api-keys/", include("apikeys.urls")),
    path("account/", include("messaging.urls")),
    path("account/", include("security.urls")),
    path("api/v1/", api.urls()),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("metrics", metrics.metrics_view, name="metrics"),
]
