"""The foundation's main journey, as a new customer lives it in a real browser.

Register, confirm the e-mail from the link in the message, sign in, turn on SMS codes with
the code from the SMS outbox, see the backup codes once, sign out, then sign in again: a
wrong code is refused with a clear message, the right code lets the user in, and a backup
code works in place of the SMS code.
"""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import Page, expect

from portal import sms
from tests.browser.helpers import submit_password as _sign_in_with_password
from tests.conftest import PASSWORD, last_sms_code, outbox_link

PHONE = "+40712345678"




def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".messages")).to_contain_text("You have signed out.")


def _enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def _register_and_confirm(page: Page, username: str, email: str) -> None:
    page.goto("/accounts/register/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.locator("main")).to_contain_text(email)

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email]
    page.goto(outbox_link(0))
    # The token leaves the address bar before any page is shown.
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".messages")).to_contain_text("Your e-mail address is confirmed.")


def _turn_on_sms_codes(page: Page) -> list[str]:
    page.goto("/account/security/")
    expect(page.locator("[data-state=mfa-off]")).to_be_visible()
    page.get_by_role("link", name="Turn on SMS codes").click()
    page.get_by_label("Mobile phone number").fill(PHONE)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Send the code").click()
    expect(page.get_by_role("heading", name="Enter the code")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"We sent a 6-digit code to {PHONE}.")
    assert [m.to for m in sms.outbox] == [PHONE]

    page.get_by_label("Code").fill(last_sms_code())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Sign-in codes by SMS are on.")
    codes = page.locator("#backup-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    return codes


def test_a_new_customer_registers_turns_on_sms_codes_and_signs_in_with_them(page: Page):
    _register_and_confirm(page, "newbie", "newbie@example.com")

    _sign_in_with_password(page, "newbie")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Welcome, newbie")).to_be_visible()
    expect(page.locator("[data-banner=second-factor]")).to_be_visible()

    codes = _turn_on_sms_codes(page)

    # The codes are shown once: the security page only counts them.
    page.get_by_role("link", name="I have saved them").click()
    expect(page).to_have_url(re.compile(r"/account/security/$"))
    expect(page.locator("[data-state=mfa-on]")).to_be_visible()
    expect(page.locator("#second-factor")).to_contain_text(f"On, sent to {PHONE}")
    expect(page.locator("#second-factor")).to_contain_text("10 codes left")
    html = page.content()
    assert not any(code in html for code in codes)
    page.goto("/dashboard/")
    expect(page.locator("[data-banner=second-factor]")).to_have_count(0)
    _sign_out(page)

    # Signing in again takes the code sent by SMS; a wrong one is refused first.
    _sign_in_with_password(page, "newbie")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.locator("main")).to_contain_text("We sent a 6-digit code by SMS")
    assert len(sms.outbox) == 2
    code = last_sms_code()
    _enter_code(page, f"{(int(code) + 1) % 10**6:06d}")
    expect(page.locator(".errorlist")).to_have_text("That code is not right. 4 attempts left.")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    _enter_code(page, code)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Welcome, newbie")).to_be_visible()
    _sign_out(page)

    # A backup code works in place of the SMS code.
    _sign_in_with_password(page, "newbie")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    _enter_code(page, codes[0])
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto("/account/security/")
    expect(page.locator("#second-factor")).to_contain_text("9 codes left")
