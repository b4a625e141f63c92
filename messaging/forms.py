"""The sender-name forms of the portal's pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import SenderName
from .sending import is_sender_id


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
