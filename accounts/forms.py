from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from phonenumber_field.formfields import PhoneNumberField

from security.access import ProofForm
from security.lifetimes import session_idle_choices

from . import subusers
from .models import Permission, User
from .validators import MAX_PASSWORD_LENGTH


def _password_field(label, autocomplete="current-password", help_text=""):
    return forms.CharField(
        label=label,
        strip=False,  # a password is used exactly as typed
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        help_text=help_text,
    )


class PasswordChangeForm(DjangoPasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")


class RegisterForm(UserCreationForm):
    """A new account. An address that already has one is not refused here (SEC-43): the
    form stays valid, `email_taken` is set, and the view answers as for a free address."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    field_order = ["username", "email", "password1", "password2"]

    class Meta:
        model = User
        # Not "email": as a model field it would be refused by the unique check. The address
        # goes on the instance in clean_email and is saved with it.
        fields = ("username",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email_taken = False

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        self.email_taken = User.objects.filter(email__iexact=email).exists()
        self.instance.email = email  # the password may not resemble it either
        return email


class LoginForm(forms.Form):
    """The sign-in page's fields; the sign-in policy (accounts.policy) decides the rest."""

    username = forms.CharField(
        label=_("Username"), max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = _password_field(_("Password"))


CODE_SHAPE = re.compile(r"^(\d{6}|[a-z0-9]{10})$")


def _code_field(autofocus: bool = True, help_text=None) -> forms.CharField:
    attrs = {"autocomplete": "one-time-code", "inputmode": "text"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs=attrs),
        help_text=help_text if help_text is not None else _(
            "The 6-digit code from the SMS or your authenticator app, or a backup code."),
    )


class CodeForm(forms.Form):
    code = _code_field()

    def clean_code(self):
        # A half-typed code is a typing slip, not a guess: it does not use up an attempt.
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        if not CODE_SHAPE.match(code):
            raise forms.ValidationError(
                _("Enter the 6 digits of the code, or a backup code (10 letters and digits)."),
                code="shape")
        return code


class SetupCodeForm(CodeForm):
    """The code that confirms a new phone or app: 6 digits only."""

    code = _code_field(help_text=_("The 6-digit code you just received or see in the app."))

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6 digits of the code."), code="shape")
        return code


class ReauthForm(ProofForm):
    """The password, entered again: fresh proof (security.access)."""

    password = _password_field(_("Password"))


class EnableSMSForm(ReauthForm):
    phone = PhoneNumberField(
        label=_("Mobile phone number"),
        help_text=_("In international format, e.g. +40712345678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    field_order = ["phone", "password"]


class DisableSecondFactorForm(forms.Form):
    """The password and a code. Only their shape is checked here: the view checks both
    after counting the try, and answers one error whichever was wrong."""

    password = _password_field(_("Password"))
    code = _code_field(autofocus=False)
    clean_code = CodeForm.clean_code


class PasskeyNameForm(forms.Form):
    """A passkey's name, before it is made or to rename it (the Device's 64 characters)."""

    name = forms.CharField(
        label=_("Name"), max_length=64,
        help_text=_("So that you can tell your passkeys apart, e.g. “Work laptop”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ProfileForm(forms.ModelForm):
    """The Account page. A new e-mail address is not saved by `save`: it waits for the
    confirmation link (`accounts.addresses.request_change`); see `new_email`."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(tz, tz) for tz in sorted(zoneinfo.available_timezones())],
    )
    session_idle_seconds = forms.TypedChoiceField(
        label=_("Sign me out after this long without activity"),
        choices=session_idle_choices,
        coerce=int,
    )
    field_order = ["email"]

    class Meta:
        model = User
        fields = ("time_zone", "language", "session_idle_seconds",
                  "password_expiry_enabled", "subusers_require_second_factor")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.email
        if self.instance.is_sub_user:
            del self.fields["subusers_require_second_factor"]
        # Say the cap the choices stop at; a longer timeout kept from before is shown as the
        # longest one offered (the cap cut it short anyway).
        minutes = settings.SESSION_ABSOLUTE_SECONDS // 60
        if minutes % 60:
            lifetime = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        else:
            lifetime = ngettext("%(n)d hour", "%(n)d hours", minutes // 60) % {"n": minutes // 60}
        self.fields["session_idle_seconds"].help_text = _(
            "Sessions also end %(lifetime)s after sign-in, whatever this says.") % {
            "lifetime": lifetime}
        longest = session_idle_choices()[-1][0]
        if self.instance.session_idle_seconds > longest:
            self.initial["session_idle_seconds"] = longest

    def clean_email(self):
        # An address another account has is not refused here: that would tell who has an
        # account (SEC-43). Its confirmation link fails instead.
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    @property
    def new_email(self) -> str | None:
        """The address asked for, if it is not the current one (after `is_valid`)."""
        email = self.cleaned_data.get("email")
        return email if email and email != self.instance.email.lower() else None


class SubUserForm(forms.Form):
    """Invite or change a sub-user. Only the permissions the actor may grant are offered, and
    nothing wider than the actor's own is accepted (`subusers.grant_refusals`)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=Permission.choices,
    )
    sending_hours_start = forms.TimeField(
        label=_("May send from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Optional: a daily window, in the account's time zone."),
    )
    sending_hours_end = forms.TimeField(
        label=_("May send until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
    )
    monthly_limit = forms.IntegerField(
        label=_("Messages a month"), required=False, min_value=1, max_value=10_000_000,
        help_text=_("Optional: leave empty for no limit."),
    )

    GRANT_FIELDS = ("permissions", "monthly_limit", "sending_hours_start", "sending_hours_end")

    def __init__(self, *args, actor: User, instance: User | None = None, **kwargs):
        """`actor` invites or changes; `instance` is the sub-user changed (None: invite)."""
        self.actor = actor
        self.instance = instance
        super().__init__(*args, **kwargs)
        grantable = subusers.grantable(actor)
        self.fields["permissions"].choices = [
            (value, label) for value, label in Permission.choices if value in grantable
        ]
        if actor.is_sub_user and actor.monthly_limit is not None:
            self.fields["monthly_limit"].help_text = _(
                "At most %(n)d, your own monthly limit.") % {"n": actor.monthly_limit}
        if actor.is_sub_user and actor.sending_hours_start and actor.sending_hours_end:
            self.fields["sending_hours_start"].help_text = _(
                "Inside your own window, %(start)s to %(end)s (the account's time zone).") % {
                "start": actor.sending_hours_start.strftime("%H:%M"),
                "end": actor.sending_hours_end.strftime("%H:%M")}
        if instance is not None:
            del self.fields["username"]
            del self.fields["email"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken."))
        return username

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self):
        data = super().clean()
        start, end = data.get("sending_hours_start"), data.get("sending_hours_end")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("Give both ends of the sending window, or neither."))
        if start is not None and start == end:
            raise forms.ValidationError(_("The sending window cannot start and end at the "
                                          "same time."))
        if set(self.GRANT_FIELDS) <= data.keys():  # each parsed: the rule can compare
            # Never wider than the actor's own: the flows' rule, shown on its field.
            grant = subusers.Grant(data["permissions"], data["monthly_limit"], start, end)
            for field, message in subusers.grant_refusals(self.actor, grant).items():
                self.add_error(field, message)
        return data
