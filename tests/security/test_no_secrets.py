"""No secret in a security event or a log line, across a whole session of security work."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.conf import settings

from apikeys import flows as key_flows
from portal import sms
from security.models import SecurityEvent
from tests.conftest import PASSWORD

from .conftest import browser, sign_in

NEW_PASSWORD = "N3w-Sunrise-Path-77"


@pytest.mark.django_db
def test_events_and_logs_hold_no_password_code_key_token_or_cookie(alice_with_sms, caplog):
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [PASSWORD, NEW_PASSWORD]

    client = browser()
    assert sign_in(client, alice_with_sms, remember=True).status_code == 302
    other = browser("203.0.113.5")
    sign_in(other, alice_with_sms)
    client.post("/account/whitelists/add/", {"kind": "api", "value": "203.0.113.0/24"})
    client.post("/account/devices/sessions/sign-out-others/")
    created = key_flows.create_key(None, alice_with_sms, description="crm", type="cloud")
    secrets.append(created.full_key)
    api = browser("203.0.113.9")
    api.get("/api/v1/me", HTTP_X_API_KEY=created.full_key)
    api.get("/api/v1/me", HTTP_X_API_KEY=created.full_key[:-3] + "abc")
    token_reply = api.post("/api/v1/user/auth", {"login": "alice", "password": PASSWORD},
                           content_type="application/json")
    codes_so_far = [re.search(r"\b(\d{6})\b", m.body).group(1) for m in sms.outbox]
    if token_reply.status_code == 401 and codes_so_far:  # the second factor is asked for
        token_reply = api.post("/api/v1/user/auth", {
            "login": "alice", "password": PASSWORD,
            "challenge": token_reply.json()["challenge"],
            "otp": re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)},
            content_type="application/json")
    assert token_reply.status_code == 200, token_reply.content
    secrets.append(token_reply.json()["token"])
    client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD})
    client.post("/accounts/logout/")
    sign_in(client, alice_with_sms, password="Wrong-Password-00")

    secrets += [re.search(r"\b(\d{6})\b", m.body).group(1) for m in sms.outbox]
    for name in (settings.SESSION_COOKIE_NAME, settings.DEVICE_COOKIE_NAME,
                 settings.REMEMBER_COOKIE_NAME):
        for jar in (client.cookies, other.cookies):
            if name in jar and jar[name].value:
                secrets.append(jar[name].value)
    assert len(secrets) >= 8

    events = SecurityEvent.objects.all()
    assert events.count() >= 10
    stored = [json.dumps([e.username, e.user_agent, e.ip, e.detail]) for e in events]
    logged = [record.getMessage() for record in caplog.records]
    assert any("security event=" in line for line in logged)
    for secret in secrets:
        for text in stored + logged:
            assert secret not in text, (secret[:4] + "...", text[:200])
