from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from phonenumber_field.formfields import PhoneNumberField

from .models import Permission, User, session_idle_choices
from .validators import MAX_PASSWORD_LENGTH

INVALID_LOGIN = _("The username or password is not right. Check both and try again.")


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
    class Meta:
        model = User
        fields = ("username", "email")

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = _password_field(_("Password"))

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # authenticate() runs the password hasher for unknown usernames too, so the
            # answer and the work are the same whether the account exists or not.
            user = authenticate(self.request, username=username, password=password)
            if user is None or not user.is_active:
                raise forms.ValidationError(INVALID_LOGIN, code="invalid_login")
            self.user = user
        return self.cleaned_data


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


class ReauthForm(forms.Form):
    password = _password_field(_("Password"))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password is not right."), code="wrong_password")
        return password


class EnableSMSForm(ReauthForm):
    phone = PhoneNumberField(
        label=_("Mobile phone number"),
        help_text=_("In international format, e.g. +40712345678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    field_order = ["phone", "password"]


class DisableSecondFactorForm(ReauthForm):
    code = _code_field(autofocus=False)
    clean_code = CodeForm.clean_code


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(tz, tz) for tz in sorted(zoneinfo.available_timezones())],
    )
    session_idle_seconds = forms.TypedChoiceField(
        label=_("Sign me out after this long without activity"),
        choices=session_idle_choices,
        coerce=int,
    )

    class Meta:
        model = User
        fields = ("email", "time_zone", "language", "session_idle_seconds",
                  "password_expiry_enabled", "subusers_require_second_factor")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email



class SubUserForm(forms.Form):
    """Invite or change a sub-user. Only the permissions the actor may grant are offered."""

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

    def __init__(self, *args, grantable: list[str], instance: User | None = None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = [
            (value, label) for value, label in Permission.choices if value in grantable
        ]
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
        return data
