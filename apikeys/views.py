"""The "API Keys" pages. Thin: the rules live in flows, forms and the key check."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Permission, User
from portal.paging import Paginator
from security.access import fresh_proof_required, permission_required

from . import flows
from .chart import usage_chart
from .forms import CreateKeyForm, RegenerateForm, WhitelistEntryForm
from .models import APIKey, KeyWhitelistEntry

PER_PAGE = 25
# Sub-users reach these pages only with the "Manage API keys" permission (owners always).
manage_keys = permission_required(Permission.MANAGE_KEYS)


def _visible_keys(request: HttpRequest):
    """The keys this user manages: an owner, every key of the account (its sub-users'
    too); a sub-user with "Manage API keys", its own."""
    return APIKey.objects.listed().managed_by(request.user).select_related("user")


def _own_key(request: HttpRequest, key_id: str) -> APIKey:
    """A key this user manages, or 404 (never 403: a stranger learns nothing)."""
    return get_object_or_404(_visible_keys(request), lookup_id=key_id)


def _account_users(request: HttpRequest) -> list:
    """Whose keys an owner may list and create: itself and its active sub-users."""
    user = request.user
    if user.is_sub_user:
        return [user]
    # Sorted here: ordered in SQL, SQLite walks every user by name rather than the owner's
    # few by the owner index (most users have no owner, which its statistics cannot tell).
    sub_users = User.objects.filter(owner=user, is_active=True)
    return [user, *sorted(sub_users, key=lambda person: person.username)]


def pager(page: Page) -> dict:
    """The numbers of "Page X of Y, showing N records out of T total, ..."."""
    total = page.paginator.count
    if total == 0:
        return {"number": 0, "pages": 1, "showing": 0, "total": 0, "start": 0, "end": 0}
    return {"number": page.number, "pages": page.paginator.num_pages,
            "showing": len(page.object_list), "total": total,
            "start": page.start_index(), "end": page.end_index()}


@manage_keys
def key_list(request: HttpRequest) -> HttpResponse:
    # The order of the lists' indexes (APIKey.Meta): a page is a walk along one of them,
    # and a page past the middle is read from the other end (portal.paging).
    keys = _visible_keys(request).order_by("-created_at", "-id")
    people = _account_users(request)
    chosen = request.GET.get("user", "")
    if chosen:
        # Only the account's own people can be chosen; any other text matches nothing.
        person = next((p for p in people if p.username == chosen), None)
        keys = keys.filter(user=person) if person is not None else keys.none()
    page = Paginator(keys, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "apikeys/list.html",
                  {"nav": "keys", "page": page, "pager": pager(page),
                   "people": people if len(people) > 1 else [], "chosen": chosen})


def _show_once(request: HttpRequest, created: flows.Created, regenerated: bool) -> HttpResponse:
    response = render(request, "apikeys/created.html",
                      {"nav": "keys", "created": created, "key": created.key,
                       "regenerated": regenerated})
    response["Cache-Control"] = "no-store"
    return response


@manage_keys
@fresh_proof_required
@never_cache
def key_new(request: HttpRequest) -> HttpResponse:
    # An owner may make a key for one of its sub-users (who may not manage keys itself);
    # the key's scopes are then capped by that sub-user's permissions.
    people = _account_users(request)
    chosen = request.POST.get("for_user") or request.GET.get("for_user") or ""
    target = next((p for p in people if p.username == chosen), request.user)
    form = CreateKeyForm(target, request.POST or None)
    context = {"nav": "keys", "form": form, "people": people if len(people) > 1 else [],
               "target": target}
    if request.method == "POST":
        if form.is_valid():
            created = flows.create_key(request, target, **form.cleaned_data)
            return _show_once(request, created, regenerated=False)
        return render(request, "apikeys/new.html", context, status=400)
    return render(request, "apikeys/new.html", context)


def _detail(request: HttpRequest, key: APIKey, *, whitelist_form=None, regenerate_form=None,
            status: int = 200) -> HttpResponse:
    context = {
        "nav": "keys",
        "key": key,
        "state": key.effective_state(),
        "whitelist": list(key.whitelist.all()),
        "whitelist_form": whitelist_form or WhitelistEntryForm(key),
        "regenerate_form": regenerate_form or RegenerateForm(),
        "chart": usage_chart(key),
    }
    return render(request, "apikeys/detail.html", context, status=status)


@manage_keys
def key_detail(request: HttpRequest, key_id: str) -> HttpResponse:
    return _detail(request, _own_key(request, key_id))


@require_POST
@manage_keys
@fresh_proof_required
@never_cache
def key_regenerate(request: HttpRequest, key_id: str) -> HttpResponse:
    key = _own_key(request, key_id)
    form = RegenerateForm(request.POST)
    if not form.is_valid():
        return _detail(request, key, regenerate_form=form, status=400)
    try:
        created = flows.regenerate_key(request, key, form.cleaned_data["grace_seconds"])
    except flows.KeyNotActive as exc:
        form.add_error(None, exc.message)
        return _detail(request, key, regenerate_form=form, status=400)
    return _show_once(request, created, regenerated=True)


@require_POST
@manage_keys
@fresh_proof_required
def key_disable(request: HttpRequest, key_id: str) -> HttpResponse:
    return _switch(request, key_id, flows.disable_key, _(
        "The key %(masked)s is disabled: requests with it are refused until you enable it."))


@require_POST
@manage_keys
@fresh_proof_required
def key_enable(request: HttpRequest, key_id: str) -> HttpResponse:
    return _switch(request, key_id, flows.enable_key, _(
        "The key %(masked)s is enabled again: it works as before."))


def _switch(request: HttpRequest, key_id: str, switch: Callable[..., bool],
            done: str) -> HttpResponse:
    key = _own_key(request, key_id)
    try:
        switch(request, key)
    except flows.KeyNotActive as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"masked": key.masked})
    return redirect("apikeys:detail", key.lookup_id)


@manage_keys
@fresh_proof_required
def key_delete(request: HttpRequest, key_id: str) -> HttpResponse:
    key = _own_key(request, key_id)
    if request.method != "POST" or request.POST.get("confirmed") != "1":
        # The list's and the key page's buttons send "confirmed" only once their script has
        # asked; without script they land here, and this page asks instead.
        return render(request, "apikeys/delete.html", {"nav": "keys", "key": key})
    flows.revoke_key(request, key)
    messages.success(request, _("The key %(masked)s was deleted. It no longer works.")
                     % {"masked": key.masked})
    return redirect("apikeys:list")


@require_POST
@manage_keys
@fresh_proof_required
def whitelist_add(request: HttpRequest, key_id: str) -> HttpResponse:
    key = _own_key(request, key_id)
    try:
        entry = flows.add_whitelist_entry(request, key, request.POST.get("value", ""),
                                          request.POST.get("label", ""))
    except ValidationError:
        # The flow validated through this same form: bound again, it shows the errors.
        form = WhitelistEntryForm(key, data=request.POST)
        form.is_valid()
        return _detail(request, key, whitelist_form=form, status=400)
    messages.success(request, _("%(value)s was added to the key's whitelist.")
                     % {"value": entry.value})
    return redirect(reverse("apikeys:detail", args=[key.lookup_id]) + "#whitelist")


@require_POST
@manage_keys
@fresh_proof_required
def whitelist_remove(request: HttpRequest, key_id: str, entry_id: int) -> HttpResponse:
    key = _own_key(request, key_id)
    entry = get_object_or_404(KeyWhitelistEntry.objects.select_related("key__user"),
                              pk=entry_id, key=key)
    flows.remove_whitelist_entry(request, entry)
    messages.success(request, _("%(value)s was removed from the key's whitelist.")
                     % {"value": entry.value})
    return redirect(reverse("apikeys:detail", args=[key.lookup_id]) + "#whitelist")
