"""/ and /dashboard/, with the URL names the whole portal uses ("home", "dashboard")."""

from django.urls import path

from .views import dashboard

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]
