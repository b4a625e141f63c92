from __future__ import annotations

from django.contrib import admin

from .models import SecurityEvent


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
