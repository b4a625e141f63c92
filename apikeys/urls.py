from django.urls import path

from . import views

app_name = "apikeys"

# Mounted at /account/api-keys/ (portal/urls.py). <key_id> is the key's public lookup id.
urlpatterns = [
    path("", views.key_list, name="list"),
    path("new/", views.key_new, name="new"),
    path("<str:key_id>/", views.key_detail, name="detail"),
    path("<str:key_id>/regenerate/", views.key_regenerate, name="regenerate"),
    path("<str:key_id>/delete/", views.key_delete, name="delete"),
    path("<str:key_id>/whitelist/", views.whitelist_add, name="whitelist_add"),
    path("<str:key_id>/whitelist/<int:entry_id>/delete/", views.whitelist_remove,
         name="whitelist_remove"),
]
