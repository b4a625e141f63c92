"""The 30-day usage chart of a key, as numbers a template draws as SVG (no script)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from .models import APIKey, KeyUsageDay

DAYS = 30
WIDTH = 600
HEIGHT = 140
BAR_GAP = 2
TOP = 10  # room above the tallest bar


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def first(self) -> date:
        return self.bars[0].day

    @property
    def last(self) -> date:
        return self.bars[-1].day


def usage_chart(key: APIKey, today: date | None = None) -> Chart:
    """The last 30 days (UTC) up to today, one bar a day, in one query."""
    today = today or timezone.now().date()
    start = today - timedelta(days=DAYS - 1)
    counts = dict(
        KeyUsageDay.objects.filter(key=key, date__gte=start, date__lte=today)
        .values_list("date", "count")
    )
    peak = max(counts.values(), default=0)
    slot = WIDTH // DAYS
    bars = []
    for i in range(DAYS):
        day = start + timedelta(days=i)
        count = counts.get(day, 0)
        height = round((HEIGHT - TOP) * count / peak) if peak else 0
        if count and height < 1:
            height = 1  # a day with use is never drawn as empty
        bars.append(Bar(day=day, count=count, x=i * slot, y=HEIGHT - height,
                        width=slot - BAR_GAP, height=height))
    return Chart(bars=bars, peak=peak, total=sum(counts.values()))
