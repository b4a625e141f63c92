"""What an account sent, by day (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Message

FAILED = (Message.Status.FAILED, Message.Status.UNDELIVERED)


def by_day(user, days: int, now=None, test: bool = False) -> dict:
    """Counts for the last `days` days, today included, with a row for every day: of the
    live messages, or (`test`) of the test keys' ones, never both."""
    today = (now or timezone.now()).astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    rows = (
        Message.objects.filter(user=user, test=test, created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(failed=Count("id", filter=Q(status__in=FAILED)), total=Count("id"))
    )
    counts = {row["day"]: (row["total"] - row["failed"], row["failed"]) for row in rows}
    days_list = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        sent, failed = counts.get(day, (0, 0))
        days_list.append({"date": day.isoformat(), "sent": sent, "failed": failed})
    return {
        "sent": sum(d["sent"] for d in days_list),
        "failed": sum(d["failed"] for d in days_list),
        "by_day": days_list,
    }
