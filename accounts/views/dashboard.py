"""The portal's front door (/) and the dashboard: banners, the security checklist, what the
apps add (accounts.dashboard) and the latest security events."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from security.activity import events_for

from ..dashboard import ADVICE, FIX, checklist, sections
from ..models import Permission

RECENT_EVENTS = 5


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("accounts:login")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    checks = checklist(request, user)
    may_see_activity = user.has_portal_permission(Permission.VIEW_ACTIVITY)
    context = {
        "nav": "dashboard",
        "needs_second_factor": any(c.name == "second_factor" and c.state == FIX
                                   for c in checks),
        "password_days_left": user.password_days_left(),
        "checks": checks,
        "to_fix": sum(c.state == FIX for c in checks),
        "advice": sum(c.state == ADVICE for c in checks),
        "sections": sections(request, user),
        "may_see_activity": may_see_activity,
        "events": list(events_for(user)[:RECENT_EVENTS]) if may_see_activity else [],
    }
    return render(request, "accounts/dashboard.html", context)
