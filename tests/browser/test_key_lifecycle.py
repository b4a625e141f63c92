"""The key's life in a real Chromium: disabling and enabling a key on its page, and a test
key generated on the portal whose send reaches no phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apikeys import flows
from apikeys.keycheck import check_key
from apikeys.models import APIKey
from messaging.models import Message
from portal import sms
from tests.browser.helpers import sign_in

from .test_apikeys import row

OFFICE = "203.0.113.7"


@pytest.mark.django_db(transaction=True)
def test_the_owner_disables_a_key_and_enables_it_again(page: Page, alice):
    created = flows.create_key(None, alice, description="Billing server", type="cloud")
    sign_in(page)
    page.goto("/account/api-keys/")
    row(page, created.key).get_by_role("link", name="Details").click()
    expect(page.locator("td[data-state]")).to_have_text("Active")

    page.get_by_role("button", name="Disable this key").click()
    expect(page.locator(".messages")).to_contain_text("is disabled: requests with it are "
                                                      "refused until you enable it")
    expect(page.locator("td[data-state]")).to_contain_text("Disabled")
    expect(page.locator("#regenerate")).to_have_count(0)
    assert check_key(created.full_key, ip=OFFICE).refusal.code == "KEY_DISABLED"

    page.get_by_role("link", name="API Keys").first.click()
    expect(row(page, created.key).locator("[data-state]")).to_have_text("disabled")
    row(page, created.key).get_by_role("link", name="Details").click()

    page.get_by_role("button", name="Enable this key").click()
    expect(page.locator(".messages")).to_contain_text("is enabled again")
    expect(page.locator("td[data-state]")).to_have_text("Active")
    assert check_key(created.full_key, ip=OFFICE).ok


@pytest.mark.django_db(transaction=True)
def test_a_test_key_made_on_the_portal_sends_nothing_and_says_sent(page: Page, alice,
                                                                   live_server):
    sign_in(page)
    page.goto("/account/api-keys/new/")
    page.get_by_label("Description").fill("Staging")
    page.get_by_label("Cloud Key").check()
    page.locator("input[name=mode][value=test]").check()
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("td[data-mode=test]")).to_be_visible()
    full = page.locator("#new-key").inner_text().strip()
    assert re.fullmatch(r"sk_test_[0-9A-Za-z]{61}", full)

    answer = page.request.post(f"{live_server.url}/api/v1/sms/send",
                               headers={"X-API-Key": full},
                               data={"to": ["+14155551234"], "message": "Hello from staging"})
    assert answer.status == 202
    assert [m["status"] for m in answer.json()["messages"]] == ["sent"]
    assert not sms.outbox
    assert Message.objects.get().test is True

    page.get_by_role("link", name="Back to API Keys").click()
    key = APIKey.objects.get()
    expect(row(page, key).locator("[data-mode=test]")).to_have_text("test")
    expect(row(page, key).locator("td").nth(4)).to_have_text("1")
