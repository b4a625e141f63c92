"""What every browser test does: sign in through the real form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def submit_password(page: Page, username: str = "alice", password: str = PASSWORD) -> None:
    """The password step, whatever comes after it (code step, lock-out, dashboard)."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in(page: Page, username: str = "alice", password: str = PASSWORD) -> None:
    """Sign in an account without a second factor, and land on the dashboard."""
    submit_password(page, username, password)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
