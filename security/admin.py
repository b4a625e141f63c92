from __future__ import annotations

from django.contrib import admin

from . import sessions
from .models import IPWhitelistEntry, KnownDevice, RememberedBrowser, SecurityEvent, UserSession


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the log is evidence, operators never edit it."""

    list_display = ("created", "type", "username", "ip", "user_agent")
    list_filter = ("type", "created")
    search_fields = ("username", "ip", "user__email")
    date_hierarchy = "created"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IPWhitelistEntry)
class IPWhitelistEntryAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "value", "label", "created")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "value", "label")
    raw_id_fields = ("user",)


@admin.register(UserSession)
class UserSessionAdmin(_ReadOnly):
    """Deleting a row here ends that session (it is removed from the session store)."""

    list_display = ("user", "browser", "os", "ip", "signed_in_at", "last_activity")
    search_fields = ("user__username", "user__email", "ip")
    list_filter = ("signed_in_at",)
    exclude = ("session_key",)
    readonly_fields = ("user", "browser", "os", "device", "user_agent", "ip", "signed_in_at",
                       "last_activity")

    def delete_model(self, request, obj):
        sessions.sign_out_session(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            sessions.sign_out_session(request, obj)


@admin.register(KnownDevice)
class KnownDeviceAdmin(_ReadOnly):
    list_display = ("user", "browser", "os", "last_ip", "first_seen", "last_seen")
    search_fields = ("user__username", "user__email", "last_ip")
    exclude = ("device_id",)


@admin.register(RememberedBrowser)
class RememberedBrowserAdmin(_ReadOnly):
    list_display = ("user", "browser", "os", "ip", "created", "expires_at", "last_used_at")
    search_fields = ("user__username", "user__email", "ip")
    exclude = ("token_hash",)
