"""The Sub-users page: invite, change, suspend and delete the people under an account."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from security.access import fresh_proof_required, permission_required

from .. import subusers
from ..forms import SubUserForm
from ..models import Permission, User

MANAGE = Permission.MANAGE_USERS


def _render_list(request: HttpRequest, form: SubUserForm, status: int = 200) -> HttpResponse:
    people = list(subusers.manageable(request.user))
    for person in people:
        person.permission_labels = [Permission(p).label for p in person.permissions
                                    if p in Permission.values]
        person.can_manage = subusers.can_manage(request.user, person)
    context = {"nav": "users", "people": people, "form": form,
               "owner": subusers.account_owner(request.user)}
    return render(request, "accounts/users.html", context, status=status)


@permission_required(MANAGE)
def users(request: HttpRequest) -> HttpResponse:
    form = SubUserForm(actor=request.user)
    return _render_list(request, form)


@require_POST
@permission_required(MANAGE)
@fresh_proof_required
def invite(request: HttpRequest) -> HttpResponse:
    form = SubUserForm(request.POST, actor=request.user)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    data = form.cleaned_data
    sub = subusers.invite(request, request.user, username=data["username"],
                          email=data["email"], permissions=data["permissions"],
                          sending_hours_start=data["sending_hours_start"],
                          sending_hours_end=data["sending_hours_end"],
                          monthly_limit=data["monthly_limit"])
    messages.success(request, _("%(name)s was invited: they will receive an e-mail to "
                                "choose a password.") % {"name": sub.username})
    return redirect("accounts:users")


def _target(request: HttpRequest, pk: int) -> User:
    sub = User.objects.filter(pk=pk, owner_id=request.user.account_id).first()
    # Another account's user, oneself, or one holding more than the actor may grant: the
    # same 404, so that nothing is learnt about users one may not manage.
    if sub is None or not subusers.can_manage(request.user, sub):
        raise Http404
    return sub


@permission_required(MANAGE)
@fresh_proof_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _target(request, pk)
    initial = {"permissions": sub.permissions, "sending_hours_start": sub.sending_hours_start,
               "sending_hours_end": sub.sending_hours_end, "monthly_limit": sub.monthly_limit}
    form = SubUserForm(request.POST or None, actor=request.user, instance=sub, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            subusers.update(request, request.user, sub, permissions=data["permissions"],
                            sending_hours_start=data["sending_hours_start"],
                            sending_hours_end=data["sending_hours_end"],
                            monthly_limit=data["monthly_limit"])
            messages.success(request, _("%(name)s was updated.") % {"name": sub.username})
            return redirect("accounts:users")
        status = 400
    else:
        status = 200
    context = {"nav": "users", "sub": sub, "form": form,
               "used": subusers.messages_this_month(sub)}
    return render(request, "accounts/user_edit.html", context, status=status)


@require_POST
@permission_required(MANAGE)
@fresh_proof_required
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _target(request, pk)
    suspended = request.POST.get("suspend") == "1"
    subusers.set_suspended(request, request.user, sub, suspended)
    if suspended:
        messages.success(request, _("%(name)s is suspended: signed out, and their keys no "
                                    "longer work.") % {"name": sub.username})
    else:
        messages.success(request, _("%(name)s can sign in again.") % {"name": sub.username})
    return redirect("accounts:users")


@require_POST
@permission_required(MANAGE)
@fresh_proof_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _target(request, pk)
    name = sub.username
    subusers.delete(request, request.user, sub)
    messages.success(request, _("%(name)s was deleted, with their API keys.") % {"name": name})
    return redirect("accounts:users")
