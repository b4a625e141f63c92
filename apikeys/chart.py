"""The 30-day usage chart of a key (portal.charts draws it)."""

from __future__ import annotations

from datetime import date

from portal.charts import Chart, day_chart, days_to

from .models import APIKey, KeyUsageDay


def usage_chart(key: APIKey, today: date | None = None) -> Chart:
    """The last 30 days (UTC) up to today, one bar a day, in one query."""
    first, last = days_to(today)
    counts = dict(KeyUsageDay.objects.filter(key=key, date__gte=first, date__lte=last)
                  .values_list("date", "count"))
    return day_chart(counts, first)
