"""Password rules on registration, the expiry banner and the forced change, in a browser.

The live server runs in another thread, where freezegun is not reliable: an old password is
made by moving `password_changed_at` back in the database instead.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.helpers import submit_password as _sign_in_with_password
from tests.conftest import PASSWORD

NEW_PASSWORD = "Another-Harbour-77"




def _register(page: Page, password: str) -> None:
    page.goto("/accounts/register/")
    page.get_by_label("Username").fill("newbie")
    page.get_by_label("E-mail address").fill("newbie@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Create account").click()


def _password_errors(page: Page):
    return page.locator("[data-field=password2] .errorlist, [data-field=password1] .errorlist")


@pytest.mark.parametrize(
    "password, message",
    [
        ("Password1", "This password is too common."),
        ("lowercase1", "This password has no capital letter: add at least one (A-Z)."),
        ("Nodigits-here", "This password has no digit: add at least one (0-9)."),
        ("Sh0rt-A", "This password is too short. It must contain at least 8 characters."),
        ("Newbie-2024", "The password is too similar to the username."),
    ],
)
def test_it_refuses_a_weak_password_on_registration_with_the_rule_named(
    page: Page, db, password, message
):
    _register(page, password)

    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    expect(_password_errors(page)).to_contain_text(message)
    assert not User.objects.exists()


def _alice_with_password_age(make_user, age: timedelta) -> User:
    alice = make_user("alice", password_expiry_enabled=True)
    User.objects.filter(pk=alice.pk).update(password_changed_at=timezone.now() - age)
    return alice


def test_it_shows_the_days_left_before_the_password_expires(page: Page, make_user):
    # 19.5 days old: 10.5 days left, shown as whole days (a started day counts).
    _alice_with_password_age(make_user, timedelta(days=19, hours=12))
    _sign_in_with_password(page, "alice")

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("[data-banner=password-expiry]")).to_contain_text(
        "Your password will expire in 11 days."
    )


def test_it_shows_no_expiry_banner_when_the_policy_is_off(page: Page, make_user):
    alice = make_user("alice")
    User.objects.filter(pk=alice.pk).update(
        password_changed_at=timezone.now() - timedelta(days=400)
    )
    _sign_in_with_password(page, "alice")

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("[data-banner=password-expiry]")).to_have_count(0)


def test_it_sends_an_expired_password_to_the_change_form_until_it_is_changed(page: Page, make_user):
    alice = _alice_with_password_age(make_user, timedelta(days=31))
    _sign_in_with_password(page, "alice")

    expect(page).to_have_url(re.compile(r"/accounts/password/change/$"))
    expect(page.locator("[data-banner=password-required]")).to_be_visible()
    for path in ("/dashboard/", "/account/security/", "/account/profile/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/accounts/password/change/$"))

    # The new password obeys the same rules.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("Password1")
    page.get_by_label("New password confirmation").fill("Password1")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".errorlist")).to_contain_text("This password is too common.")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator(".messages")).to_contain_text("Your password was changed.")
    expect(page.locator("[data-banner=password-expiry]")).to_contain_text(
        "Your password will expire in"
    )
    page.goto("/account/security/")
    expect(page).to_have_url(re.compile(r"/account/security/$"))
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
