from django.urls import path

from . import verify_views, views

app_name = "messaging"

# Mounted at /account/ (portal/urls.py).
urlpatterns = [
    path("senders/", views.sender_names, name="senders"),
    path("senders/users/<int:pk>/", views.sub_user_senders, name="sub_user_senders"),
    path("verify/", verify_views.verify_page, name="verify"),
    path("verify/settings/", verify_views.verify_settings, name="verify_settings"),
    path("verify/try/", verify_views.verify_try, name="verify_try"),
    path("verify/try/check/", verify_views.verify_check, name="verify_check"),
]
