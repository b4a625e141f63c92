from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.ipnets import ip_in, parse_network

from .models import EventType, IPWhitelistEntry
from .whitelists import PORTAL, as_text, entries, same_network


class WhitelistEntryForm(forms.Form):
    """One entry for either list: the portal page and any API validate through this form.

    A portal entry that would leave the list without the address the user is saving from
    is refused: saving it would shut them out at once.
    """

    kind = forms.ChoiceField(choices=IPWhitelistEntry.Kind.choices, widget=forms.HiddenInput)
    value = forms.CharField(
        label=_("Address or range"),
        max_length=200,
        error_messages={"required": _("Enter an IP address or a range.")},
        help_text=_("An IPv4 or IPv6 address (203.0.113.7, 2001:db8::1) or a range in CIDR "
                    "notation (203.0.113.0/24, 2001:db8::/32)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    label = forms.CharField(
        label=_("Label (optional)"),
        max_length=100,
        required=False,
        help_text=_("What it is, e.g. “office” or “production servers”."),
    )

    def __init__(self, user, current_ip: str, *args, **kwargs):
        self.user = user
        self.current_ip = current_ip
        super().__init__(*args, **kwargs)

    def clean_value(self) -> str:
        network = parse_network(self.cleaned_data["value"])
        if network.version == 6 and network.network_address.ipv4_mapped is not None:
            raise forms.ValidationError(
                _("Write an IPv4 address as IPv4, e.g. %(ip)s.")
                % {"ip": network.network_address.ipv4_mapped},
                code="ipv4_mapped",
            )
        return as_text(network)

    def clean_label(self) -> str:
        return " ".join(self.cleaned_data.get("label", "").split())

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if not kind or not value:
            return data
        existing = entries(self.user.pk, kind)
        if any(same_network(value, other) for other in existing):
            self.add_error("value", _("%(value)s is already on this list.") % {"value": value})
        elif len(existing) >= settings.IP_WHITELIST_MAX_ENTRIES:
            self.add_error(None, _("This list is full (%(n)d entries). Use a range to cover "
                                   "several addresses.")
                           % {"n": settings.IP_WHITELIST_MAX_ENTRIES})
        elif kind == PORTAL and not ip_in(self.current_ip, [*existing, value]):
            self.add_error("value", _(
                "You are connecting from %(ip)s, which this list would not include: once saved, "
                "it would sign you out and refuse your next sign-in. Add your own address "
                "(or a range that covers it) first."
            ) % {"ip": self.current_ip or _("an unknown address")})
        return data


class ActivityFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All events")), *EventType.choices],
    )
    format = forms.ChoiceField(
        required=False, choices=[("", "HTML"), ("html", "HTML"), ("csv", "CSV")],
        widget=forms.HiddenInput,
    )
