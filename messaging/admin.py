from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import senders
from .models import Message, SenderName


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: what was sent is a record; delivery reports update it, not operators."""

    list_display = ("created_at", "user", "to", "status", "test", "sender_id", "key_id",
                    "provider_id")
    list_filter = ("status", "test", "created_at")
    search_fields = ("user__username", "to", "provider_id", "key_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SenderName)
class SenderNameAdmin(admin.ModelAdmin):
    """Operators decide on the names accounts ask for, through the actions (the account is
    e-mailed); the names themselves are the accounts' own."""

    list_display = ("name", "account", "status", "asked_at", "decided_at")
    list_filter = ("status", "asked_at")
    search_fields = ("name", "account__username", "account__email")
    list_select_related = ("account",)
    ordering = ("status", "-asked_at")
    readonly_fields = ("account", "name", "status", "asked_at", "decided_at")
    actions = ["approve", "refuse"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Approve the selected sender names (the accounts are e-mailed)"))
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Refuse the selected sender names (the accounts are e-mailed)"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, approve: bool) -> None:
        changed = sum(senders.decide(sender, approve)
                      for sender in queryset.select_related("account"))
        messages.success(request, _("%(n)d sender name(s) changed.") % {"n": changed})
