"""Shared by the SMS Authenticator's tests: an account allowed to send to Romania, its keys,
the API calls, and the real Twilio SDK behind a recording HTTP client."""

from __future__ import annotations

import json
import logging
import re
import threading

from twilio.http import HttpClient
from twilio.http.response import Response

from messaging import verification
from portal.sms.backends import TwilioBackend
from tests.api.conftest import call, error_code

NUMBER = "+40712345679"  # Romania, like alice's own phone (+40712345678)
VERIFY = "/api/v1/verify"

__all__ = ["NUMBER", "VERIFY", "call", "error_code"]


class TwilioRecorder(HttpClient):
    """Stands where the network would be: records each request to Twilio and answers as
    Twilio does, a new message sid each time (delivery reports name messages by it)."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("tests.twilio"), is_async=False)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        with self.lock:
            self.requests.append({"method": method, "url": url, "data": data})
            sid = f"SM{len(self.requests):032x}"
        return Response(201, json.dumps({"sid": sid, "status": "queued"}))

    def bodies(self) -> list[str]:
        return [r["data"]["Body"] for r in self.requests]


RECORDER = TwilioRecorder()


class RecordedTwilio(TwilioBackend):
    """SMS_BACKEND for these tests: the real Twilio backend and SDK, no network."""

    def __init__(self):
        super().__init__(http_client=RECORDER)


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6,10})\b", text)
    assert match, text
    return match.group(1)


def start(client, key: str, **body):
    return call(client, "POST", VERIFY, {"to": NUMBER, **body}, key=key)


def check(client, key: str, verification_id: str, code: str):
    return call(client, "POST", f"{VERIFY}/{verification_id}/check", {"code": code}, key=key)


def wrong(code: str) -> str:
    """A code of the same length that is not `code`."""
    return ("1" if code[0] != "1" else "2") + code[1:]


def allow(owner, *countries: str) -> None:
    current = verification.settings_for(owner)
    verification.save_settings(owner, app_name=current.app_name,
                               code_length=current.code_length, ttl=current.ttl,
                               allowed_countries=list(countries), actor=owner)
