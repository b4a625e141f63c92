"""The key forms. The pages and the JSON API validate through these same forms.

The API passes its JSON object as `data` (lists stay lists, booleans stay booleans); the
cleaned data of `CreateKeyForm` are exactly the keyword arguments of `flows.create_key`.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.ipnets import parse_network

from . import addresses, issuance, keyformat
from .models import MAX_GRACE_SECONDS, SCOPE_LABELS, SCOPES, APIKey, KeyWhitelistEntry

TYPE_HELP = {
    APIKey.Type.DEFAULT: _("Locked automatically on the first IP that uses the key; more IPs "
                           "only through the key's whitelist."),
    APIKey.Type.ZOHO_CRM: _("Must be used only in the Zoho CRM integration (its scopes are "
                            "set by us)."),
    APIKey.Type.CLOUD: _("Can be used on cloud hosting environments: any IP. “Locked On IP” "
                         "only records the first IP, for information."),
}
MODE_HELP = {
    APIKey.Mode.LIVE: _("Sends real SMS."),
    APIKey.Mode.TEST: _("For trying an integration out: passes every check like a live key, "
                        "but nothing it sends reaches a phone, and its messages are kept apart."),
}
GRACE_CHOICES = [
    (0, _("Now: the old key stops working at once")),
    (60 * 60, _("In 1 hour")),
    (24 * 60 * 60, _("In 1 day")),
    (3 * 24 * 60 * 60, _("In 3 days")),
    (MAX_GRACE_SECONDS, _("In 7 days")),
]
MAX_EXPIRY_DAYS = 10 * 366
BEYOND_ISSUER = "beyond_issuer"  # the error code of a request beyond the issuer (SEC-42)
# Error codes that are the state of the key or the account, not the value sent (the API
# answers them 409 CONFLICT): a Cloud key's whitelist, a dead key's, an entry already on
# the list, a list or an account at its limit.
CONFLICTS = ("wrong_type", "inactive", "duplicate", "too_many")
MAX_WHITELIST_ENTRIES = 100


class ExpiryField(forms.Field):
    """An expiry given as a date (valid through that day in the user's time zone) or as an
    ISO 8601 date-time (from the API; UTC when it names no zone). Must lie in the future."""

    widget = forms.DateInput(attrs={"type": "date"})
    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or an ISO 8601 date and time."),
        "past": _("The expiry must be in the future."),
        "far": _("The expiry can be at most 10 years away."),
    }

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        self.time_zone = time_zone
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = self._end_of(value)
        elif isinstance(value, str):
            text = value.strip()
            try:
                day = parse_date(text)
                moment = self._end_of(day) if day else parse_datetime(text)
            except (ValueError, OverflowError):
                moment = None
            if moment is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        else:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        return moment

    def _end_of(self, day: date) -> datetime:
        # "Expires on 31 May" means it works all of 31 May where the user lives.
        if day >= date.max - timedelta(days=1):
            raise ValidationError(self.error_messages["far"], code="far")
        try:
            zone = zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = UTC
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        now = timezone.now()
        if value <= now:
            raise ValidationError(self.error_messages["past"], code="past")
        if value > now + timedelta(days=MAX_EXPIRY_DAYS):
            raise ValidationError(self.error_messages["far"], code="far")


class ScopesField(forms.MultipleChoiceField):
    """The scopes asked for. In the API's JSON, absent or null is "not asked" (None: the
    issuer's own, `issuance.terms`); a page's unticked boxes are an empty list."""

    def to_python(self, value):
        return None if value is None else super().to_python(value)

    def validate(self, value):
        if value is not None:
            super().validate(value)


class AskedCheckbox(forms.CheckboxInput):
    """A page's checkbox (unticked: False). In the API's JSON, absent or null is "not asked":
    None (a plain dict has no `getlist`, as Django's own multi-value widgets tell them)."""

    def value_from_datadict(self, data, files, name):
        if not hasattr(data, "getlist") and data.get(name) is None:
            return None
        return super().value_from_datadict(data, files, name)


class CreateKeyForm(forms.Form):
    description = forms.CharField(
        label=_("Description"), max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. My Twitter Application")}),
        help_text=_("What uses this key, so you recognise it later."),
    )
    type = forms.ChoiceField(
        label=_("API Key Type"), choices=APIKey.Type.choices, initial=APIKey.Type.DEFAULT,
        widget=forms.RadioSelect,
    )
    scopes = ScopesField(
        label=_("Scopes"), required=False, initial=list(SCOPES),
        choices=[(s, format_lazy("{}: {}", s, SCOPE_LABELS[s])) for s in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give the key only what it needs. Zoho CRM keys get the scopes that "
                    "integration needs, whatever is ticked here."),
    )
    expires_at = ExpiryField(
        label=_("Expires on"), required=False,
        help_text=_("Optional. The key works through this day, then stops."),
    )
    signing = forms.NullBooleanField(
        label=_("Require HMAC signing of every request"), required=False,
        widget=AskedCheckbox,
        help_text=_("You get a signing secret, shown once. Each request must then carry "
                    "X-Timestamp and X-Signature."),
    )
    # Not asked (the API's JSON leaves it out): the issuer's own mode (`issuance.terms`).
    mode = forms.ChoiceField(label=_("Mode"), choices=APIKey.Mode.choices, required=False,
                             initial=APIKey.Mode.LIVE, widget=forms.RadioSelect)

    def __init__(self, user, *args, issuer: APIKey | None = None, **kwargs):
        """`user` gets the key; `issuer` is the key that asks for it (None: a person)."""
        self.user = user
        self.issuer = issuer
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].time_zone = getattr(user, "time_zone", "UTC") or "UTC"
        # Offered: only what the user holds. Any known scope passes this field, so that one
        # beyond the issuer is refused by the issuance rule, with its own answer.
        allowed = user.allowed_scopes()
        scopes = self.fields["scopes"]
        scopes.widget.choices = [(s, label) for s, label in scopes.choices if s in allowed]
        scopes.initial = allowed

    def type_options(self) -> list[dict]:
        """The type radio buttons with their help texts, for the page."""
        return [{"widget": widget, "help": TYPE_HELP[widget.data["value"]]}
                for widget in self["type"].subwidgets]

    def mode_options(self) -> list[dict]:
        """The mode radio buttons with their help texts, for the page."""
        return [{"widget": widget, "help": MODE_HELP[widget.data["value"]],
                 "prefix": keyformat.prefix(widget.data["value"])}
                for widget in self["mode"].subwidgets]

    def clean_mode(self) -> str | None:
        return self.cleaned_data["mode"] or None

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())

    def clean(self):
        cleaned = super().clean()
        # A Zoho CRM key gets the operators' scopes whatever is ticked (issuance.terms).
        if cleaned.get("type") != APIKey.Type.ZOHO_CRM and cleaned.get("scopes") == []:
            self.add_error("scopes", _("Choose at least one scope."))
        if APIKey.objects.filter(user=self.user).not_revoked().count() >= \
                settings.API_KEYS_MAX_PER_ACCOUNT:
            raise ValidationError(
                _("You have reached the limit of %(n)d API keys. Delete keys you no longer "
                  "use first.") % {"n": settings.API_KEYS_MAX_PER_ACCOUNT},
                code="too_many",
            )
        if not self.errors:
            try:
                issuance.terms(self.user, self.issuer, type=cleaned["type"],
                               scopes=cleaned["scopes"], expires_at=cleaned["expires_at"],
                               signing=cleaned["signing"], mode=cleaned["mode"])
            except issuance.BeyondIssuer as refused:
                self.add_error(refused.field, ValidationError(refused.message,
                                                              code=BEYOND_ISSUER))
        return cleaned


