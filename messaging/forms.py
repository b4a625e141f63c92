"""The sender-name forms of the portal's pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .models import SenderName
from .sending import is_e164, is_sender_id


class SenderNameForm(forms.Form):
    name = forms.CharField(
        label=_("Sender name"), max_length=16,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. ACME")}),
        help_text=_("What recipients see as the sender: 1-11 letters and digits (at least one "
                    "letter), or a phone number in E.164 form. An operator approves it first."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not is_sender_id(name):
            raise ValidationError(_("A sender name is 1-11 letters and digits (at least one "
                                    "letter), or a phone number like +14155551234."),
                                  code="invalid")
        return name


class SubUserSendersForm(forms.Form):
    """Which of the owner's approved names a sub-user may send as."""

    everything = forms.BooleanField(
        label=_("All approved names, also those approved later"), required=False)
    names = forms.ModelMultipleChoiceField(
        label=_("Only these names"), queryset=SenderName.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, to_field_name="name")

    def __init__(self, owner, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["names"].queryset = SenderName.objects.filter(
            account=owner, status=SenderName.Status.APPROVED)

    def chosen(self) -> list[SenderName] | None:
        """The names chosen (None: all of them), once the form is valid."""
        if self.cleaned_data["everything"]:
            return None
        return list(self.cleaned_data["names"])


# --- the SMS Authenticator (messaging.verification) ----------------------------------------

CODE_LENGTHS = (6, 10)
TTL_SECONDS = (60, 600)
APP_NAME_MAX = 30
VERIFY_LOCALES = [("en", "English"), ("ro", "Română")]
CODE_PATTERN = r"^[0-9]{6,10}$"


class VerifyStartForm(forms.Form):
    """What a verification is started with (`POST /api/v1/verify`, the page's "try it"):
    checked here once; the settings fill in what is left out."""

    to = forms.CharField(label=_("Phone number"), strip=False,
                         help_text=_("In E.164 form, e.g. +40712345678."))
    code_length = forms.IntegerField(label=_("Code length"), required=False,
                                     min_value=CODE_LENGTHS[0], max_value=CODE_LENGTHS[1])
    ttl = forms.IntegerField(label=_("Time to live (seconds)"), required=False,
                             min_value=TTL_SECONDS[0], max_value=TTL_SECONDS[1])
    locale = forms.ChoiceField(label=_("Language of the SMS"), required=False,
                               choices=VERIFY_LOCALES)
    app_name = forms.CharField(label=_("App name"), required=False, max_length=APP_NAME_MAX)

    def clean_to(self) -> str:
        number = self.cleaned_data["to"]
        if not is_e164(number):
            raise ValidationError(_("Give a valid phone number in E.164 form (+, country code "
                                    "and number, e.g. +40712345678)."), code="invalid")
        return number


class VerifyCheckForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=CODE_LENGTHS[1], strip=False,
                           validators=[RegexValidator(CODE_PATTERN[:-1] + r"\Z", message=_(
                               "A code is 6 to 10 digits."))])


class VerifySettingsForm(forms.Form):
    """The SMS Authenticator's settings on its page, within the limits above (the API's);
    saved by `verification.save_settings`, which checks them again."""

    app_name = forms.CharField(label=_("Default app name"), required=False,
                               max_length=APP_NAME_MAX)
    code_length = forms.IntegerField(label=_("Code length (digits)"),
                                     min_value=CODE_LENGTHS[0], max_value=CODE_LENGTHS[1])
    ttl = forms.IntegerField(label=_("Time to live (seconds)"),
                             min_value=TTL_SECONDS[0], max_value=TTL_SECONDS[1])
    allowed_countries = forms.MultipleChoiceField(
        label=_("Allowed countries"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Codes go only to numbers of these countries; any other number is refused. "
                    "This stops SMS pumping (fraudsters making you pay for texts to numbers "
                    "they profit from): tick only where your users are."))

    def __init__(self, countries: list[tuple[str, str]], *args, **kwargs):
        """`countries`: (ISO code, name) choices, verification.country_choices()."""
        super().__init__(*args, **kwargs)
        # Help texts are shown as HTML (accounts/_field.html): what is put in is escaped.
        self.fields["app_name"].help_text = _(
            "Named in the SMS when a request gives none, as in “123456 is your Acme code.” "
            "Empty: %(site)s.") % {"site": escape(settings.SITE_NAME)}
        self.fields["code_length"].help_text = _(
            "From %(min)d to %(max)d. A longer code is harder to guess, and to type.") % {
            "min": CODE_LENGTHS[0], "max": CODE_LENGTHS[1]}
        self.fields["ttl"].help_text = _(
            "How long a code is good for: from %(min)d to %(max)d seconds.") % {
            "min": TTL_SECONDS[0], "max": TTL_SECONDS[1]}
        chosen = set(self["allowed_countries"].value() or [])
        # The ticked countries first: in a list of some 240, they are what one looks for.
        self.fields["allowed_countries"].choices = (
            [c for c in countries if c[0] in chosen]
            + [c for c in countries if c[0] not in chosen])

    @classmethod
    def showing(cls, countries: list[tuple[str, str]], current) -> VerifySettingsForm:
        """The form filled in with the account's settings (a VerifySettings)."""
        return cls(countries, initial={
            "app_name": current.app_name, "code_length": current.code_length,
            "ttl": current.ttl, "allowed_countries": list(current.allowed_countries or [])})


class TryCodeForm(VerifyCheckForm):
    """The code typed on the page's "try it": the API's check, spaces around forgiven."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Code from the SMS")
        self.fields["code"].strip = True
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric"})
