"""The security centre in Chromium: whitelists, devices, new-device e-mails, activity."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import Page, expect

from portal import sms
from tests.browser.helpers import submit_password as _sign_in
from tests.conftest import last_sms_code


def _sign_out(page: Page) -> None:
    page.locator("form.signout").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def _new_device_mails() -> list:
    return [m for m in mail.outbox if m.subject.endswith("from a new device")]


def test_it_adds_a_portal_entry_and_refuses_one_that_excludes_yourself(page: Page, alice):
    _sign_in(page)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto("/account/security/")
    page.get_by_role("link", name="IP whitelists").click()
    portal = page.locator('[data-list="portal"]')
    expect(portal.locator('[data-state="empty"]')).to_be_visible()

    portal.get_by_label("Address or range").fill("203.0.113.0/24")
    portal.get_by_role("button", name="Add").click()
    portal = page.locator('[data-list="portal"]')
    expect(portal.locator(".errorlist")).to_contain_text(
        "You are connecting from 127.0.0.1, which this list would not include")
    expect(portal.locator("tr[data-entry]")).to_have_count(0)

    portal.get_by_label("Address or range").fill("127.0.0.0/8")
    portal.get_by_label("Label (optional)").fill("this machine")
    portal.get_by_role("button", name="Add").click()
    expect(page.locator(".message.success")).to_have_text("127.0.0.0/8 was added.")
    row = page.locator('[data-list="portal"] tr[data-entry="127.0.0.0/8"]')
    expect(row).to_contain_text("this machine")

    # With its own address on the list, an outside range is accepted too.
    portal = page.locator('[data-list="portal"]')
    portal.get_by_label("Address or range").fill("203.0.113.0/24")
    portal.get_by_role("button", name="Add").click()
    expect(page.locator('[data-list="portal"] tr[data-entry]')).to_have_count(2)
    assert alice.ip_whitelist.count() == 2


def test_it_signs_another_browser_out_and_mails_only_for_new_ones(new_page, alice):
    first = new_page()
    _sign_in(first)
    expect(first).to_have_url(re.compile(r"/dashboard/$"))
    assert len(_new_device_mails()) == 1

    # The same browser again: known, no e-mail.
    _sign_out(first)
    _sign_in(first)
    expect(first).to_have_url(re.compile(r"/dashboard/$"))
    assert len(_new_device_mails()) == 1

    second = new_page()
    _sign_in(second)
    expect(second).to_have_url(re.compile(r"/dashboard/$"))
    assert len(_new_device_mails()) == 2

    first.goto("/account/devices/")
    rows = first.locator("#sessions tr[data-session]")
    expect(rows).to_have_count(2)
    expect(first.locator("#sessions tr[data-current]")).to_contain_text("This browser")
    first.locator("#sessions tr[data-session]:not([data-current])").get_by_role(
        "button", name="Sign out").click()
    expect(first.locator(".message.success")).to_have_text("That session was signed out.")
    expect(first.locator("#sessions tr[data-session]")).to_have_count(1)

    second.reload()
    expect(second).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(second.get_by_role("heading", name="Sign in")).to_be_visible()

    first.get_by_role("link", name="Account activity").click()
    table = first.locator("table")
    expect(table).to_contain_text("Session signed out")
    expect(table).to_contain_text("Sign-in from a new device")
    expect(table).to_contain_text("Signed in")
    expect(first.locator('tr[data-event="device.new"]')).to_have_count(2)

    first.get_by_label("Event").select_option("session.ended")
    first.get_by_role("button", name="Filter").click()
    expect(first.locator("tr[data-event]")).to_have_count(1)


def test_a_remembered_browser_skips_the_code_but_not_the_password(page: Page,
                                                                  alice_with_sms):
    _sign_in(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    page.get_by_label("Code").fill(last_sms_code())
    page.get_by_label("Remember this browser for 30 days").check()
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    _sign_out(page)
    sms.outbox.clear()

    _sign_in(page, password="Wrong-Password-1")
    expect(page.locator(".errorlist")).to_contain_text("The username or password is not right")
    _sign_in(page)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert not sms.outbox

    page.goto("/account/devices/")
    remembered = page.locator("#remembered tr[data-remembered]")
    expect(remembered).to_have_count(1)
    expect(remembered).to_contain_text("This browser")
    remembered.get_by_role("button", name="Forget").click()
    expect(page.locator('[data-state="none-remembered"]')).to_be_visible()
    _sign_out(page)
    _sign_in(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
