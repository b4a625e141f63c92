"""A new e-mail address in a real browser: asked for, waiting, confirmed from the link."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.helpers import sign_in
from tests.conftest import outbox_link

NEW = "alice.new@example.com"


def test_a_new_address_waits_for_its_link_then_takes_over(page: Page, alice):
    sign_in(page)
    page.goto("/account/profile/")
    page.get_by_label("E-mail address").fill(NEW)
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/account/profile/$"))
    expect(page.locator(".messages")).to_contain_text(f"We sent a confirmation link to {NEW}")
    expect(page.locator("[data-state=email-pending]")).to_contain_text(NEW)
    expect(page.get_by_label("E-mail address")).to_have_value("alice@example.com")
    assert User.objects.get(pk=alice.pk).email == "alice@example.com"

    index = next(i for i, m in enumerate(mail.outbox) if m.to == [NEW])
    page.goto(outbox_link(index))
    expect(page).to_have_url(re.compile(r"/account/profile/$"))
    expect(page.locator(".messages")).to_contain_text(f"Your e-mail address is now {NEW}.")
    expect(page.locator("[data-state=email-pending]")).to_have_count(0)
    expect(page.get_by_label("E-mail address")).to_have_value(NEW)


def test_a_waiting_address_can_be_cancelled(page: Page, alice):
    sign_in(page)
    page.goto("/account/profile/")
    page.get_by_label("E-mail address").fill(NEW)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Cancel this change").click()

    expect(page.locator(".messages")).to_contain_text("was cancelled")
    expect(page.locator("[data-state=email-pending]")).to_have_count(0)
    index = next(i for i, m in enumerate(mail.outbox) if m.to == [NEW])
    page.goto(outbox_link(index))
    expect(page.get_by_role("heading", name="Your e-mail address was not changed")).to_be_visible()
    assert User.objects.get(pk=alice.pk).email == "alice@example.com"
