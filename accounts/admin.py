from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.admin_site import ReadOnlyInline
from security.events import record
from security.models import EventType

from . import lockout
from .models import SMSDevice, User
from .passkeys import Passkey
from .passkeys import flows as passkey_flows


class SubUserInline(ReadOnlyInline):
    model = User
    fk_name = "owner"
    verbose_name = _("sub-user")
    verbose_name_plural = _("sub-users")
    fields = ("username", "email", "permissions", "monthly_limit", "is_active", "last_login")


class PasskeyInline(ReadOnlyInline):
    """A user's passkeys: read here, and removed by ticking "Delete" (UserAdmin.save_formset
    runs the owner's own flow). They have no page of their own."""

    model = Passkey
    verbose_name = _("passkey")
    verbose_name_plural = _("passkeys")
    fields = ("name", "created_at", "last_used_at")
    can_delete = True
    show_change_link = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "owner", "email_confirmed", "phone", "is_active",
                    "is_staff", "last_login", "date_joined")
    list_filter = ("is_active", "is_staff", "email_confirmed", "password_expiry_enabled",
                   "must_change_password", ("owner", admin.EmptyFieldListFilter))
    search_fields = ("username", "email", "phone")
    list_select_related = ("owner",)
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Security"), {"fields": ("email_confirmed", "pending_email", "phone",
                                    "password_changed_at",
                                    "password_expiry_enabled", "must_change_password",
                                    "session_idle_seconds", "time_zone", "language")}),
        (_("Sub-user"), {"fields": ("owner", "permissions", "sending_hours_start",
                                    "sending_hours_end", "monthly_limit",
                                    "subusers_require_second_factor")}),
        (_("Recent security events"), {"fields": ("recent_events",)}),
    )
    readonly_fields = ("password_changed_at", "last_login", "date_joined", "recent_events",
                       "pending_email")
    raw_id_fields = ("owner",)
    # apikeys adds its key inline and the "revoke all keys" action (apikeys/admin.py).
    inlines = [SubUserInline, PasskeyInline]
    actions = ["unlock_sign_in", "force_password_change", "sign_out_everywhere",
               "suspend_accounts"]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Passkey:
            return super().save_formset(request, form, formset, change)
        # Removed as by the owner (event, e-mail), with the operator named.
        formset.save(commit=False)
        for passkey in formset.deleted_objects:
            passkey_flows.remove(request, passkey, operator=request.user.get_username())
        return None

    @admin.display(description=_("Recent security events of the account"))
    def recent_events(self, obj):
        from security.models import SecurityEvent

        if obj is None or obj.pk is None:
            return "-"
        events = (SecurityEvent.objects.filter(Q(account_id=obj.account_id) | Q(user=obj))
                  .order_by("-created", "-id")[:20])
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.created.strftime("%Y-%m-%d %H:%M:%S"), e.username, e.get_type_display(),
              e.ip or "") for e in events),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows) if events else "-"

    @admin.action(description=_("Suspend (sign-in, sessions, tokens and keys stop at once)"))
    def suspend_accounts(self, request, queryset):
        # An account's sub-users stop with it.
        users = User.objects.filter(Q(pk__in=queryset) | Q(owner__in=queryset))
        count = User.end_api_tokens(users, is_active=False)
        for user in queryset:
            record(request, EventType.SUBUSER_SUSPENDED, user=user,
                   operator=request.user.username)
        messages.success(request, _("%(n)d account(s) suspended.") % {"n": count})

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
        count = User.end_api_tokens(queryset)
        messages.success(request, _("API tokens ended for %(n)d account(s).") % {"n": count})


@admin.register(SMSDevice)
class SMSDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "phone", "confirmed", "last_generated_timestamp")
    search_fields = ("user__username", "phone")
    list_filter = ("confirmed",)
    fields = ("user", "name", "phone", "confirmed")
    raw_id_fields = ("user",)
