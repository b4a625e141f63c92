"""Account activity: the account's own security events, for the page and the CSV file."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from .models import EventType, SecurityEvent

CSV_COLUMNS = ["time_utc", "username", "event", "description", "ip", "user_agent", "detail"]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def events_for(user, type: str = "") -> QuerySet[SecurityEvent]:
    """The account's events, its sub-users' included (failed sign-ins against it too),
    newest first."""
    events = SecurityEvent.objects.filter(account_id=user.account_id).order_by("-created", "-id")
    if type:
        events = events.filter(type=type)
    return events


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _rows(events: QuerySet[SecurityEvent], labels: dict[str, str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    # One query, streamed in chunks: the file costs the same however long it is.
    for event in events.iterator(chunk_size=500):
        yield writer.writerow([
            _cell(event.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            _cell(event.username),
            _cell(event.type),
            _cell(labels.get(event.type, event.type)),
            _cell(event.ip),
            _cell(event.user_agent),
            _cell(event.detail_text),
        ])


def csv_response(events: QuerySet[SecurityEvent]) -> StreamingHttpResponse:
    # Labels in the reader's language, fixed now: the rows are written after the view returns.
    labels = {value: str(label) for value, label in EventType.choices}
    response = StreamingHttpResponse(_rows(events, labels), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="account-activity.csv"'
    response["Cache-Control"] = "no-store"
    return response
