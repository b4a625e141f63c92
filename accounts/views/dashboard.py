"""The portal's front door (/) and the dashboard with its banners."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..otp import has_second_factor


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("accounts:login")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "nav": "dashboard",
        "needs_second_factor": not has_second_factor(user),
        "password_days_left": user.password_days_left(),
    }
    return render(request, "accounts/dashboard.html", context)
