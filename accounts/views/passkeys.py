"""Passkeys on the Security page: add one (name, then the browser's ceremony), rename,
remove. Each change takes fresh proof; the ceremonies' JSON endpoints are in ceremonies.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from security.access import fresh_proof_required

from .. import flows, passkeys
from ..forms import PasskeyNameForm
from ..passkeys import flows as passkey_flows
from .ceremonies import ADDED_KEY, NAME_KEY
from .security import show_codes


@fresh_proof_required
@never_cache
def new(request: HttpRequest) -> HttpResponse:
    """First the name; the browser's part follows on `create`."""
    suggested = _("Passkey %(n)d") % {"n": passkeys.of(request.user).count() + 1}
    form = PasskeyNameForm(request.POST or None, initial={"name": suggested})
    if request.method == "POST" and form.is_valid():
        request.session[NAME_KEY] = form.cleaned_data["name"]
        return redirect("accounts:passkey_create")
    return render(request, "accounts/passkey_new.html", {"form": form, "nav": "security"},
                  status=400 if request.method == "POST" else 200)


@fresh_proof_required
@never_cache
def create(request: HttpRequest) -> HttpResponse:
    name = request.session.get(NAME_KEY)
    if not name:
        return redirect("accounts:passkey_new")
    return render(request, "accounts/passkey_create.html", {"name": name, "nav": "security"})


@require_POST
@login_required
def added(request: HttpRequest) -> HttpResponse:
    """Where the page goes once the browser's part succeeded (ceremonies.RegisterComplete
    left a note in the session): backup codes if it is the first factor."""
    note = request.session.pop(ADDED_KEY, None)
    if not isinstance(note, dict):
        return redirect("accounts:security")
    messages.success(request, _("Your passkey is ready: next time, sign in with it."))
    if note.get("first"):
        return show_codes(request, flows.regenerate_backup_codes(request))
    return redirect("accounts:security")


def _own(request: HttpRequest, pk: int) -> passkeys.Passkey:
    passkey = passkeys.of(request.user).filter(pk=pk).first()
    if passkey is None:  # someone else's, or gone: the same answer
        raise Http404
    return passkey


@require_POST
@fresh_proof_required
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = _own(request, pk)
    form = PasskeyNameForm(request.POST)
    if form.is_valid():
        passkey_flows.rename(passkey, form.cleaned_data["name"])
        messages.success(request, _("The passkey was renamed."))
    else:
        messages.error(request, _("Give the passkey a name of at most 64 characters."))
    return redirect("accounts:security")


@require_POST
@fresh_proof_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = _own(request, pk)
    if passkey_flows.is_last_factor(passkey):
        messages.error(request, _("This passkey is your only second factor. To remove it, turn "
                                  "the second factor off below (with your password and a "
                                  "backup code)."))
        return redirect("accounts:security")
    passkey_flows.remove(request, passkey)
    messages.success(request, _("The passkey “%(name)s” was removed. Remove it from your "
                                "device too.") % {"name": passkey.name})
    return redirect("accounts:security")