class RegenerateForm(forms.Form):
    grace_seconds = forms.IntegerField(
        label=_("The old key stops working"), min_value=0, max_value=MAX_GRACE_SECONDS,
        required=False, initial=0, widget=forms.Select(choices=GRACE_CHOICES),
        help_text=_("A grace period lets you move your systems to the new key first."),
    )

    def clean_grace_seconds(self) -> int:
        return self.cleaned_data["grace_seconds"] or 0


class WhitelistEntryForm(forms.Form):
    value = forms.CharField(
        label=_("IP address or range"), max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "203.0.113.7, 203.0.113.0/24, 2001:db8::/32"}),
    )
    label = forms.CharField(label=_("Label"), max_length=100, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. office")}))

    def __init__(self, key: APIKey, *args, **kwargs):
        self.key = key
        super().__init__(*args, **kwargs)

    def clean_value(self) -> str:
        network = parse_network(self.cleaned_data["value"])
        # Stored in one canonical form, so "2001:DB8::1" and "2001:db8::1" are one entry.
        if network.prefixlen == network.max_prefixlen:
            value = str(network.network_address)
        else:
            value = str(network)
        if self.key.whitelist.filter(value=value).exists():
            raise ValidationError(_("%(value)s is already on this key's whitelist.")
                                  % {"value": value}, code="duplicate")
        return value

    def clean_label(self) -> str:
        return " ".join(self.cleaned_data["label"].split())

    def clean(self):
        cleaned = super().clean()
        if not addresses.locks_to_first_ip(self.key.type):
            raise ValidationError(_("Only Default keys have their own IP whitelist (and Zoho "
                                    "CRM keys while no Zoho ranges are set): Cloud keys work "
                                    "from any IP, Zoho CRM keys from Zoho's ranges."),
                                  code="wrong_type")
        if not self.key.is_alive():  # a disabled key's whitelist may change
            raise ValidationError(_("This key no longer works, so its whitelist cannot change."),
                                  code="inactive")
        if self.key.whitelist.count() >= MAX_WHITELIST_ENTRIES:
            raise ValidationError(_("A key can have at most %(n)d whitelist entries.")
                                  % {"n": MAX_WHITELIST_ENTRIES}, code="too_many")
        return cleaned

    def save(self) -> KeyWhitelistEntry:
        return KeyWhitelistEntry.objects.create(
            key=self.key, value=self.cleaned_data["value"], label=self.cleaned_data["label"]
        )
