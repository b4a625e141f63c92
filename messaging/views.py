"""The Sender names pages: the owner asks for names, and chooses which each sub-user may use.
Thin: the rules live in `messaging.senders`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import User
from security.access import account_owner_required, fresh_proof_required

from . import senders
from .forms import SenderNameForm, SubUserSendersForm
from .models import SenderName


@account_owner_required
def sender_names(request: HttpRequest) -> HttpResponse:
    form = SenderNameForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sender = senders.ask(request.user, form.cleaned_data["name"])
            except ValidationError as exc:
                form.add_error("name", exc)
            else:
                messages.success(request, _("You asked for “%(name)s”. We will e-mail you when "
                                            "an operator has decided.") % {"name": sender.name})
                return redirect("messaging:senders")
        status = 400
    names = list(SenderName.objects.filter(account=request.user))
    subs = [(sub, senders.given(sub)) for sub in
            User.objects.filter(owner=request.user).order_by("username")]
    has_approved = any(n.status == SenderName.Status.APPROVED for n in names)
    return render(request, "messaging/senders.html",
                  {"nav": "senders", "form": form, "names": names, "subs": subs,
                   "has_approved": has_approved}, status=status)


@account_owner_required
@fresh_proof_required
def sub_user_senders(request: HttpRequest, pk: int) -> HttpResponse:
    sub = get_object_or_404(User, pk=pk, owner=request.user)
    current = senders.given(sub)
    form = SubUserSendersForm(request.user, request.POST or None,
                              initial={"everything": current is None, "names": current or []})
    if request.method == "POST" and form.is_valid():
        senders.give(request, request.user, sub, form.chosen())
        messages.success(request, _("The sender names of %(name)s were saved.")
                         % {"name": sub.username})
        return redirect("messaging:senders")
    return render(request, "messaging/sub_user_senders.html",
                  {"nav": "senders", "sub": sub, "form": form},
                  status=400 if request.method == "POST" else 200)
