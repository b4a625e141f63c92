"""Setting up an authenticator app (TOTP) in a browser, then signing in with it.

The test plays the phone: it reads the key shown on the page and computes the codes with
django-otp's own TOTP function, as an authenticator app would.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

from django.utils import timezone
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from portal import sms
from tests.browser.helpers import submit_password as _sign_in_with_password


def _app_code(key: bytes) -> str:
    return f"{totp(key):06d}"


def _next_app_code(key: bytes, device: TOTPDevice) -> str:
    """The code the app shows now, or the next one if this step's code was already used."""
    now_step = (int(time.time()) - device.t0) // device.step
    return f"{hotp(key, max(now_step, device.last_t + 1)):06d}"




def test_it_sets_up_an_authenticator_app_and_signs_in_with_its_code(page: Page, alice):
    _sign_in_with_password(page, "alice")
    page.goto("/account/security/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()  # the QR code is drawn by the portal
    key = base64.b32decode(page.locator("#totp-secret").inner_text().replace(" ", ""))
    assert key == TOTPDevice.objects.get(user=alice, confirmed=False).bin_key

    # A wrong code leaves the app off and says what to check.
    page.get_by_label("Code").fill(f"{(int(_app_code(key)) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".errorlist")).to_contain_text("Check the time on your phone")
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    # The key stays the same after a wrong code: the app the user already set up still fits.
    assert base64.b32decode(page.locator("#totp-secret").inner_text().replace(" ", "")) == key
    # django-otp then refuses any code for 1 s; a person takes longer than that to retype
    # (no sleep in tests: the failure is moved back in the database instead).
    TOTPDevice.objects.filter(user=alice).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=2)
    )

    page.get_by_label("Code").fill(_app_code(key))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.locator("[data-state=mfa-on]")).to_be_visible()
    expect(page.locator("#second-factor tr", has_text="Authenticator app")).to_contain_text("On")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".messages")).to_contain_text("You have signed out.")
    _sign_in_with_password(page, "alice")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.locator("main")).to_contain_text("Enter the 6-digit code your authenticator app")
    assert sms.outbox == []  # no SMS factor: nothing sent
    # An app shows a new code every 30 s and a used one is refused as a replay: take the
    # first step after the one used for enrolment (within the device's tolerance of one).
    page.get_by_label("Code").fill(_next_app_code(key, TOTPDevice.objects.get(user=alice)))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()
