"""The sign-in page in a real Chromium: the warning that staff never ask for the password."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_the_sign_in_page_says_staff_never_ask_for_the_password(page: Page):
    page.goto("/accounts/login/")
    notice = page.locator("[data-never-ask]")
    expect(notice).to_have_text(
        "SMS Gateway staff never ask for your password or your sign-in codes, by e-mail, phone "
        "or any other way: do not give them to anyone.")
    expect(notice).to_be_visible()
