from django.urls import path

from .views import activity, devices, whitelists

app_name = "security"

# Mounted at /account/ by portal/urls.py.
urlpatterns = [
    path("whitelists/", whitelists.whitelists_page, name="whitelists"),
    path("whitelists/add/", whitelists.add, name="whitelist_add"),
    path("whitelists/<int:pk>/remove/", whitelists.remove, name="whitelist_remove"),
    path("devices/", devices.devices_page, name="devices"),
    path("devices/sessions/<int:pk>/sign-out/", devices.sign_out, name="session_sign_out"),
    path("devices/sessions/sign-out-others/", devices.sign_out_others,
         name="sign_out_others"),
    path("devices/browsers/<int:pk>/forget/", devices.forget_browser, name="forget_browser"),
    path("activity/", activity.activity_page, name="activity"),
]
