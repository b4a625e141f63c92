from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from security.events import record
from security.models import EventType

from . import lockout
from .models import SMSDevice, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "email_confirmed", "phone", "is_active", "is_staff",
                    "last_login", "date_joined")
    list_filter = ("is_active", "is_staff", "email_confirmed", "password_expiry_enabled",
                   "must_change_password")
    search_fields = ("username", "email", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Security"), {"fields": ("email_confirmed", "phone", "password_changed_at",
                                    "password_expiry_enabled", "must_change_password",
                                    "session_idle_seconds", "time_zone", "language")}),
    )
    readonly_fields = ("password_changed_at", "last_login", "date_joined")
    actions = ["unlock_sign_in", "force_password_change", "sign_out_everywhere"]

    @admin.action(description=_("Unlock sign-in (clear failed attempts)"))
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            lockout.unlock(user.username)
            record(request, EventType.UNLOCKED, user=user, operator=request.user.username)
        messages.success(request, _("Sign-in unlocked for %(n)d account(s).") %
                         {"n": queryset.count()})

    @admin.action(description=_("Force a password change at next sign-in"))
    def force_password_change(self, request, queryset):
        count = queryset.update(must_change_password=True)
        messages.success(request, _("%(n)d account(s) must change their password.") %
                         {"n": count})

    @admin.action(description=_("End all API tokens (JWT) of the account"))
    def sign_out_everywhere(self, request, queryset):
        count = queryset.update(token_epoch=F("token_epoch") + 1)
        messages.success(request, _("API tokens ended for %(n)d account(s).") % {"n": count})


@admin.register(SMSDevice)
class SMSDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "phone", "confirmed", "last_generated_timestamp")
    search_fields = ("user__username", "phone")
    list_filter = ("confirmed",)
    fields = ("user", "name", "phone", "confirmed")
    raw_id_fields = ("user",)
