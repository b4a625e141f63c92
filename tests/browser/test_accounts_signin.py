"""The sign-in pages' feedback, seen in a browser: the code step and the lock-out."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accounts import otp
from portal import sms
from tests.browser.helpers import submit_password as _sign_in_with_password
from tests.conftest import last_sms_code


def _enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def test_it_refuses_a_resend_within_the_cooldown_with_a_clear_message(page: Page, alice_with_sms):
    _sign_in_with_password(page, "alice")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    assert len(sms.outbox) == 1

    page.get_by_role("button", name="Send the code again").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.locator(".message.error")).to_have_text(
        re.compile(r"^Please wait before asking for another code\. Try again in \d+ seconds\.$")
    )
    assert len(sms.outbox) == 1
    # The first code still works after the refused resend.
    _enter_code(page, last_sms_code())
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_it_accepts_a_backup_code_once_in_place_of_the_sms_code(page: Page, alice_with_sms):
    backup = otp.generate_backup_codes(alice_with_sms)

    _sign_in_with_password(page, "alice")
    expect(page.locator("main")).to_contain_text("Enter one of your backup codes instead")
    _enter_code(page, backup[3].upper())  # as typed from paper: case does not matter
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".messages")).to_contain_text("You have signed out.")

    _sign_in_with_password(page, "alice")
    _enter_code(page, backup[3])
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.locator(".errorlist")).to_contain_text("That code is not right.")
    assert otp.backup_codes_left(alice_with_sms) == 9


def test_it_ends_the_sign_in_after_five_wrong_codes(page: Page, alice_with_sms):
    _sign_in_with_password(page, "alice")
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        _enter_code(page, wrong)
        expect(page.locator(".errorlist")).to_have_text(
            f"That code is not right. {left} attempts left."
        )
    _enter_code(page, wrong)

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".message.error")).to_contain_text("Too many wrong codes.")
    # The code that was sent is dead: the sign-in must start over.
    page.goto("/accounts/login/code/")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_it_shows_the_lockout_page_after_five_wrong_passwords(page: Page, alice):
    for _attempt in range(4):
        _sign_in_with_password(page, "alice", "Wrong-Password-1")
        expect(page.locator(".errorlist")).to_contain_text("The username or password is not right.")
    _sign_in_with_password(page, "alice", "Wrong-Password-1")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Try again in 15 minutes")

    # Locked: even the right password is refused, with the same page.
    _sign_in_with_password(page, "alice")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_it_locks_an_unknown_username_with_the_same_page(page: Page, db):
    for _attempt in range(4):
        _sign_in_with_password(page, "nobody", "Wrong-Password-1")
        expect(page.locator(".errorlist")).to_contain_text("The username or password is not right.")
    _sign_in_with_password(page, "nobody", "Wrong-Password-1")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Try again in 15 minutes")
