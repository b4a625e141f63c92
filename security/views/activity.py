"""Account activity: the account's own security events, paginated, filtered, as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from security.access import permission_required

from .. import activity, useragent
from ..forms import ActivityFilterForm

PER_PAGE = 25


@permission_required("view_activity")  # accounts.models.Permission.VIEW_ACTIVITY
@never_cache
def activity_page(request: HttpRequest) -> HttpResponse:
    form = ActivityFilterForm(request.GET)
    context = {"nav": "security", "subnav": "activity", "form": form}
    if not form.is_valid():
        context["page"] = None
        return render(request, "security/activity.html", context, status=400)
    events = activity.events_for(request.user, form.cleaned_data["type"])
    if form.cleaned_data["format"] == "csv":
        return activity.csv_response(events)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for event in page.object_list:  # "Firefox 128 · Linux" reads better than the raw header
        event.agent = useragent.describe(event.user_agent)
    context["page"] = page
    kind = form.cleaned_data["type"]
    context["filter_query"] = urlencode({"type": kind}) + "&" if kind else ""
    return render(request, "security/activity.html", context)
