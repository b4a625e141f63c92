"""The IP whitelists page: the portal sign-in list and the API list, side by side."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.clientip import client_ip
from security.access import account_owner_required, fresh_proof_required

from .. import whitelists
from ..forms import WhitelistEntryForm
from ..models import IPWhitelistEntry

KINDS = (whitelists.PORTAL, whitelists.API)


def _page(request: HttpRequest, bound: WhitelistEntryForm | None = None,
          error: str = "", status: int = 200) -> HttpResponse:
    ip = client_ip(request)
    rows = list(IPWhitelistEntry.objects.filter(user=request.user))
    lists = []
    for kind in KINDS:
        form = bound if bound is not None and bound.data.get("kind") == kind else None
        lists.append({
            "kind": kind,
            "entries": [row for row in rows if row.kind == kind],
            "form": form or WhitelistEntryForm(request.user, ip, initial={"kind": kind},
                                               auto_id=f"id_{kind}_%s"),
        })
    if bound is not None and bound.data.get("kind") not in KINDS and not error:
        error = _("Choose which list the entry is for.")
    context = {"nav": "security", "subnav": "whitelists", "lists": lists, "ip": ip,
               "error": error}
    return render(request, "security/whitelists.html", context, status=status)


@account_owner_required
def whitelists_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@account_owner_required
@fresh_proof_required
def add(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    form = WhitelistEntryForm(request.user, client_ip(request), request.POST,
                              auto_id=f"id_{kind}_%s" if kind in KINDS else "id_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                whitelists.add_entry(request, request.user, data["kind"], data["value"],
                                     data["label"])
        except IntegrityError:  # the same entry saved twice at once
            form.add_error("value", _("%(value)s is already on this list.")
                           % {"value": data["value"]})
        else:
            messages.success(request, _("%(value)s was added.") % {"value": data["value"]})
            return redirect(reverse("security:whitelists") + f"#{data['kind']}")
    return _page(request, bound=form, status=400)


@require_POST
@account_owner_required
@fresh_proof_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(IPWhitelistEntry, pk=pk, user=request.user)
    if whitelists.removal_locks_out(entry, client_ip(request)):
        error = _("%(value)s cannot be removed: you are connecting from %(ip)s, and without it "
                  "the portal list would not include your address. Add your address first, or "
                  "remove the other entries.") % {"value": entry.value, "ip": client_ip(request)}
        return _page(request, error=error, status=400)
    whitelists.remove_entry(request, entry)
    messages.success(request, _("%(value)s was removed.") % {"value": entry.value})
    return redirect(reverse("security:whitelists") + f"#{entry.kind}")
