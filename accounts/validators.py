"""Password rules beyond Django's own validators (which stay on whatever these say)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Never truncate a password: accept long ones, but bound the hashing work per request.
MAX_PASSWORD_LENGTH = 4096


class CapitalAndDigitValidator:
    """The gateways' rule: a capital letter and a digit (PASSWORD_REQUIRE_CAPITAL_AND_DIGIT)."""

    def validate(self, password: str, user=None) -> None:
        if not settings.PASSWORD_REQUIRE_CAPITAL_AND_DIGIT:
            return
        errors = []
        if not any(c.isupper() for c in password):
            errors.append(
                ValidationError(
                    _("This password has no capital letter: add at least one (A-Z)."),
                    code="password_no_capital",
                )
            )
        if not any(c.isdigit() for c in password):
            errors.append(
                ValidationError(
                    _("This password has no digit: add at least one (0-9)."),
                    code="password_no_digit",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        if not settings.PASSWORD_REQUIRE_CAPITAL_AND_DIGIT:
            return _("A capital letter and a digit are welcome but not required.")
        return _("Your password must contain a capital letter and a digit.")


class MaximumLengthValidator:
    def validate(self, password: str, user=None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                _("This password is too long: at most %(max)d characters.")
                % {"max": MAX_PASSWORD_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Long passwords are welcome (up to %(max)d characters).") % {
            "max": MAX_PASSWORD_LENGTH}
