"""Shared fixtures: personas built as real rows, a clean cache and SMS outbox per test."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import translation

from portal import ratelimit, sms

PASSWORD = "Tr1cky-Sunset-42"


@pytest.fixture(autouse=True)
def _isolated(request, settings):
    settings.SMS_BACKEND = "locmem"
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    ratelimit.forget_leases()
    translation.deactivate()  # a request in another test may have left its language active
    names = set(request.fixturenames)
    # The database cache lives in the test database: clear it once that is set up.
    if names & {"live_server", "transactional_db"}:
        request.getfixturevalue("transactional_db")
        cache.clear()
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        cache.clear()
    yield
    sms.outbox.clear()


# The counting tests' fixtures (a Redis of their own, where the counts wait).
pytest_plugins = ["tests.api.counting_fixtures"]


@pytest.fixture(autouse=True)
def _usage_written_at_once(settings):
    # Counts a test reads are written at once; the counting tests turn aggregation on.
    settings.API_USAGE_FLUSH_SECONDS = 0


@pytest.fixture
def make_user(db):
    from accounts.models import User

    def make(username="alice", password=PASSWORD, email=None, confirmed=True, **extra):
        user = User.objects.create_user(
            username=username,
            email=email or f"{username}@example.com",
            password=password,
            **extra,
        )
        user.email_confirmed = confirmed
        user.save(update_fields=["email_confirmed"])
        return user

    return make


def key_factory(owner, **defaults):
    """`make(user=None, **options)`: a key of `owner` (or `user`) made through the real flow,
    `defaults` (description, type...) unless the options say otherwise."""
    from apikeys import flows

    def make(user=None, **options) -> flows.Created:
        return flows.create_key(None, user or owner, **{**defaults, **options})

    return make


@pytest.fixture
def alice(make_user):
    """The owner of the account under test."""
    return make_user("alice")


@pytest.fixture
def mallory(make_user):
    """An outsider, who must be refused everything of alice's."""
    return make_user("mallory")


@pytest.fixture
def alice_with_sms(alice):
    from accounts.models import SMSDevice

    SMSDevice.objects.create(user=alice, name="SMS", phone="+40712345678", confirmed=True)
    alice.phone = "+40712345678"
    alice.save(update_fields=["phone"])
    return alice


def last_sms_code() -> str:
    """The code in the newest SMS of the locmem outbox."""
    assert sms.outbox, "no SMS was sent"
    match = re.search(r"\b(\d{6})\b", sms.outbox[-1].body)
    assert match, sms.outbox[-1].body
    return match.group(1)


def signed_in_client(client, user, password=PASSWORD):
    """Sign `user` in through the real pages (password, then the SMS code if on)."""
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content[:500]
    if response["Location"].endswith("/accounts/login/code/"):
        response = client.post("/accounts/login/code/", {"code": last_sms_code()})
        assert response.status_code == 302
    return client


@pytest.fixture
def alice_client(client, alice):
    return signed_in_client(client, alice)


@pytest.fixture
def operator_client(client, make_user):
    """A staff superuser (with its second factor, as the admin requires), signed in."""
    from accounts.models import SMSDevice

    root = make_user("root", is_staff=True, is_superuser=True)
    SMSDevice.objects.create(user=root, name="SMS", phone="+40712345670", confirmed=True)
    return signed_in_client(client, root)


def outbox_link(message_index: int = -1) -> str:
    """The first portal link in an e-mail of the locmem outbox, as a path."""
    body = mail.outbox[message_index].body
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)
