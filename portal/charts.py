"""Counts by day as bars a template draws in SVG: no script, nothing from outside.

The apps read their counts (a key's requests, an account's messages) and hand them to
`day_chart`; `templates/portal/_day_chart.html` draws the result, `_day_table.html` gives its
numbers as a table, and `_day_chart_card.html` puts both in a dashboard card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

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

    def figures(self) -> dict:
        """What a sentence about the chart names: first, last (ISO days), total, peak."""
        return {"first": self.first.isoformat(), "last": self.last.isoformat(),
                "total": self.total, "peak": self.peak}


def days_to(today: date | None = None, days: int = DAYS) -> tuple[date, date]:
    """The first and the last day of the `days` days (UTC) up to today."""
    today = today or timezone.now().date()
    return today - timedelta(days=days - 1), today


def day_chart(counts: Mapping[date, int], first: date, days: int = DAYS,
              scale: int | None = None) -> Chart:
    """One bar a day from `first`, for `days` days; a day missing from `counts` is 0.

    `scale` (used when above the highest count) is the count of a full-height bar: charts
    drawn one over the other share it, so their bars compare."""
    peak = max((counts.get(first + timedelta(days=i), 0) for i in range(days)), default=0)
    full = max(peak, scale or 0)
    slot = WIDTH // days
    bars = []
    for i in range(days):
        day = first + timedelta(days=i)
        count = counts.get(day, 0)
        height = round((HEIGHT - TOP) * count / full) if full else 0
        if count and height < 1:
            height = 1  # a day with use is never drawn as empty
        bars.append(Bar(day=day, count=count, x=i * slot, y=HEIGHT - height,
                        width=slot - BAR_GAP, height=height))
    return Chart(bars=bars, peak=peak, total=sum(bar.count for bar in bars))


def card(card_id: str, chart: Chart, heading: str, title: str, summary: str,
         column: str) -> dict:
    """What templates/portal/_day_chart_card.html shows: `title` and `summary` are sentences
    that may name %(first)s, %(last)s, %(total)d and %(peak)d (`summary` a plural on
    "total"); `column` names the count in the table."""
    figures = chart.figures()
    return {"id": card_id, "chart": chart, "heading": heading, "title": title % figures,
            "summary": summary % figures, "column": column}
