"""Expiry reminders: an e-mail 7 days and 1 day before a key expires and one once it has,
each once per key, however often (or however many at once) `send_key_reminders` runs."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from apikeys import flows, reminders
from apikeys.models import APIKey
from tests.concurrency import run_together
from tests.conftest import key_factory


def run() -> str:
    out = StringIO()
    call_command("send_key_reminders", stdout=out)
    return out.getvalue().strip()


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


@pytest.fixture
def make_key(alice):
    return key_factory(alice, description="CRM", type=APIKey.Type.CLOUD)


@pytest.mark.django_db
def test_running_twice_sends_each_email_once(make_key, make_user):
    now = timezone.now()
    week = make_key(description="in six days", expires_at=now + timedelta(days=6, hours=1))
    day = make_key(description="tomorrow", expires_at=now + timedelta(hours=20))
    expired = make_key(description="just expired")
    APIKey.objects.filter(pk=expired.key.pk).update(expires_at=now - timedelta(hours=2))
    make_key(description="later", expires_at=now + timedelta(days=10))
    make_key(description="forever")
    long_gone = make_key(description="long gone")
    APIKey.objects.filter(pk=long_gone.key.pk).update(expires_at=now - timedelta(days=30))
    flows.revoke_key(None, make_key(description="deleted",
                                    expires_at=now + timedelta(days=3)).key)
    suspended = make_user("cashier", is_active=False)
    make_key(suspended, description="suspended", expires_at=now + timedelta(days=3))
    mail.outbox.clear()

    assert run() == "3 expiry reminder(s) sent"
    assert run() == "0 expiry reminder(s) sent"
    assert sorted(subjects()) == sorted([
        f"Your API key {week.key.masked} expires in 7 days",
        f"Your API key {day.key.masked} expires within a day",
        f"Your API key {expired.key.masked} has expired",
    ])
    assert {message.to[0] for message in mail.outbox} == {"alice@example.com"}


@pytest.mark.django_db
def test_each_stage_goes_once_as_the_days_pass(make_key):
    start = timezone.now()
    created = make_key(expires_at=start + timedelta(days=8))
    mail.outbox.clear()
    sent = []
    for hours in range(0, 10 * 24, 12):  # two runs a day for ten days
        with freeze_time(start + timedelta(hours=hours)):
            run()
        sent += [(hours, s) for s in subjects()[len(sent):]]
    masked = created.key.masked
    # 7 days before: at 24 h (7 days left, the first run within them), not again at 36 h.
    assert sent == [(24, f"Your API key {masked} expires in 7 days"),
                    (168, f"Your API key {masked} expires within a day"),
                    (192, f"Your API key {masked} has expired")]


@pytest.mark.django_db
def test_a_run_that_finds_a_key_late_sends_only_the_latest_stage(make_key):
    created = make_key(expires_at=timezone.now() + timedelta(hours=12))
    mail.outbox.clear()
    run()
    assert subjects() == [f"Your API key {created.key.masked} expires within a day"]


@pytest.mark.django_db
def test_the_email_says_when_in_the_owners_time_and_never_the_key(alice, make_key):
    alice.time_zone = "Europe/Bucharest"
    alice.save(update_fields=["time_zone"])
    expires = timezone.now().replace(microsecond=0) + timedelta(days=3)
    created = make_key(expires_at=expires)
    mail.outbox.clear()
    run()
    body = mail.outbox[0].body
    with timezone.override("Europe/Bucharest"):
        local = timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")
    assert f"Your API key {created.key.masked} (“CRM”) expires on {local} EE" in body
    assert f"/account/api-keys/{created.key.lookup_id}/" in body
    assert created.full_key not in body and created.full_key not in mail.outbox[0].subject
    html = mail.outbox[0].alternatives[0][0]
    assert created.key.masked in html and created.full_key not in html


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_email_once(alice):
    now = timezone.now()
    make = key_factory(alice, description="race", type=APIKey.Type.CLOUD)
    for n in range(6):
        make(expires_at=now + timedelta(days=1 + n))
    mail.outbox.clear()
    results = run_together([reminders.send_due, reminders.send_due, reminders.send_due])
    assert sum(results) == 6
    assert len(mail.outbox) == 6
    assert len(set(subjects())) == 6
