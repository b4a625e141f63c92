"""The Devices page: signed-in sessions and remembered browsers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from security.access import fresh_proof_required

from .. import remember, sessions
from ..models import RememberedBrowser, UserSession


@login_required
def devices_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "nav": "security",
        "subnav": "devices",
        "sessions": list(sessions.live_sessions(user)),
        "current_session": sessions.current_record_id(request),
        "remembered": list(remember.active(user)),
        "current_browser": remember.current_id(request, user),
    }
    return render(request, "security/devices.html", context)


@require_POST
@fresh_proof_required
def sign_out(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(UserSession, pk=pk, user=request.user)
    if row.pk == sessions.current_record_id(request):
        sessions.sign_out_session(request, row)
        logout(request)
        messages.success(request, _("You have signed out."))
        return redirect("accounts:login")
    sessions.sign_out_session(request, row)
    messages.success(request, _("That session was signed out."))
    return redirect("security:devices")


@require_POST
@fresh_proof_required
def sign_out_others(request: HttpRequest) -> HttpResponse:
    count = sessions.sign_out_other_sessions(request)
    messages.success(request, _("All other sessions were signed out (%(n)d), and every API "
                                "token issued to your account stopped working.") % {"n": count})
    return redirect("security:devices")


@require_POST
@login_required
def forget_browser(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(RememberedBrowser, pk=pk, user=request.user)
    remember.forget(request, row)
    messages.success(request, _("That browser will be asked for a code at its next sign-in."))
    return redirect("security:devices")
