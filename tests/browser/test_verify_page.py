"""The SMS Authenticator page in Chromium: "try it" sends a code to the user's own phone
(the locmem SMS outbox), typed back it is approved; the page speaks Romanian."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal import sms
from tests.browser.helpers import sign_in

PHONE = "+40712345678"


@pytest.fixture
def alice_with_phone(alice):
    """An owner with a verified phone and no second factor (the sign-in is the password)."""
    alice.phone = PHONE
    alice.save(update_fields=["phone"])
    return alice


def test_try_it_sends_a_code_and_the_typed_code_is_approved(page: Page, alice_with_phone):
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="SMS Authenticator").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SMS Authenticator")
    try_it = page.locator("#try")
    try_it.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("status").first).to_contain_text("A code is on its way to +4071****678")
    assert [message.to for message in sms.outbox] == [PHONE]
    code = re.match(r"(\d{6}) ", sms.outbox[-1].body).group(1)
    page.locator("#try").get_by_label("Code from the SMS").fill(code)
    page.locator("#try").get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("status").first).to_contain_text("Approved: the code was right.")
    row = page.locator("#recent tbody tr").first
    expect(row).to_contain_text("+4071****678")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "approved")
    expect(page.locator("#activity")).to_contain_text("Approval rate: 100%")


def test_the_page_speaks_romanian(page: Page, alice_with_phone):
    sign_in(page)
    page.goto("/account/verify/")
    page.get_by_label("Language").select_option("ro")
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Autentificator SMS")
