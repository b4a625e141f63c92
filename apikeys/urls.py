from django.urls import path

from portal import views as portal_views

app_name = "apikeys"

# Placeholder until the API-keys pages land (issue 3).
urlpatterns = [
    path("", portal_views.dashboard, name="list"),
]
