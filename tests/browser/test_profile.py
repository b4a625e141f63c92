"""The profile page in a real Chromium: the session-length choices stop at the lifetime."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.helpers import sign_in


@pytest.mark.django_db(transaction=True)
def test_the_session_length_choices_stop_at_the_12_hour_lifetime(page: Page, alice):
    sign_in(page)
    page.goto("/account/profile/")
    choice = page.get_by_label("Sign me out after this long without activity")
    expect(choice.locator("option")).to_have_text(
        ["15 minutes", "30 minutes", "1 hour", "4 hours", "8 hours"])
    expect(page.get_by_text("Sessions also end 12 hours after sign-in, whatever this says.")
           ).to_be_visible()
    choice.select_option(label="8 hours")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_be_visible()
    assert User.objects.get(pk=alice.pk).session_idle_seconds == 8 * 60 * 60
