"""Registration tells no one who has an account (SEC-43, issue 10 item 11)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from django.core import mail
from freezegun import freeze_time

from accounts.models import User
from tests.conftest import PASSWORD

REGISTER = "/accounts/register/"


def _register(client, username, email, ip="198.51.100.7"):
    return client.post(REGISTER, {"username": username, "email": email,
                                  "password1": PASSWORD, "password2": PASSWORD},
                       REMOTE_ADDR=ip)


def _text(response, email: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return html.replace(email, "ADDRESS")


def _page_templates(response) -> list[str]:
    """The templates of the page (the test client also lists those of the e-mails sent)."""
    return [t.name for t in response.templates if not t.name.startswith(("emails/", "_"))]


@pytest.fixture
def one_day():
    """The clock at the start of a day: the owner's notices are counted per day."""
    now = int(time.time())
    with freeze_time(datetime.fromtimestamp(now - now % 86400 + 86400, tz=UTC)):
        yield


@pytest.mark.django_db
class TestSameAnswer:
    def test_a_taken_and_a_free_address_get_the_same_page_and_the_owner_is_told(
            self, client, alice):
        taken = _register(client, "alice2", "ALICE@example.com")
        free = _register(client, "carol", "carol@example.com")
        assert taken.status_code == free.status_code == 200
        assert _page_templates(taken) == _page_templates(free)
        assert _page_templates(taken)[0] == "accounts/register_done.html"
        assert _text(taken, "alice@example.com") == _text(free, "carol@example.com")
        assert "Check your inbox" in taken.content.decode()
        # No second account for alice's address; its owner got a notice, carol her link.
        assert not User.objects.filter(username="alice2").exists()
        assert User.objects.filter(email="alice@example.com").count() == 1
        notice, link = mail.outbox
        assert notice.to == ["alice@example.com"]
        assert "Someone tried to create a new account with this e-mail address" in notice.body
        assert "/accounts/login/" in notice.body and "/accounts/password/reset/" in notice.body
        assert "alice2" not in notice.body and PASSWORD not in notice.body
        assert link.to == ["carol@example.com"] and "/accounts/confirm/" in link.body

    def test_the_owner_is_told_at_most_three_times_a_day(self, one_day, client, alice):
        for i in range(5):
            assert _register(client, f"alice{i}", "alice@example.com").status_code == 200
        assert [m.to for m in mail.outbox] == [["alice@example.com"]] * 3


@pytest.mark.django_db
class TestThrottle:
    def test_attempts_per_client_address_stop_at_the_setting(self, client, settings):
        settings.REGISTRATIONS_PER_ADDRESS_HOUR = 3
        with freeze_time("2026-01-01 12:00:00"):
            for i in range(3):
                assert _register(client, f"user{i}", f"user{i}@example.com").status_code == 200
            refused = _register(client, "user3", "user3@example.com")
            assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
            assert "Too many attempts" in refused.content.decode()
            assert not User.objects.filter(username="user3").exists()
            # Another address is not held back.
            assert _register(client, "user4", "user4@example.com",
                             ip="203.0.113.5").status_code == 200

    def test_the_default_is_ten_an_hour(self, client):
        with freeze_time("2026-01-01 12:00:00"):
            for _ in range(10):
                assert client.post(REGISTER, {"username": "x"}).status_code == 400
            assert client.post(REGISTER, {"username": "x"}).status_code == 429
