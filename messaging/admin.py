from __future__ import annotations

from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: what was sent is a record; delivery reports update it, not operators."""

    list_display = ("created_at", "user", "to", "status", "sender_id", "key_id", "provider_id")
    list_filter = ("status", "created_at")
    search_fields = ("user__username", "to", "provider_id", "key_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
