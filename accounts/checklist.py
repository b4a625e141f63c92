"""The account's own items of the dashboard's checklist: second factor, backup codes,
password, and (for the owner) the two IP whitelists. Registered by AccountsConfig.ready()."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from security.models import IPWhitelistEntry

from . import otp
from .dashboard import ADVICE, FIX, OK, Check
from .models import User

# Fewer backup codes than this left: time to make new ones.
BACKUP_CODES_LOW = 3
# The password expires within this many days: time to change it.
PASSWORD_SOON_DAYS = 7


def items(request: HttpRequest, user: User) -> list[Check]:
    return [*_second_factor(user), _password(user), *_whitelists(user)]


def _second_factor(user: User) -> list[Check]:
    security = reverse("accounts:security")
    if not otp.has_second_factor(user):
        return [Check("second_factor", FIX, _("Second factor"),
                      _("Off: your password alone is enough to sign in."),
                      security + "#second-factor", _("Turn one on"))]
    left = otp.backup_codes_left(user)
    on = Check("second_factor", OK, _("Second factor"),
               _("On: signing in takes your password and a code."),
               security + "#second-factor", _("Manage"))
    if left == 0:
        state, summary = FIX, _("None left: with your phone lost, you could not sign in.")
    else:
        state = OK if left >= BACKUP_CODES_LOW else ADVICE
        summary = ngettext("%(n)d code left for the day your phone is lost.",
                           "%(n)d codes left for the day your phone is lost.", left) % {"n": left}
    action = _("Make new codes") if state != OK else _("Manage")
    return [on, Check("backup_codes", state, _("Backup codes"), summary,
                      security + "#second-factor", action)]


def _password(user: User) -> Check:
    age = (timezone.now() - user.password_changed_at).days
    changed = ngettext("Changed %(n)d day ago.", "Changed %(n)d days ago.", age) % {"n": age}
    if age == 0:
        changed = _("Changed today.")
    left = user.password_days_left()
    if user.must_change_password:
        state, summary = FIX, _("An operator asked you to change it.")
    elif left is None:
        state, summary = OK, changed + " " + _("No periodic change is required.")
    else:
        days = settings.PASSWORD_EXPIRY_DAYS
        every = ngettext("It must be changed every %(n)d day:",
                         "It must be changed every %(n)d days:", days) % {"n": days}
        rest = ngettext("%(n)d day left.", "%(n)d days left.", left) % {"n": left}
        state = FIX if left <= PASSWORD_SOON_DAYS else OK
        summary = f"{changed} {every} {rest}"
    return Check("password", state, _("Password"), summary, reverse("accounts:password_change"),
                 _("Change it"))


def _whitelists(user: User) -> list[Check]:
    # The account's two lists are the owner's to set (security.access.account_owner_required).
    if user.is_sub_user:
        return []
    counts = dict(IPWhitelistEntry.objects.filter(user=user).values("kind")
                  .annotate(n=Count("id")).values_list("kind", "n"))
    url = reverse("security:whitelists")
    found = []
    for kind, title, open_text in (
        (IPWhitelistEntry.Kind.PORTAL, _("Portal sign-in addresses"),
         _("Any address may sign in with your password.")),
        (IPWhitelistEntry.Kind.API, _("API addresses"),
         _("Any address may call the API with your keys.")),
    ):
        n = counts.get(kind, 0)
        if n:
            summary = ngettext("Limited to %(n)d address or range.",
                               "Limited to %(n)d addresses or ranges.", n) % {"n": n}
            found.append(Check(f"{kind}_whitelist", OK, title, summary, url, _("Edit")))
        else:
            found.append(Check(f"{kind}_whitelist", ADVICE, title, open_text, url,
                               _("Limit it")))
    return found
