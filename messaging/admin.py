from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import senders, verification
from .models import Message, SenderName, Verification, VerifyRefusal, VerifySettings


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


# --- the SMS Authenticator -------------------------------------------------------------------


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    """Read-only: the number masked, never the code's digest."""

    list_display = ("created_at", "public_id", "owner", "user", "masked_to", "status_shown",
                    "attempts_left", "delivery", "test", "key_id")
    list_filter = ("status", "test", "created_at")
    search_fields = ("public_id", "owner__username", "user__username", "key_id")
    date_hierarchy = "created_at"
    list_select_related = ("owner", "user", "message")
    fields = ("public_id", "owner", "user", "masked_to", "status_shown", "attempts_left",
              "code_length", "ttl", "app_name", "locale", "expires_at", "decided_at",
              "delivery", "test", "key_id", "created_at")
    readonly_fields = fields

    @admin.display(description=_("to"))
    def masked_to(self, obj):
        return obj.masked_to

    @admin.display(description=_("status"))
    def status_shown(self, obj):
        return obj.effective_status()

    @admin.display(description=_("delivery"))
    def delivery(self, obj):
        return obj.delivery

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VerifySettingsForm(forms.ModelForm):
    allowed_countries = forms.MultipleChoiceField(
        label=_("Allowed countries"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("Codes are sent only to numbers of these countries."))

    class Meta:
        model = VerifySettings
        fields = ("app_name", "code_length", "ttl", "allowed_countries")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allowed_countries"].choices = verification.country_choices()


@admin.register(VerifySettings)
class VerifySettingsAdmin(admin.ModelAdmin):
    """Operators may change an account's settings, its allowed countries above all; the change
    goes through the same rule as the account's own (a security event on the account)."""

    form = VerifySettingsForm
    list_display = ("owner", "countries", "app_name", "code_length", "ttl", "updated_at")
    search_fields = ("owner__username", "owner__email")
    list_select_related = ("owner",)
    readonly_fields = ("updated_at",)

    def get_fields(self, request, obj=None):
        fields = ["app_name", "code_length", "ttl", "allowed_countries", "updated_at"]
        return (["owner_shown"] if obj is not None else ["owner"]) + fields

    def get_readonly_fields(self, request, obj=None):
        return ("updated_at", "owner_shown") if obj is not None else ("updated_at",)

    @admin.display(description=_("account"))
    def owner_shown(self, obj):
        return obj.owner

    @admin.display(description=_("allowed countries"))
    def countries(self, obj):
        return ", ".join(obj.allowed_countries or []) or "-"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = verification.save_settings(
                obj.owner, app_name=data["app_name"], code_length=data["code_length"],
                ttl=data["ttl"], allowed_countries=data["allowed_countries"],
                actor=request.user, request=request)
        except verification.VerifyRefused as refused:
            messages.error(request, refused.message)
            return
        obj.pk = saved.pk


@admin.register(VerifyRefusal)
class VerifyRefusalAdmin(admin.ModelAdmin):
    """Starts refused (a destination outside the allowed countries, a rate limit): where SMS
    pumping shows."""

    list_display = ("created_at", "owner", "user", "masked_to", "country", "reason")
    list_filter = ("reason", "country", "created_at")
    search_fields = ("owner__username", "user__username", "masked_to")
    date_hierarchy = "created_at"
    list_select_related = ("owner", "user")
    readonly_fields = ("created_at", "owner", "user", "masked_to", "country", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
