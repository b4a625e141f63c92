"""The operators' admin: reachable only with a second factor used at sign-in."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    site_header = "SMS Gateway operators"
    site_title = "Operators"

    def login(self, request, extra_context=None):
        # Operators sign in through the portal's own two-step sign-in, which is where the
        # lock-out and the code limits live.
        user = request.user
        if user.is_authenticated and user.is_staff and not user.is_verified():
            return render(request, "admin/needs_second_factor.html", status=403)
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect(reverse("accounts:login") + "?" + urlencode({"next": next_url}))


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent for reading (and a link to their own page), never
    added or deleted from there."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False
