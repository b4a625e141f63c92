from django.urls import path

from . import views

app_name = "messaging"

# Mounted at /account/senders/ (portal/urls.py).
urlpatterns = [
    path("", views.sender_names, name="senders"),
    path("users/<int:pk>/", views.sub_user_senders, name="sub_user_senders"),
]
