"""Operators' view of API keys: find a key, see its use, revoke, disable or enable it, set
its rate limit.

Keys are not added or deleted here: a key's secret is shown only to its owner, and a row
kept after revocation is what recognises a dead key used again. Revoking goes through the
same flow as the owner's "Delete" (event and e-mail included); disabling and enabling
through the owner's flows too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import UserAdmin
from accounts.models import User
from portal.admin_site import ReadOnlyInline

from . import flows, keyformat
from .models import APIKey, KeyWhitelistEntry


class KeyWhitelistInline(ReadOnlyInline):
    model = KeyWhitelistEntry
    fields = ("value", "label", "created")
    show_change_link = False


class ExpiryFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [("expired", _("Expired")), ("expires", _("Expires later")),
                ("never", _("Never expires"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "expires":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "never":
            return queryset.filter(expires_at__isnull=True)
        return queryset


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    list_display = ("masked_key", "user", "description", "type", "mode", "state_shown",
                    "last_used_at", "times_used", "locked_ip", "created_at")
    list_select_related = ("user",)
    list_filter = ("type", "state", "mode", ExpiryFilter, "signing", "created_at")
    search_fields = ("user__username", "user__email", "lookup_id", "description")
    search_help_text = _("Username, e-mail, description, or the start of the key as shown in "
                         "lists (e.g. sk_live_AbCd or sk_test_AbCd).")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    inlines = [KeyWhitelistInline]
    actions = ["revoke_keys", "disable_keys", "enable_keys"]
    fields = ("user", "masked_key", "lookup_id", "description", "type", "mode", "scopes",
              "signing", "state_shown", "created_at", "expires_at", "revoked_at", "grace_until",
              "replaced_by", "last_used_at", "times_used", "last_ip", "locked_ip",
              "rate_limit_per_minute")
    # Only the rate limit is the operators' to change; everything else is the owner's.
    readonly_fields = tuple(f for f in fields if f != "rate_limit_per_minute")

    @admin.display(description=_("key"), ordering="lookup_id")
    def masked_key(self, key: APIKey) -> str:
        return key.masked

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, key: APIKey) -> str:
        state = key.effective_state()
        return _("Expired") if state == "expired" else APIKey.State(state).label

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        prefix = next((p for p in (settings.API_KEY_PREFIX, settings.API_KEY_TEST_PREFIX)
                       if term.startswith(p)), None)
        if prefix:  # "sk_live_AbCd" or the masked "sk_live_AbCd...wxyz"
            start, _dots, last4 = term[len(prefix):].partition("...")
            # Only the public id part counts (a whole key pasted in is found by its id).
            start = start[: keyformat.LOOKUP_LENGTH]
            found = queryset.filter(lookup_id__startswith=start) if start else queryset
            if last4:
                found = found.filter(last4=last4)
            return found, False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Revoke the selected keys (they stop working at once)"))
    def revoke_keys(self, request, queryset):
        revoked = 0
        for key in queryset.select_related("user").filter(~Q(state=APIKey.State.REVOKED)):
            revoked += flows.revoke_key(request, key)
        messages.success(request, _("%(n)d key(s) revoked.") % {"n": revoked})

    @admin.action(description=_("Disable the selected keys (refused until enabled)"))
    def disable_keys(self, request, queryset):
        self._switch(request, queryset, flows.disable_key, _("%(n)d key(s) disabled."))

    @admin.action(description=_("Enable the selected keys"))
    def enable_keys(self, request, queryset):
        self._switch(request, queryset, flows.enable_key, _("%(n)d key(s) enabled."))

    def _switch(self, request, queryset, switch: Callable[..., bool], done: str) -> None:
        changed = skipped = 0
        for key in queryset.select_related("user"):
            try:
                changed += switch(request, key)
            except flows.KeyNotActive:
                skipped += 1
        messages.success(request, done % {"n": changed})
        if skipped:
            messages.warning(request, _("%(n)d key(s) skipped: revoked, replaced or expired.")
                             % {"n": skipped})


class UserKeyInline(ReadOnlyInline):
    """A user's keys, on the operators' user page."""

    model = APIKey
    fk_name = "user"  # not the key's account
    verbose_name_plural = _("API keys of this user")
    fields = ("lookup_id", "description", "type", "mode", "state", "times_used",
              "last_used_at", "locked_ip")


# The user admin is the accounts app's; keys add their inline and "revoke all keys" to it,
# so that accounts needs to know nothing of keys.
admin.site.unregister(User)


@admin.register(User)
class UserWithKeysAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserKeyInline]
    actions = [*UserAdmin.actions, "revoke_all_keys"]

    @admin.action(description=_("Revoke all API keys of the account"))
    def revoke_all_keys(self, request, queryset):
        keys = APIKey.objects.filter(Q(user__in=queryset) | Q(user__owner__in=queryset))
        revoked = sum(flows.revoke_key(request, key) for key in keys.select_related("user"))
        messages.success(request, _("%(n)d key(s) revoked.") % {"n": revoked})
