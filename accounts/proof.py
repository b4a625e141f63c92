"""One budget of password and code tries for every signed-in form that takes one.

Confirming the password (fresh proof), turning the second factor off, turning SMS codes on,
confirming a new phone or authenticator app, changing the password and asking for a new
e-mail address all call `attempt` just before they check what was typed. The tries share one
budget per user: otherwise a guesser who used up one form's limit would carry on at the
next. Each try is counted in the shared store *before* the check, so parallel guesses cannot
pass the budget. Past it every try gets 429, a right one too: an answer that let the right
password through would tell it apart from the wrong ones.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from portal import ratelimit
from security.events import record
from security.models import EventType

ATTEMPTS = 10
WINDOW = 15 * 60  # seconds

# The one answer of a form that takes a password and a code, whichever of them was wrong:
# telling them apart would let a guesser confirm the password with any code.
WRONG_PASSWORD_OR_CODE = _("The password or the code is not right.")


def attempt(request: HttpRequest) -> HttpResponse | None:
    """Count one try of the signed-in user; past the budget, the 429 page to answer with."""
    limit = ratelimit.hit(f"proof:{request.user.pk}", ATTEMPTS, WINDOW)
    return None if limit.allowed else too_many(request, limit.retry_after)


def password_failed(request: HttpRequest, via: str) -> None:
    """Record a wrong password typed on the form `via`, as a failed fresh proof is."""
    record(request, EventType.REAUTH_FAILED, via=via)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 page of every throttled accounts form, with Retry-After."""
    response = render(request, "accounts/too_many.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
