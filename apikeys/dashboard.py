"""The keys' part of the dashboard (accounts.dashboard): three checklist items and the
chart of API requests. Registered by ApikeysConfig.ready(); shown to those who may manage
keys, over the keys they manage. One query each, however many keys the account has."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from accounts.dashboard import ADVICE, FIX, OK, Check
from accounts.models import Permission
from portal.charts import card, day_chart, days_to

from .models import APIKey, KeyUsageDay

UNUSED_DAYS = 90
EXPIRING_DAYS = 14
# Each item: the count it reads (below), its state when some keys need a look (else OK),
# its title, what it says then and what it says when none do, and the days it speaks of.
ITEMS = [
    ("unrestricted", ADVICE, gettext_lazy("Keys without an IP restriction"),
     ngettext_lazy("%(n)d key works from any address: a Cloud key, or a Default key no "
                   "request has locked to its address yet.",
                   "%(n)d keys work from any address: Cloud keys, or Default keys no request "
                   "has locked to their address yet.", "n"),
     gettext_lazy("Every working key is held to known addresses."), 0),
    ("unused", ADVICE, gettext_lazy("Unused keys"),
     ngettext_lazy("%(n)d key was not used for %(days)d days: delete it if nothing needs it.",
                   "%(n)d keys were not used for %(days)d days: delete those nothing needs.",
                   "n"),
     gettext_lazy("Every working key was used in the last %(days)d days."), UNUSED_DAYS),
    ("expiring", FIX, gettext_lazy("Keys about to expire"),
     ngettext_lazy("%(n)d key expires within %(days)d days: put a new key in its place "
                   "before then.",
                   "%(n)d keys expire within %(days)d days: put new keys in their place "
                   "before then.", "n"),
     gettext_lazy("No key expires in the next %(days)d days."), EXPIRING_DAYS),
]


def _may_manage_keys(user) -> bool:
    return user.has_portal_permission(Permission.MANAGE_KEYS)


def checks(request: HttpRequest, user) -> list[Check]:
    if not _may_manage_keys(user):
        return []
    now = timezone.now()
    unused_since = now - timedelta(days=UNUSED_DAYS)
    counts = APIKey.objects.active(now).managed_by(user).aggregate(
        # Work from any address: Cloud keys, and Default keys that no request has locked yet
        # (the first address to use one gets it).
        unrestricted=Count("pk", filter=Q(type=APIKey.Type.CLOUD)
                           | Q(type=APIKey.Type.DEFAULT, locked_ip__isnull=True)),
        unused=Count("pk", filter=Q(last_used_at__lt=unused_since)
                     | Q(last_used_at__isnull=True, created_at__lt=unused_since)),
        expiring=Count("pk", filter=Q(expires_at__lte=now + timedelta(days=EXPIRING_DAYS))),
    )
    url = reverse("apikeys:list")
    found = []
    for name, state, title, some, none, days in ITEMS:
        n = counts[name]
        summary = (some if n else none) % {"n": n, "days": days}
        found.append(Check(f"keys_{name}", state if n else OK, title, summary, url,
                           _("Review keys") if n else _("See keys")))
    return found


def requests_section(request: HttpRequest, user) -> dict | None:
    """Accepted API requests a day, last 30 days (UTC), of every key the user manages
    (deleted ones too: their requests were made)."""
    if not _may_manage_keys(user):
        return None
    first, last = days_to()
    keys = APIKey.objects.managed_by(user).values("pk")
    counts = dict(KeyUsageDay.objects.filter(key__in=keys, date__gte=first, date__lte=last)
                  .values("date").annotate(n=Sum("count")).values_list("date", "n"))
    return card("api-requests", day_chart(counts, first), _("API requests, last 30 days (UTC)"),
                _("API requests per day from %(first)s to %(last)s: %(total)d in all"),
                ngettext_lazy("%(total)d request, at most %(peak)d in a day.",
                              "%(total)d requests, at most %(peak)d in a day.", "total"),
                _("Requests"))
