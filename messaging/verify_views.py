"""The "SMS Authenticator" page: its settings, "try it" (a code to the user's own phone),
the latest verifications and a 30-day chart. Thin: the rules live in
`messaging.verification`; the page only asks it and shows the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Permission
from portal.charts import DAYS, Bar, day_chart
from security.access import account_owner_required, fresh_proof_required, permission_required

from . import verification
from .forms import TryCodeForm, VerifySettingsForm
from .models import Message, Verification, mask_number

# Sub-users reach the page only with "Use the SMS Authenticator" (owners always). The
# settings are the owner's alone: sub-users see them, read-only.
use_verify = permission_required(Permission.USE_VERIFY)
# The session remembers the page's own "try it" verification: its public id, no secret.
TRY_KEY = "verify_try"
Status = Verification.Status


@dataclass(frozen=True)
class Row:
    """One line of the latest verifications."""

    id: str
    to: str  # masked
    created_at: datetime
    status: str
    status_label: str
    delivery: str
    delivery_label: str
    test: bool


@dataclass(frozen=True)
class Day:
    day: date
    started: Bar
    approved: Bar


@dataclass(frozen=True)
class PairChart:
    """Started and approved a day on one scale (templates/messaging/_verify_chart.html)."""

    days: list[Day]
    started: int
    approved: int
    width: int
    height: int

    @property
    def first(self) -> date:
        return self.days[0].day

    @property
    def last(self) -> date:
        return self.days[-1].day

    @property
    def rate(self) -> int | None:
        """Approved of started, in whole per cent (None: nothing started)."""
        return round(100 * self.approved / self.started) if self.started else None


def _owner(user):
    return user.owner if user.is_sub_user else user


def _rows(owner) -> list[Row]:
    rows = []
    for item in verification.recent(owner):
        status, delivery = item.effective_status(), item.delivery
        rows.append(Row(id=item.public_id, to=item.masked_to, created_at=item.created_at,
                        status=status, status_label=Status(status).label, delivery=delivery,
                        delivery_label=Message.Status(delivery).label, test=item.test))
    return rows


def _chart(owner) -> PairChart:
    first, started, approved = verification.daily(owner, days=DAYS)
    scale = max([*started.values(), *approved.values(), 0])
    one = day_chart(started, first, DAYS, scale=scale)
    two = day_chart(approved, first, DAYS, scale=scale)
    return PairChart(days=[Day(a.day, a, b) for a, b in zip(one.bars, two.bars, strict=True)],
                     started=one.total, approved=two.total, width=one.width, height=one.height)


def _tried(request: HttpRequest) -> Verification | None:
    """The page's own "try it" verification, if the session still names one."""
    public_id = request.session.get(TRY_KEY)
    if not public_id:
        return None
    try:
        return verification.get(request.user, public_id)
    except verification.VerifyRefused:
        request.session.pop(TRY_KEY, None)
        return None


def _page(request: HttpRequest, *, settings_form: VerifySettingsForm | None = None,
          code_form: TryCodeForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    owner = _owner(user)
    current = verification.settings_for(owner)
    if settings_form is None and not user.is_sub_user:
        settings_form = VerifySettingsForm.showing(verification.country_choices(), current)
    tried = _tried(request)
    context = {
        "nav": "verify",
        "current": current,
        "allowed_names": [verification.country_name(code)
                          for code in current.allowed_countries or []],
        "settings_form": settings_form,
        "pending": tried if tried and tried.effective_status() == Status.PENDING else None,
        "code_form": code_form or TryCodeForm(),
        "masked_phone": mask_number(str(user.phone)) if user.phone else "",
        "recent": _rows(owner),
        "chart": _chart(owner),
    }
    return render(request, "messaging/verify.html", context, status=status)


@use_verify
def verify_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@account_owner_required
@fresh_proof_required
def verify_settings(request: HttpRequest) -> HttpResponse:
    form = VerifySettingsForm(verification.country_choices(), request.POST)
    if form.is_valid():
        try:
            verification.save_settings(request.user, actor=request.user, request=request,
                                       **form.cleaned_data)
        except verification.VerifyRefused as exc:
            for field, errors in (exc.fields or {None: [exc.message]}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The SMS Authenticator settings were saved."))
            return redirect(reverse("messaging:verify") + "#settings")
    return _page(request, settings_form=form, status=400)


def _back() -> HttpResponse:
    return redirect(reverse("messaging:verify") + "#try")


@require_POST
@use_verify
def verify_try(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.phone:
        messages.error(request, _("Add a phone number of your own first."))
        return _back()
    try:
        started = verification.start(user, str(user.phone))
    except verification.VerifyRefused as exc:
        messages.error(request, exc.message)
        return _back()
    item = started.verification
    request.session[TRY_KEY] = item.public_id
    minutes = max(1, item.ttl // 60)
    messages.success(request, ngettext(
        "A code is on its way to %(to)s. It expires in %(minutes)d minute.",
        "A code is on its way to %(to)s. It expires in %(minutes)d minutes.", minutes)
        % {"to": item.masked_to, "minutes": minutes})
    return _back()


@require_POST
@use_verify
def verify_check(request: HttpRequest) -> HttpResponse:
    tried = _tried(request)
    if tried is None:
        messages.error(request, _("Send yourself a code first."))
        return _back()
    if tried.effective_status() == Status.PENDING:
        form = TryCodeForm(request.POST)
        if not form.is_valid():
            return _page(request, code_form=form, status=400)
        try:
            tried = verification.check(request.user, tried.public_id, form.cleaned_data["code"])
        except verification.VerifyRefused as exc:
            # Decided in the meantime (another tab, the API): say what it is now.
            if exc.code != "CONFLICT":
                request.session.pop(TRY_KEY, None)
                messages.error(request, exc.message)
                return _back()
            tried = verification.get(request.user, tried.public_id)
    status = tried.effective_status()
    if status == Status.PENDING:
        messages.error(request, ngettext(
            "Wrong code: %(n)d attempt left.", "Wrong code: %(n)d attempts left.",
            tried.attempts_left) % {"n": tried.attempts_left})
        return _back()
    request.session.pop(TRY_KEY, None)
    if status == Status.APPROVED:
        messages.success(request, _("Approved: the code was right. Your users see the same "
                                    "when they type theirs."))
    elif status == Status.DENIED:
        messages.error(request, _("Denied: that was the last attempt. Send a new code to try "
                                  "again."))
    elif status == Status.EXPIRED:
        messages.error(request, _("The code has expired. Send a new one."))
    else:
        messages.error(request, _("This code was canceled (a newer one was sent to the same "
                                  "number). Send a new one."))
    return _back()
