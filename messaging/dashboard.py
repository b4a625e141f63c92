"""The messages' part of the dashboard (accounts.dashboard): the chart of messages sent.
Registered by MessagingConfig.ready(); shown to those who may read reports. One query."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from accounts.models import Permission, User
from portal.charts import card, day_chart, days_to

from .models import Message
from .stats import FAILED


def sent_section(request: HttpRequest, user) -> dict | None:
    """Messages sent a day, last 30 days (UTC) (failed and undelivered ones left out): an
    owner's whole account, a sub-user's own."""
    if not user.has_portal_permission(Permission.READ_REPORTS):
        return None
    first, _last = days_to()
    if user.is_sub_user:
        senders = Q(user=user)
    else:
        senders = Q(user__in=User.objects.filter(Q(pk=user.pk) | Q(owner=user)).values("pk"))
    # Live messages only: a test key's never reached a phone (they are listed apart).
    rows = (Message.objects.filter(senders, test=False,
                                   created_at__gte=datetime.combine(first, time.min, tzinfo=UTC))
            .exclude(status__in=FAILED)
            .annotate(day=TruncDate("created_at", tzinfo=UTC))
            .values("day").annotate(n=Count("id")).values_list("day", "n"))
    return card("messages-sent", day_chart(dict(rows), first),
                _("Messages sent, last 30 days (UTC)"),
                _("Messages sent per day from %(first)s to %(last)s: %(total)d in all"),
                ngettext_lazy("%(total)d message sent, at most %(peak)d in a day.",
                              "%(total)d messages sent, at most %(peak)d in a day.", "total"),
                _("Messages sent"))
