"""The dashboard in Chromium: its checklist says what to fix, leads there, and changes once
it is fixed; the charts are drawn by the server."""

from __future__ import annotations

import base64
import re

from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in


def test_the_checklist_leads_to_the_second_factor_and_changes_once_it_is_on(page: Page,
                                                                           alice):
    sign_in(page)
    checklist = page.locator("#checklist")
    expect(checklist.locator("[data-summary]")).to_contain_text("1 thing to fix.")
    item = checklist.locator('[data-check="second_factor"]')
    expect(item).to_have_attribute("data-state", "fix")
    expect(item).to_contain_text("To fix")
    expect(item).to_contain_text("your password alone is enough to sign in")
    expect(checklist.locator('[data-check="backup_codes"]')).to_have_count(0)

    item.get_by_role("link", name="Turn one on").click()
    expect(page).to_have_url(re.compile(r"/account/security/#second-factor$"))
    page.get_by_role("link", name="Set up an authenticator app").click()
    key = base64.b32decode(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name="I have saved them").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    checklist = page.locator("#checklist")
    item = checklist.locator('[data-check="second_factor"]')
    expect(item).to_have_attribute("data-state", "ok")
    expect(item).to_contain_text("On: signing in takes your password and a code.")
    codes = checklist.locator('[data-check="backup_codes"]')
    expect(codes).to_have_attribute("data-state", "ok")
    expect(codes).to_contain_text("10 codes left")
    expect(checklist.locator("[data-summary]")).to_contain_text("Nothing to fix.")
    expect(page.locator('[data-banner="second-factor"]')).to_have_count(0)
    # The latest events include the change just made, with the way to the rest.
    events = page.locator("#latest-events")
    expect(events.locator('tr[data-event="mfa.enabled"]')).to_have_count(1)
    expect(events.get_by_role("link", name="All account activity")).to_have_attribute(
        "href", "/account/activity/")
    # Both charts drawn, 30 bars each, with no script of any kind from outside.
    expect(page.locator("svg.usage-chart rect.bar")).to_have_count(60)
    assert page.locator("script[src^='http']").count() == 0
