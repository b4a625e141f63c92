"""portal.paging: a page read from whichever end is nearer holds the same rows, in the same
order, as the plain slice, ties in the first ordering column included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.paging import Paginator, rows
from security.models import EventType, SecurityEvent


@pytest.fixture
def events(db):
    SecurityEvent.objects.bulk_create(
        SecurityEvent(username=f"user{n}", type=EventType.SIGNIN_FAILURE) for n in range(23))
    # Three times for 23 rows: the order ("-created", "-id") has ties to break.
    now = timezone.now()
    for n, event in enumerate(SecurityEvent.objects.order_by("id")):
        SecurityEvent.objects.filter(pk=event.pk).update(
            created=now - timedelta(minutes=n % 3))
    return SecurityEvent.objects.order_by("-created", "-id")


def test_every_slice_matches_the_plain_one(events):
    expected = list(events)
    total = len(expected)
    for start in range(total + 2):
        for stop in range(start, total + 3):
            assert rows(events, start, stop, total) == expected[start:stop], (start, stop)


def test_the_paginators_pages_match_and_the_last_needs_no_offset(events):
    expected = list(events)
    paginator = Paginator(events, 5)
    pages = [list(paginator.page(n).object_list) for n in paginator.page_range]
    assert pages == [expected[i:i + 5] for i in range(0, 23, 5)]
    with CaptureQueriesContext(connection) as queries:
        last = paginator.page(paginator.num_pages)
    assert "OFFSET" not in queries.captured_queries[-1]["sql"]
    assert (last.start_index(), last.end_index()) == (21, 23)


def test_a_list_is_paged_as_django_pages_it():
    assert list(Paginator(list(range(12)), 5).page(3).object_list) == [10, 11]
