"""A customer gives an employee a sign-in of its own with "Send SMS" only (issue 6)."""

from __future__ import annotations

import re

import requests
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from security.models import EventType, SecurityEvent
from tests.browser.helpers import sign_in as _sign_in


def test_an_owner_invites_a_sender_whose_key_sends_but_cannot_manage_keys(
    new_page, live_server, make_user
):
    make_user("shop")
    owner = new_page()
    _sign_in(owner, "shop")
    owner.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    owner.get_by_label("Username").fill("cashier")
    owner.get_by_label("E-mail").fill("cashier@example.com")
    owner.get_by_label("Send SMS").check()
    owner.get_by_role("button", name="Send the invitation").click()
    expect(owner.locator(".message.success")).to_contain_text("cashier was invited")
    expect(owner.locator("tr[data-user=cashier]")).to_contain_text("Send SMS")

    # The invitation's link lets the employee choose a password, then sign in.
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    employee = new_page()
    employee.goto(link)
    employee.get_by_label("New password", exact=True).fill("Cash1er-Sunrise")
    employee.get_by_label("New password confirmation").fill("Cash1er-Sunrise")
    employee.get_by_role("button", name="Set password").click()
    _sign_in(employee, "cashier", "Cash1er-Sunrise")
    nav = employee.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="API Keys")).to_have_count(0)
    employee.goto("/account/api-keys/")
    expect(employee.get_by_role("heading", level=1)).to_have_text(
        "You do not have access to this page")

    # The owner makes the employee's key; it sends SMS and is refused the key endpoints.
    owner.goto("/account/api-keys/new/?for_user=cashier")
    owner.get_by_label("Description").fill("Till 1")
    owner.get_by_label("Cloud Key").check()
    owner.get_by_role("button", name="Generate").click()
    key = owner.locator("#new-key").inner_text().strip()
    headers = {"X-API-Key": key}
    sent = requests.post(f"{live_server.url}/api/v1/sms/send", headers=headers, timeout=10,
                         json={"to": ["+40712345678"], "message": "Your order is ready"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["messages"][0]["to"] == "+40712345678"
    refused = requests.get(f"{live_server.url}/api/v1/keys", headers=headers, timeout=10)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "INSUFFICIENT_SCOPE"

    # The owner finds all of it in the account's activity.
    owner.goto("/account/activity/")
    expect(owner.locator("tr[data-event='subuser.invited']")).to_have_count(1)
    expect(owner.locator("tr[data-event='key.created']")).to_contain_text("cashier")
    sub = User.objects.get(username="cashier")
    assert SecurityEvent.objects.filter(account=sub.owner, type=EventType.SIGNIN_SUCCESS,
                                        user=sub).exists()
