from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from .policy import second_factor_missing

# Paths an account whose password must change can still reach.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/api/", "/i18n/")


class PasswordExpiryMiddleware:
    """Once a password has expired (or an operator forced a change), every portal page
    leads to the change-password form until it is changed. Never a lock-out: the form is
    always reachable after sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and user.password_change_required()
        ):
            return redirect(reverse("accounts:password_change"))
        if (
            user is not None
            and user.is_authenticated
            and user.is_sub_user
            and not request.path.startswith(_ALLOWED_PREFIXES + ("/account/security/",))
            and second_factor_missing(user)
        ):
            return redirect(reverse("accounts:security"))
        return self.get_response(request)

