from django.urls import path, register_converter

from . import views


class KeyIdConverter:
    """A key's public lookup id: base62. Anything else is a 404 before any view or query
    (a NUL in a path would otherwise reach PostgreSQL, which refuses it: a 500)."""

    regex = "[0-9A-Za-z]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KeyIdConverter, "keyid")

app_name = "apikeys"

# Mounted at /account/api-keys/ (portal/urls.py). <key_id> is the key's public lookup id.
urlpatterns = [
    path("", views.key_list, name="list"),
    path("new/", views.key_new, name="new"),
    path("<keyid:key_id>/", views.key_detail, name="detail"),
    path("<keyid:key_id>/regenerate/", views.key_regenerate, name="regenerate"),
    path("<keyid:key_id>/delete/", views.key_delete, name="delete"),
    path("<keyid:key_id>/disable/", views.key_disable, name="disable"),
    path("<keyid:key_id>/enable/", views.key_enable, name="enable"),
    path("<keyid:key_id>/whitelist/", views.whitelist_add, name="whitelist_add"),
    path("<keyid:key_id>/whitelist/<int:entry_id>/delete/", views.whitelist_remove,
         name="whitelist_remove"),
]
