"""The device cookie and the new-device e-mail, including one delivered over real SMTP."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail, signing
from freezegun import freeze_time

from security.models import EventType, KnownDevice, SecurityEvent
from tests.conftest import PASSWORD, last_sms_code

from .conftest import CHROME_WIN, IPHONE, browser, sign_in


def _new_device_mails():
    return [m for m in mail.outbox if m.subject.endswith("from a new device")]


@pytest.mark.django_db
class TestNewDeviceEmail:
    def test_the_first_sign_in_from_a_browser_sends_one(self, alice):
        alice.time_zone = "Europe/Bucharest"
        alice.save(update_fields=["time_zone"])
        with freeze_time("2026-03-01 10:00:00"):
            sign_in(browser("203.0.113.9", IPHONE), alice)
        [message] = _new_device_mails()
        assert message.to == ["alice@example.com"]
        body = message.body
        assert "2026-03-01 12:00 EET (Europe/Bucharest)" in body
        assert "203.0.113.9" in body and "Mobile Safari 17" in body and "iOS 17.4" in body
        assert "http://localhost:8000/account/devices/" in body
        assert "http://localhost:8000/accounts/password/change/" in body
        html = message.alternatives[0][0]
        assert "/account/devices/" in html and "Mobile Safari 17" in html
        event = SecurityEvent.objects.get(type=EventType.NEW_DEVICE)
        assert event.detail == {"browser": "Mobile Safari 17", "os": "iOS 17.4", "via": "portal"}

    def test_a_known_browser_sends_none(self, alice):
        client = browser()
        sign_in(client, alice)
        client.post("/accounts/logout/")
        sign_in(client, alice)
        assert len(_new_device_mails()) == 1
        assert SecurityEvent.objects.filter(type=EventType.NEW_DEVICE).count() == 1
        assert SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS).count() == 2

    def test_a_second_browser_is_new(self, alice):
        sign_in(browser(), alice)
        sign_in(browser("203.0.113.20", CHROME_WIN), alice)
        assert len(_new_device_mails()) == 2
        assert KnownDevice.objects.filter(user=alice).count() == 2

    def test_a_tampered_device_cookie_counts_as_new(self, alice):
        client = browser()
        sign_in(client, alice)
        client.post("/accounts/logout/")
        name = settings.DEVICE_COOKIE_NAME
        value = client.cookies[name].value
        client.cookies[name] = value[:-1] + ("A" if value[-1] != "A" else "B")
        sign_in(client, alice)
        assert len(_new_device_mails()) == 2

    def test_a_browser_known_to_another_account_is_new_to_this_one(self, alice, mallory):
        client = browser()
        sign_in(client, mallory)
        client.post("/accounts/logout/")
        sign_in(client, alice)
        assert [m.to for m in _new_device_mails()] == [["mallory@example.com"],
                                                       ["alice@example.com"]]

    def test_the_device_cookie_is_signed_long_lived_and_httponly(self, alice):
        client = browser()
        response = sign_in(client, alice)
        cookie = response.cookies[settings.DEVICE_COOKIE_NAME]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert int(cookie["max-age"]) >= 365 * 24 * 60 * 60
        device_id = KnownDevice.objects.get(user=alice).device_id
        assert signing.loads(cookie.value, salt="security.device-cookie") == device_id
        with pytest.raises(signing.BadSignature):
            signing.loads(cookie.value.replace(":", ":x", 1), salt="security.device-cookie")

    def test_a_refused_password_sends_nothing(self, alice):
        browser().post("/accounts/login/", {"username": "alice", "password": "Wrong-Pass-1"})
        assert not _new_device_mails()

    def test_it_holds_no_secret(self, alice_with_sms):
        sign_in(browser(), alice_with_sms)
        [message] = _new_device_mails()
        for secret in (PASSWORD, last_sms_code()):
            assert secret not in message.body
            assert secret not in message.alternatives[0][0]


class _Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield sink
    controller.stop()


@pytest.mark.django_db
def test_it_delivers_the_new_device_email_over_smtp(alice, smtp_server):
    sign_in(browser("203.0.113.9", CHROME_WIN), alice)
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "Sign-in to your SMS Gateway account from a new device"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert "203.0.113.9" in part and "Chrome 126" in part and "Windows 10" in part
        assert "/account/devices/" in part and "/accounts/password/change/" in part
    assert PASSWORD not in text
