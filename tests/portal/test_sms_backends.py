"""The SMS backends, with the real Twilio SDK driven through a recording HTTP client."""

from __future__ import annotations

import json
import logging

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response

from portal import sms
from portal.sms import SMSError
from portal.sms.backends import TwilioBackend


class RecordingHttpClient(HttpClient):
    """Stands where the network would be: records each request, answers like Twilio."""

    def __init__(self, status: int = 201, answer: dict | None = None):
        super().__init__(logger=logging.getLogger("tests.twilio"), is_async=False)
        self.requests: list[dict] = []
        self.status = status
        self.answer = answer or {"sid": "SM0123456789abcdef0123456789abcdef",
                                 "status": "queued"}

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "url": url, "data": data, "auth": auth,
                              "headers": headers, "timeout": timeout})
        return Response(self.status, json.dumps(self.answer))


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "auth-token-for-tests"
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    return settings


def test_twilio_sends_the_request_the_api_expects(twilio_settings):
    recorder = RecordingHttpClient()
    sent = TwilioBackend(http_client=recorder).send("+40712345678", "Your code is 123456")
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request["method"] == "POST"
    assert request["url"] == (
        "https://api.twilio.com/2010-04-01/Accounts/AC" + "1" * 32 + "/Messages.json")
    assert request["auth"] == ("AC" + "1" * 32, "auth-token-for-tests")
    assert request["data"]["To"] == "+40712345678"
    assert request["data"]["From"] == "+15005550006"
    assert request["data"]["Body"] == "Your code is 123456"
    assert sent.provider_id == "SM0123456789abcdef0123456789abcdef"
    assert sent.status == "queued"


def test_twilio_uses_the_messaging_service_when_configured(twilio_settings):
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32
    recorder = RecordingHttpClient()
    TwilioBackend(http_client=recorder).send("+40712345678", "hello",
                                             status_callback="https://x.test/cb")
    data = recorder.requests[0]["data"]
    assert data["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in data
    assert data["StatusCallback"] == "https://x.test/cb"


def test_a_refusal_from_twilio_is_a_clear_error_without_the_token(twilio_settings, caplog):
    recorder = RecordingHttpClient(status=400, answer={
        "code": 21211, "message": "The 'To' number is not valid.", "status": 400})
    with pytest.raises(SMSError) as info:
        TwilioBackend(http_client=recorder).send("+40712345678", "hello")
    assert "refused" in str(info.value)
    assert "auth-token-for-tests" not in caplog.text + str(info.value)


def test_twilio_without_credentials_is_refused_clearly(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(SMSError, match="not configured"):
        TwilioBackend(http_client=RecordingHttpClient())


def test_locmem_keeps_an_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    sms.send_sms("+40712345678", "hi")
    assert [(m.to, m.body) for m in sms.outbox] == [("+40712345678", "hi")]


def test_console_prints_the_message(settings, capsys):
    settings.SMS_BACKEND = "console"
    sms.send_sms("+40712345678", "Your code is 654321")
    out = capsys.readouterr().out
    assert "+40712345678" in out and "654321" in out
