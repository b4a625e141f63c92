"""Account activity: the user's own events, newest first, paginated, filtered, as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from security.models import EventType, SecurityEvent

PAGE = "/account/activity/"


def _events(user, n, type=EventType.CODE_SENT, **detail):
    now = timezone.now()
    made = SecurityEvent.objects.bulk_create(
        SecurityEvent(user=user, account=user, username=user.username, type=type, ip="192.0.2.1",
                      detail=detail) for _ in range(n)
    )
    for i, event in enumerate(made):  # distinct times, oldest first
        SecurityEvent.objects.filter(pk=event.pk).update(created=now - timedelta(minutes=n - i))
    return made


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
class TestThePage:
    def test_it_lists_the_users_own_events_newest_first(self, alice, alice_browser, mallory):
        SecurityEvent.objects.create(user=mallory, username="mallory", type=EventType.KEY_CREATED,
                                     ip="192.0.2.99")
        page = alice_browser.get(PAGE).content.decode()
        assert "192.0.2.99" not in page and 'data-event="key.created"' not in page
        # Alice's sign-in: the new device is noticed at the password step, before the sign-in
        # completes, so the sign-in is listed first.
        assert page.index('data-event="signin.success"') < page.index('data-event="device.new"')

    def test_it_shows_failed_sign_ins_against_the_account(self, alice, alice_browser):
        from django.test import Client

        Client(REMOTE_ADDR="192.0.2.200").post("/accounts/login/", {
            "username": "alice", "password": "Wrong-Password-1"})
        page = alice_browser.get(PAGE).content.decode()
        assert 'data-event="signin.failure"' in page and "192.0.2.200" in page

    def test_it_pages_by_twenty_five(self, alice, alice_browser):
        SecurityEvent.objects.all().delete()
        _events(alice, 30)
        first = alice_browser.get(PAGE).content.decode()
        assert first.count('data-event="otp.sent"') == 25
        assert "Page 1 of 2, 30 events" in first and "?page=2" in first
        second = alice_browser.get(PAGE + "?page=2").content.decode()
        assert second.count('data-event="otp.sent"') == 5
        assert alice_browser.get(PAGE + "?page=abc").status_code == 200
        assert alice_browser.get(PAGE + "?page=99").status_code == 200

    def test_it_filters_by_type(self, alice, alice_browser):
        _events(alice, 3, EventType.KEY_CREATED)
        page = alice_browser.get(PAGE + "?type=key.created").content.decode()
        assert page.count('data-event="key.created"') == 3
        assert 'data-event="signin.success"' not in page
        assert "type=key.created&amp;format=csv" in page

    def test_an_unknown_type_is_a_clear_error(self, alice_browser):
        response = alice_browser.get(PAGE + "?type=nonsense")
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()

    def test_it_needs_a_signed_in_user(self, client):
        assert client.get(PAGE)["Location"].startswith("/accounts/login/")

    def test_it_costs_the_same_queries_for_few_or_many_events(
        self, alice, alice_browser, django_assert_num_queries
    ):
        alice_browser.get(PAGE)
        with django_assert_num_queries(5):  # session, user, whitelist, count, page
            alice_browser.get(PAGE)
        _events(alice, 300)
        with django_assert_num_queries(5):
            alice_browser.get(PAGE)


@pytest.mark.django_db
def test_details_name_our_own_words_in_plain_language_and_keep_data_as_recorded(alice):
    event = SecurityEvent(user=alice, type=EventType.SIGNIN_SUCCESS, detail={
        "factor": "totp", "signing": True, "key_id": "Ab12", "label": "sms"})
    assert event.detail_text == "factor: authenticator app, key: Ab12, label: sms, signing: yes"


class TestCSV:
    def test_it_downloads_every_event_with_the_filter(self, alice, alice_browser, mallory):
        SecurityEvent.objects.create(user=mallory, type=EventType.KEY_CREATED)
        _events(alice, 40, EventType.KEY_CREATED, list="api")
        response = alice_browser.get(PAGE + "?type=key.created&format=csv")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="account-activity.csv"' in response["Content-Disposition"]
        rows = _csv(response)
        assert len(rows) == 40
        assert set(rows[0]) == {"time_utc", "username", "event", "description", "ip", "user_agent",
                                "detail"}
        assert rows[0]["event"] == "key.created" and rows[0]["description"] == "API key created"
        assert rows[0]["detail"] == "list: API" and rows[0]["time_utc"].endswith("Z")
        assert rows[0]["time_utc"] > rows[-1]["time_utc"]

    def test_it_costs_one_query_for_the_events_however_many(
        self, alice, alice_browser, django_assert_num_queries
    ):
        alice_browser.get(PAGE)
        with django_assert_num_queries(4):  # session, user, whitelist, the events
            assert len(_csv(alice_browser.get(PAGE + "?format=csv"))) == 2
        _events(alice, 1200)
        with django_assert_num_queries(4):
            assert len(_csv(alice_browser.get(PAGE + "?format=csv"))) == 1202

    def test_a_cell_cannot_become_a_spreadsheet_formula(self, alice, alice_browser):
        SecurityEvent.objects.create(user=alice, type=EventType.SIGNIN_FAILURE,
                                     user_agent='=HYPERLINK("http://evil.example","x")')
        rows = _csv(alice_browser.get(PAGE + "?format=csv&type=signin.failure"))
        assert rows[0]["user_agent"].startswith("'=HYPERLINK")

    def test_an_unknown_format_is_a_clear_error(self, alice_browser):
        assert alice_browser.get(PAGE + "?format=xlsx").status_code == 400
