from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messaging import stats
from messaging.models import Message

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _message(user, status, days_ago, hour=12):
    when = (NOW - timedelta(days=days_ago)).replace(hour=hour)
    return Message.objects.create(user=user, to="+14155551234", body="x", status=status,
                                  created_at=when)


def test_it_counts_sent_and_failed_by_day_with_every_day_listed(alice, mallory):
    _message(alice, "delivered", 0)
    _message(alice, "queued", 0, hour=0)
    _message(alice, "failed", 0, hour=23)
    _message(alice, "undelivered", 2)
    _message(alice, "sent", 3)  # outside a 3-day period
    _message(mallory, "sent", 0)  # someone else's
    result = stats.by_day(alice, 3, now=NOW)
    assert result["by_day"] == [
        {"date": "2026-03-08", "sent": 0, "failed": 1},
        {"date": "2026-03-09", "sent": 0, "failed": 0},
        {"date": "2026-03-10", "sent": 2, "failed": 1},
    ]
    assert (result["sent"], result["failed"]) == (2, 2)
