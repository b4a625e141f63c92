"""The sign-in page and every security e-mail say that staff never ask for the password or
the sign-in codes (as SMSAPI's security guide does): phishing starts with such a request."""

from __future__ import annotations

import pytest
from django.core import mail

from apikeys import flows
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db
NEVER_ASK = ("SMS Gateway staff never ask for your password or your sign-in codes, by e-mail, "
             "phone or any other way: do not give them to anyone.")


def test_the_sign_in_page_says_staff_never_ask_for_the_password(client):
    page = client.get("/accounts/login/").content.decode()
    assert NEVER_ASK in page


def test_the_security_emails_say_it_in_text_and_html(client, alice):
    signed_in_client(client, alice)  # a new browser: the new-device e-mail
    flows.revoke_key(None, flows.create_key(None, alice, description="x").key)  # key e-mails
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    subjects = [m.subject for m in mail.outbox]
    assert len(mail.outbox) >= 3, subjects
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert NEVER_ASK in message.body, message.subject
        assert NEVER_ASK in html, message.subject


def test_every_email_template_carries_it():
    """Every e-mail's text body includes the notice; the HTML ones get it from their base."""
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "templates" / "emails"
    texts = sorted(folder.glob("*-body.txt"))
    assert len(texts) >= 10
    for path in texts:
        assert '{% include "_staff_never_ask.txt" %}' in path.read_text(), path.name
    for path in sorted(set(folder.glob("*-body.html")) - {folder / "base-body.html"}):
        assert 'extends "emails/base-body.html"' in path.read_text(), path.name
